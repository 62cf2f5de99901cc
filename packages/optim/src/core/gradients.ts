import type { FloatBuffer, SparseGradient } from './types.ts';

/** A gradient as `step` takes it: dense, row-sparse, or absent (`null` skips the parameter). */
export type Gradient = FloatBuffer | SparseGradient | null | undefined;

// The intrinsic %TypedArray%.prototype[Symbol.toStringTag] getter reads an array's internal type
// name: it recognises the typed arrays of any realm (a vm context, an iframe), where instanceof
// fails, and an object that defines Symbol.toStringTag itself cannot fool it.
const typedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Float32Array.prototype) as object,
  Symbol.toStringTag,
)?.get as (this: unknown) => string | undefined;

/** 'float32' or 'float64' for a Float32Array / Float64Array of any realm, else null. */
export function floatDtype(x: unknown): 'float32' | 'float64' | null {
  if (x instanceof Float32Array) return 'float32';
  if (x instanceof Float64Array) return 'float64';
  const name = typedArrayName.call(x);
  return name === 'Float32Array' ? 'float32' : name === 'Float64Array' ? 'float64' : null;
}

export function isFloatBuffer(x: unknown): x is FloatBuffer {
  return floatDtype(x) !== null;
}

/**
 * The buffer itself, or for a typed array of another realm a view of this realm over the same
 * memory (no copy: the caller's array sees every update), so that the rest of the library can
 * tell float32 from float64 with instanceof.
 */
export function ownRealm(p: FloatBuffer): FloatBuffer {
  if (p instanceof Float32Array || p instanceof Float64Array) return p;
  const { buffer, byteOffset, length } = p as {
    buffer: ArrayBuffer;
    byteOffset: number;
    length: number;
  };
  return floatDtype(p) === 'float32'
    ? new Float32Array(buffer, byteOffset, length)
    : new Float64Array(buffer, byteOffset, length);
}

export function isSparse(g: Gradient): g is SparseGradient {
  return g !== null && g !== undefined && !isFloatBuffer(g);
}

/** The gradient's values: the whole buffer for a dense one, the stored rows for a sparse one. */
export function gradValues(g: FloatBuffer | SparseGradient): FloatBuffer {
  return isFloatBuffer(g) ? g : g.values;
}

/**
 * The total norm of all gradients in one read pass (order `normType`, `Infinity` for the max
 * norm), computed per gradient then over those norms, as PyTorch's `clip_grad_norm_` does.
 * NaN if any value is NaN; Infinity if any is infinite.
 */
export function totalNorm(grads: readonly Gradient[], normType: number): number {
  let total = 0;
  for (const g of grads) {
    if (!g) continue;
    const v = gradValues(g);
    if (normType === Infinity) {
      let m = 0;
      for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
      total = Math.max(total, m);
    } else if (normType === 2) {
      let s = 0;
      for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
      total += s;
    } else {
      let s = 0;
      for (let i = 0; i < v.length; i++) s += Math.abs(v[i] as number) ** normType;
      total += s;
    }
  }
  if (normType === Infinity) return total;
  return normType === 2 ? Math.sqrt(total) : total ** (1 / normType);
}

/** The index of the first gradient holding NaN or ±Infinity, or -1. */
export function firstNonFinite(grads: readonly Gradient[]): number {
  for (let j = 0; j < grads.length; j++) {
    const g = grads[j];
    if (!g) continue;
    const v = gradValues(g);
    // x·0 is 0 for every finite x and NaN otherwise: one multiply-add per element, no branch.
    let probe = 0;
    for (let i = 0; i < v.length; i++) probe += (v[i] as number) * 0;
    if (probe !== 0) return j;
  }
  return -1;
}

export function checkNormType(owner: string, option: string, normType: unknown): void {
  if (typeof normType !== 'number' || !(normType >= 1)) {
    throw new RangeError(
      `${owner}: ${option} must be a number >= 1 or Infinity, got ${String(normType)}`,
    );
  }
}

/**
 * Scales the gradients in place so that their total norm is at most `maxNorm`, and returns the
 * norm before clipping (PyTorch's `clip_grad_norm_`: factor `maxNorm/(norm + 1e-6)`, capped at 1).
 * Sparse gradients clip their stored values.
 */
export function clipGradNorm(
  grads: readonly Gradient[],
  maxNorm: number,
  normType = 2,
  options: { errorIfNonfinite?: boolean } = {},
): number {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new RangeError(`clipGradNorm: maxNorm must be a number >= 0, got ${String(maxNorm)}`);
  }
  checkNormType('clipGradNorm', 'normType', normType);
  const norm = totalNorm(grads, normType);
  if (options.errorIfNonfinite && !Number.isFinite(norm)) {
    throw new RangeError(`clipGradNorm: the total norm of order ${normType} is ${norm}`);
  }
  const coef = clipFactor(norm, maxNorm);
  for (const g of grads) {
    if (!g) continue;
    const v = gradValues(g);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * coef;
  }
  return norm;
}

/** PyTorch's clipping factor: `min(1, maxNorm / (norm + 1e-6))` (NaN when the norm is NaN). */
export function clipFactor(norm: number, maxNorm: number): number {
  const coef = maxNorm / (norm + 1e-6);
  return coef < 1 || Number.isNaN(coef) ? coef : 1;
}

/** Clamps every gradient value into `[-clipValue, clipValue]` in place (`clip_grad_value_`). */
export function clipGradValue(grads: readonly Gradient[], clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new RangeError(
      `clipGradValue: clipValue must be a number >= 0, got ${String(clipValue)}`,
    );
  }
  for (const g of grads) {
    if (!g) continue;
    const v = gradValues(g);
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as number;
      v[i] = x > clipValue ? clipValue : x < -clipValue ? -clipValue : x;
    }
  }
}
