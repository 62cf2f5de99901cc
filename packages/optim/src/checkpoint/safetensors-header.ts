/**
 * The safetensors header on its own, shared by the in-memory codec (`safetensors.ts`) and the
 * streaming file reader and writer: building it from tensors, and parsing and checking it
 * against the length of the data that follows. The layout is the Hugging Face one: an 8-byte
 * little-endian header length N, N bytes of JSON `{ "__metadata__": {string: string}, name: {
 * dtype, shape, data_offsets: [begin, end] } }`, then the raw little-endian tensor bytes.
 * descent's CRC-32 covers everything after the 8-byte length, computed with the metadata key
 * `descent.crc32` holding the placeholder `00000000`, then written into that key.
 */
import { crc32 } from 'node:zlib';

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

/** A typed-array constructor, as the reader allocates and views raw tensor bytes. */
export interface ArrayCtor<A extends ArrayBufferView> {
  new (length: number): A;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

/** The dtypes of descent's checkpoints, each with the array it is read into and written from. */
export const DTYPES = {
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
const utf8 = new TextEncoder();

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  // Typed arrays use the platform's byte order; safetensors is little-endian.
  throw new Error('descent checkpoints need a little-endian platform');
}

/** A checkpoint that cannot be read or written, with what is wrong. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** The bytes that go into the CRC field (`"descent.crc32":"xxxxxxxx"`) for a CRC value. */
export function crcField(crc: number | null): Uint8Array {
  const text = crc === null ? CRC_PLACEHOLDER : crc.toString(16).padStart(8, '0');
  return utf8.encode(`"${CRC_KEY}":"${text}"`);
}

/**
 * The CRC-32 of a header as it was when the CRC was computed (its CRC field as the placeholder),
 * to be continued over the data.
 */
export function headerCrc(json: Uint8Array, crcAt: number): number {
  const field = crcField(null);
  let c = crc32(json.subarray(0, crcAt));
  c = crc32(field, c);
  return crc32(json.subarray(crcAt + field.length), c);
}

/** A tensor in file order: its name and its bytes (a view of its own memory, not a copy). */
export interface Placed {
  name: string;
  bytes: Uint8Array;
}

/**
 * The first 8 + N bytes of a file holding `tensors` (length prefix and JSON header, with the CRC
 * placeholder at `crcAt`, counted from the start of the file), and the tensors in file order.
 */
export function buildHeader(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
): { head: Uint8Array; crcAt: number; placed: Placed[]; dataLength: number } {
  const header: Record<string, unknown> = {
    __metadata__: { ...metadata, [CRC_KEY]: CRC_PLACEHOLDER },
  };
  let offset = 0;
  const placed: Placed[] = [];
  for (const name of Object.keys(tensors).sort()) {
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
    placed.push({ name, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the format recommends.
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const jsonBytes = utf8.encode(json);
  const head = new Uint8Array(8 + jsonBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  head.set(jsonBytes, 8);
  return { head, crcAt: 8 + indexOf(jsonBytes, crcField(null)), placed, dataLength: offset };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Throws the {@link CheckpointError} every check of a checkpoint uses. */
export function bad(why: string): never {
  throw new CheckpointError(`not a valid descent checkpoint: ${why}`);
}

/**
 * How a file is read: descent's checkpoints (their dtypes, the CRC-32 required), or safetensors
 * files of weights from any producer (more dtypes, read as their raw elements; no `__metadata__`
 * needed; a CRC-32 checked only where the file has one).
 */
export interface ReadMode<A extends ArrayBufferView> {
  /** The dtypes accepted, each with the array its raw elements are read into. */
  dtypes: Readonly<Record<string, ArrayCtor<A>>>;
  /** Whether the file must carry descent's CRC-32; without it, one that is there is checked. */
  crcRequired: boolean;
  /** Throws the error for a file refused for `why`. */
  fail: (why: string) => never;
}

/** Checkpoints: descent's dtypes, `__metadata__` and the CRC-32 required. */
export const CHECKPOINT_MODE: ReadMode<TensorArray> = {
  dtypes: DTYPES,
  crcRequired: true,
  fail: bad,
};

/**
 * Reads the header length from the first 8 bytes of a file of `fileLength` bytes, checking it
 * fits; returns it as a number (a length that fits is below 2^53).
 */
export function headerLength(
  first8: Uint8Array,
  fileLength: number,
  fail: (why: string) => never = bad,
): number {
  const bad = fail;
  if (fileLength === 0) bad('the file is empty');
  if (fileLength < 8) bad(`the file has ${fileLength} bytes, fewer than the 8-byte header length`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileLength - 8))
    bad(
      `the header claims ${n} bytes but the file has ${fileLength - 8} after the length (truncated?)`,
    );
  return Number(n);
}

/** A tensor as the header declares it; `begin` and `end` count from the end of the header. */
export interface Declared<A extends ArrayBufferView = TensorArray> {
  name: string;
  dtype: string;
  Ctor: ArrayCtor<A>;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and checks the JSON header (`json`: the N bytes after the length) against the
 * `dataLength` bytes that follow it: every tensor's dtype, shape and offsets (contiguous, inside
 * the data, covering it exactly), and that the CRC field is there (where `mode` requires it).
 * Returns the tensors in file order, the metadata without the CRC, the stored CRC and where its
 * field starts in `json` (`null` and -1 for a file without one).
 */
export function parseHeader<A extends ArrayBufferView = TensorArray>(
  json: Uint8Array,
  dataLength: number,
  mode: ReadMode<A>,
): {
  declared: Declared<A>[];
  metadata: Record<string, string>;
  crc: number | null;
  crcAt: number;
} {
  const bad = mode.fail;
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    return bad('the header is not valid JSON (corrupted?)');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    bad('the header is not a JSON object');
  const metadata = header.__metadata__ as Record<string, unknown> | undefined;
  const stringsOnly =
    !!metadata &&
    typeof metadata === 'object' &&
    !Array.isArray(metadata) &&
    Object.values(metadata).every((v) => typeof v === 'string');
  if (mode.crcRequired && !stringsOnly)
    bad('the header has no __metadata__ of strings (not written by descent?)');
  if (metadata !== undefined && !stringsOnly) bad('its __metadata__ is not an object of strings');
  const crcText = (metadata as Record<string, string> | undefined)?.[CRC_KEY];
  if (crcText === undefined && mode.crcRequired)
    bad(`the header has no ${CRC_KEY} checksum (not written by descent?)`);
  if (crcText !== undefined && !/^[0-9a-f]{8}$/.test(crcText))
    bad(`the header has no ${CRC_KEY} checksum (not written by descent?)`);

  const declared = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, info]): Declared<A> => {
      const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const dtype = t?.dtype;
      const Ctor =
        typeof dtype === 'string' && Object.hasOwn(mode.dtypes, dtype)
          ? mode.dtypes[dtype]
          : undefined;
      if (!Ctor) return bad(`tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
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
        bad(`tensor ${name}: its offsets do not hold shape [${shape}] of ${String(dtype)}`);
      return { name, dtype: dtype as string, Ctor, shape, begin: off[0]!, end: off[1]! };
    })
    .sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of declared) {
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
  const meta = { ...((metadata ?? {}) as Record<string, string>) };
  delete meta[CRC_KEY];
  if (crcText === undefined) return { declared, metadata: meta, crc: null, crcAt: -1 };
  const crcAt = indexOf(json, crcField(parseInt(crcText, 16)));
  if (crcAt < 0) bad('the checksum is not where descent writes it');
  return { declared, metadata: meta, crc: parseInt(crcText, 16), crcAt };
}
