import type { FloatBuffer } from '../core/types.ts';
import { readFile } from './file.ts';
import {
  CheckpointError,
  type ArrayCtor,
  type ReadMode,
  type TensorArray,
} from './safetensors-header.ts';
import { decodeRaw } from './safetensors.ts';

/**
 * Weights from any safetensors producer (PyTorch's `safetensors.torch.save_file`, Hugging Face
 * models, descent's own checkpoints): read leniently, in that no descent metadata or CRC-32 is
 * needed (a CRC-32 that is there is checked), and as strictly as checkpoints in structure (the
 * header length, the JSON, every dtype, shape and offset, the data covered exactly). Then
 * assigned to parameters by name, all or nothing.
 */

/** A floating-point weight: F16 and BF16 are widened (exactly) to float32. */
export type FloatWeight =
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array };

/** An integer or boolean tensor (an index, a mask, a counter), read as it is stored. */
export type IntegerWeight =
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'U64'; shape: number[]; data: BigUint64Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array }
  | { dtype: 'U32'; shape: number[]; data: Uint32Array }
  | { dtype: 'I16'; shape: number[]; data: Int16Array }
  | { dtype: 'U16'; shape: number[]; data: Uint16Array }
  | { dtype: 'I8'; shape: number[]; data: Int8Array }
  | { dtype: 'U8' | 'BOOL'; shape: number[]; data: Uint8Array };

/** A tensor of a weights file: its dtype as the file names it, its shape, its values (C order). */
export type Weight = FloatWeight | IntegerWeight;

type Raw = TensorArray | BigInt64Array | BigUint64Array;

/** Every dtype read, with the array its raw elements are read into (F16, BF16: their bits). */
const RAW: Record<Weight['dtype'], ArrayCtor<Raw>> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

const WEIGHTS_MODE: ReadMode<Raw> = {
  dtypes: RAW,
  crcRequired: false,
  fail: (why) => {
    throw new CheckpointError(`not a valid safetensors file: ${why}`);
  },
};

/** float16 bits to float32 bits: exact, subnormals normalised, NaN payloads kept. */
function halfBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return sign | 0x7f800000 | (mant << 13);
  if (exp !== 0) return sign | ((exp + 112) << 23) | (mant << 13);
  if (mant === 0) return sign;
  // A subnormal half, mant * 2^-24, is a normal float32: shift its leading 1 into the hidden bit.
  let e = 0;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e++;
  }
  return sign | ((113 - e) << 23) | ((mant & 0x3ff) << 13);
}

/** F16 or BF16 elements (their bits) as float32; both convert exactly. */
function widen(bits: Uint16Array, dtype: 'F16' | 'BF16'): Float32Array {
  const out = new Float32Array(bits.length);
  const u = new Uint32Array(out.buffer);
  if (dtype === 'BF16') for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
  else for (let i = 0; i < bits.length; i++) u[i] = halfBits(bits[i]!);
  return out;
}

function toWeights(
  tensors: Record<string, { data: Raw; shape: number[]; dtype: string }>,
): Record<string, Weight> {
  const out: Record<string, Weight> = {};
  for (const [name, { data, shape, dtype }] of Object.entries(tensors)) {
    out[name] = (
      dtype === 'F16' || dtype === 'BF16'
        ? { dtype, shape, data: widen(data as Uint16Array, dtype) }
        : { dtype, shape, data }
    ) as Weight;
  }
  return out;
}

/**
 * Decodes a safetensors file of weights from any producer, in memory: every tensor by name, in
 * file order, with its dtype, shape and values (F16 and BF16 widened exactly to Float32Array;
 * F32 a Float32Array; F64 a Float64Array; integers and BOOL as their own arrays). No descent
 * metadata or checksum is needed; the structure is checked as for checkpoints, and a descent
 * CRC-32, where present, too. Other dtypes (F8_*, ...) are refused, naming the tensor.
 */
export function decodeWeights(bytes: Uint8Array): Record<string, Weight> {
  return toWeights(decodeRaw(bytes, WEIGHTS_MODE).tensors);
}

/** Reads a safetensors file of weights (see {@link decodeWeights}), streaming, any size. */
export async function loadWeights(path: string): Promise<Record<string, Weight>> {
  return toWeights((await readFile(path, 'weights file', WEIGHTS_MODE)).tensors);
}

/** What a parameter's array can hold exactly. */
const HOLDS: Record<'Float32Array' | 'Float64Array', readonly string[]> = {
  Float32Array: ['F32', 'F16', 'BF16'],
  Float64Array: ['F64', 'F32', 'F16', 'BF16'],
};

/**
 * Copies weights into parameters by name, all or nothing: every parameter must have a weight of
 * its name, of its length (the product of the weight's shape), and of a dtype its array holds
 * exactly (a Float32Array takes F32, F16, BF16; a Float64Array also F64; neither an integer
 * tensor). On the first refusal this throws a {@link CheckpointError} naming the parameter, and
 * no parameter has changed. Returns the names of the weights no parameter took, in file order
 * (buffers, heads of another task): check it is empty to be as strict as PyTorch's
 * `load_state_dict`.
 */
export function assignWeights(
  weights: Record<string, Weight>,
  params: Record<string, FloatBuffer>,
): string[] {
  const bad = (why: string): never => {
    throw new CheckpointError(`weights do not fit: ${why}`);
  };
  for (const [name, p] of Object.entries(params)) {
    const w = Object.hasOwn(weights, name) ? weights[name] : undefined;
    if (!w) {
      const names = Object.keys(weights);
      const listed = names.slice(0, 8).join(', ') + (names.length > 8 ? ', ...' : '');
      return bad(`parameter ${name} has no weight of that name (the weights are [${listed}])`);
    }
    const array = p instanceof Float32Array ? 'Float32Array' : 'Float64Array';
    if (!HOLDS[array].includes(w.dtype)) {
      bad(
        w.dtype === 'F64'
          ? `weight ${name} is F64, which parameter ${name} (a Float32Array) would round; convert it first`
          : `weight ${name} is ${w.dtype}, not floating point: parameter ${name} (a ${array}) cannot hold it`,
      );
    }
    if (w.data.length !== p.length) {
      bad(
        `weight ${name} has shape [${w.shape.join(', ')}] (${w.data.length} elements), parameter ${name} has ${p.length}`,
      );
    }
  }
  for (const [name, p] of Object.entries(params)) p.set(weights[name]!.data as FloatBuffer);
  return Object.keys(weights).filter((n) => !Object.hasOwn(params, n));
}
