import { crc32 } from 'node:zlib';
import {
  buildHeader,
  CHECKPOINT_MODE,
  crcField,
  headerCrc,
  headerLength,
  parseHeader,
  type ReadMode,
  type Tensor,
  type TensorArray,
} from './safetensors-header.ts';

export { CheckpointError, type Tensor, type TensorArray } from './safetensors-header.ts';

/**
 * The safetensors container (the Hugging Face format) in memory, for checkpoints that fit in one
 * array; files of any size go through `saveCheckpoint` / `loadCheckpoint`, which stream. descent
 * adds a CRC-32 over header and data in the metadata key `descent.crc32`, so any flipped byte is
 * caught (see `safetensors-header.ts` for the layout).
 */

/** Encodes tensors and string metadata as safetensors bytes (with descent's CRC-32). */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
): Uint8Array {
  const { head, crcAt, placed, dataLength } = buildHeader(tensors, metadata);
  const out = new Uint8Array(head.length + dataLength);
  out.set(head);
  let at = head.length;
  for (const { bytes } of placed) {
    out.set(bytes, at);
    at += bytes.length;
  }
  out.set(crcField(crc32(out.subarray(8))), crcAt);
  return out;
}

/**
 * Decodes safetensors bytes, checking everything before returning: the header length, the JSON,
 * every tensor's dtype, shape and offsets (contiguous, inside the data, covering it exactly), and
 * the CRC-32. Throws a {@link CheckpointError} that says what is wrong. A file without descent's
 * CRC-32 is refused here; `decodeWeights` reads safetensors files from other producers.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  return decodeRaw(bytes, CHECKPOINT_MODE);
}

/** {@link decodeSafetensors} under a read mode: each tensor as its raw elements. */
export function decodeRaw<A extends ArrayBufferView = TensorArray>(
  bytes: Uint8Array,
  mode: ReadMode<A>,
): {
  tensors: Record<string, { data: A; shape: number[]; dtype: string }>;
  metadata: Record<string, string>;
} {
  const n = headerLength(bytes.subarray(0, 8), bytes.length, mode.fail);
  const json = bytes.subarray(8, 8 + n);
  const data = bytes.subarray(8 + n);
  const { declared, metadata, crc, crcAt } = parseHeader(json, data.length, mode);
  if (crc !== null && crc32(data, headerCrc(json, crcAt)) !== crc)
    mode.fail('the checksum does not match: the file is corrupted');

  const tensors: Record<string, { data: A; shape: number[]; dtype: string }> = {};
  for (const e of declared) {
    // Copy out so each tensor is aligned and owns its memory. Not `data.slice`: on a Node
    // Buffer (readFileSync's) that is a view into a shared pool, not a copy.
    const raw = new Uint8Array(e.end - e.begin);
    raw.set(data.subarray(e.begin, e.end));
    tensors[e.name] = {
      data: new e.Ctor(raw.buffer, 0, (e.end - e.begin) / e.Ctor.BYTES_PER_ELEMENT),
      shape: e.shape,
      dtype: e.dtype,
    };
  }
  return { tensors, metadata };
}
