import { crc32 } from './crc32.ts';

/**
 * The safetensors container (the Hugging Face format): an 8-byte little-endian header length N,
 * N bytes of JSON header `{ "__metadata__": {string: string}, name: { dtype, shape,
 * data_offsets: [begin, end] } }`, then the raw little-endian tensor bytes. descent adds a CRC-32
 * over header and data in the metadata key `descent.crc32`, so any flipped byte is caught.
 */

export type TensorArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

export interface Tensor {
  data: TensorArray;
  shape: number[];
}

const DTYPES = {
  F32: Float32Array,
  F64: Float64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
} as const;
type Dtype = keyof typeof DTYPES;

function dtypeOf(a: TensorArray): Dtype {
  for (const [name, Ctor] of Object.entries(DTYPES)) if (a instanceof Ctor) return name as Dtype;
  throw new TypeError(`safetensors: unsupported array type ${(a as object).constructor.name}`);
}

const CRC_KEY = 'descent.crc32';
const CRC_PLACEHOLDER = '00000000';

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  // Typed arrays use the platform's byte order; safetensors is little-endian.
  throw new Error('descent checkpoints need a little-endian platform');
}

/** A checkpoint that cannot be read, with what is wrong. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Encodes tensors and string metadata as safetensors bytes (with descent's CRC-32). */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {
    __metadata__: { ...metadata, [CRC_KEY]: CRC_PLACEHOLDER },
  };
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const { data, shape } = tensors[name] as Tensor;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new RangeError(
        `safetensors: tensor ${name} has shape [${shape}] but ${data.length} elements`,
      );
    }
    header[name] = {
      dtype: dtypeOf(data),
      shape,
      data_offsets: [offset, offset + data.byteLength],
    };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the format recommends.
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name] as Tensor;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  const crc = crc32(out.subarray(8)).toString(16).padStart(8, '0');
  const marker = new TextEncoder().encode(`"${CRC_KEY}":"${CRC_PLACEHOLDER}"`);
  const pos = indexOf(out, marker, 8);
  out.set(new TextEncoder().encode(`"${CRC_KEY}":"${crc}"`), pos);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Decodes safetensors bytes, checking everything before returning: the header length, the JSON,
 * every tensor's dtype, shape and offsets (contiguous, inside the data, covering it exactly), and
 * the CRC-32. Throws a {@link CheckpointError} that says what is wrong.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  const bad = (why: string): never => {
    throw new CheckpointError(`not a valid descent checkpoint: ${why}`);
  };
  if (bytes.length === 0) bad('the file is empty');
  if (bytes.length < 8)
    bad(`the file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8))
    bad(
      `the header claims ${n} bytes but the file has ${bytes.length - 8} after the length (truncated?)`,
    );
  const headerEnd = 8 + Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)),
    );
  } catch {
    return bad('the header is not valid JSON (corrupted?)');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    bad('the header is not a JSON object');
  const metadata = header.__metadata__ as Record<string, unknown> | undefined;
  if (
    !metadata ||
    typeof metadata !== 'object' ||
    Object.values(metadata).some((v) => typeof v !== 'string')
  ) {
    bad('the header has no __metadata__ of strings (not written by descent?)');
  }
  const crcText = (metadata as Record<string, string>)[CRC_KEY];
  if (typeof crcText !== 'string' || !/^[0-9a-f]{8}$/.test(crcText))
    bad(`the header has no ${CRC_KEY} checksum (not written by descent?)`);

  const dataLength = bytes.length - headerEnd;
  const entries = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, info]) => {
      const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const Ctor = DTYPES[t?.dtype as Dtype];
      if (!Ctor) bad(`tensor ${name} has unknown dtype ${JSON.stringify(t?.dtype)}`);
      const shape = t.shape as number[];
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
        bad(`tensor ${name} has an invalid shape`);
      const off = t.data_offsets as number[];
      if (
        !Array.isArray(off) ||
        off.length !== 2 ||
        !off.every((o) => Number.isInteger(o) && o >= 0) ||
        off[0]! > off[1]!
      ) {
        bad(`tensor ${name} has invalid data_offsets`);
      }
      const count = shape.reduce((a, b) => a * b, 1);
      if (off[1]! - off[0]! !== count * Ctor.BYTES_PER_ELEMENT)
        bad(`tensor ${name}: its offsets do not hold shape [${shape}] of ${t.dtype}`);
      return { name, Ctor, shape, begin: off[0]!, end: off[1]! };
    })
    .sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected)
      bad(`tensor ${e.name} starts at byte ${e.begin}, expected ${expected} (overlap or gap)`);
    expected = e.end;
  }
  if (expected !== dataLength) {
    bad(
      expected > dataLength
        ? `the data section has ${dataLength} bytes, the tensors need ${expected} (truncated?)`
        : `${dataLength - expected} bytes follow the last tensor (appended garbage?)`,
    );
  }

  const check = bytes.slice(8);
  const marker = new TextEncoder().encode(`"${CRC_KEY}":"${crcText}"`);
  const pos = indexOf(check, marker, 0);
  if (pos < 0 || pos + marker.length > Number(n))
    bad('the checksum is not where descent writes it');
  check.set(new TextEncoder().encode(`"${CRC_KEY}":"${CRC_PLACEHOLDER}"`), pos);
  if (crc32(check).toString(16).padStart(8, '0') !== crcText)
    bad('the checksum does not match: the file is corrupted');

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    // Copy out so each tensor is aligned and owns its memory.
    const raw = bytes.slice(headerEnd + e.begin, headerEnd + e.end);
    tensors[e.name] = {
      data: new e.Ctor(raw.buffer, 0, (e.end - e.begin) / e.Ctor.BYTES_PER_ELEMENT),
      shape: e.shape,
    };
  }
  const meta = { ...(metadata as Record<string, string>) };
  delete meta[CRC_KEY];
  return { tensors, metadata: meta };
}
