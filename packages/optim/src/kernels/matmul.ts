import type { FloatBuffer } from '../core/types.ts';
import { fastPathsEnabled } from './fast-path.ts';

/**
 * The switch between the plain matrix product (`linalg/matmul.ts`) and the wasm SIMD one
 * (`scripts/wasm/matmul.ts`, run by `kernels/matmul-wasm.ts`). As for the rules' kernels, the
 * wasm bytes stay out of a bundle until `descent-optim/fast` (or the Node entry) installs them:
 * the plain loop, once it has checked its arguments, runs `if (fastMatmul(...same arguments))
 * return;`.
 */
export type MatmulEngine = (
  a: FloatBuffer,
  b: FloatBuffer,
  out: FloatBuffer,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
) => boolean;

let engine: MatmulEngine | null = null;

/** @internal Installs the wasm matrix product (called by `descent-optim/fast` when imported). */
export function installFastMatmul(run: MatmulEngine | null): void {
  engine = run;
}

/**
 * Below this many multiply-adds (m·k·n) the plain loop is as fast: the call, the packing and,
 * for buffers outside an arena, the copies cost about a microsecond. Measured here (copy route,
 * one thread): 6³ float32 1.0 µs against the plain loop's 1.3, float64 0.5 against 1.3; 16³
 * 2.4 and 1.7 µs against 25 and 14.
 */
export const MATMUL_MIN_WORK = 6 * 6 * 6;

/**
 * `out = op(A)·op(B)` on the wasm SIMD kernel, with the arguments of the plain `matmul` (row-major;
 * `transA` reads `a` as k×m, `transB` reads `b` as n×k): true when it ran, false when the caller
 * must run its plain loop: the kernels are not loaded or fast paths are off, the product is tiny,
 * the three buffers are not all Float32Array or all Float64Array, a dimension is not an integer
 * >= 1, a buffer is too short, or `out` overlaps `a` or `b` (the plain loop then throws).
 *
 * Buffers in one arena are multiplied in place; others are copied into a private wasm memory
 * (O(mk + kn + mn) copies for O(mkn) work). float64: equal bit for bit to the plain loop (each
 * entry summed over p in ascending order from 0, one rounding per operation). float32: summed in
 * float32 (the plain loop sums in float64), within (k + 2)·2⁻²⁴·Σ_p |a_ip·b_pj| of it per entry.
 */
export function fastMatmul(
  a: FloatBuffer,
  b: FloatBuffer,
  out: FloatBuffer,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false,
): boolean {
  return (
    engine !== null &&
    fastPathsEnabled() &&
    m * k * n >= MATMUL_MIN_WORK &&
    engine(a, b, out, m, k, n, transA, transB)
  );
}

/** Whether the first `n` elements of `x` share memory with the first `k` of `y`. */
export function overlaps(x: FloatBuffer, n: number, y: FloatBuffer, k: number): boolean {
  if (x.buffer !== y.buffer) return false;
  const x0 = x.byteOffset;
  const y0 = y.byteOffset;
  return x0 < y0 + k * y.BYTES_PER_ELEMENT && y0 < x0 + n * x.BYTES_PER_ELEMENT;
}
