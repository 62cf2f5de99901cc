import type { FloatBuffer } from '../core/types.ts';
import { fastMatmul, overlaps } from '../kernels/matmul.ts';

/**
 * `out = op(A) · op(B)`, the plain loop: `op(A)` is m×k, `op(B)` is k×n, `out` is m×n, every
 * matrix row-major and dense. `transA` reads `a` as the k×m matrix whose transpose is `op(A)`
 * (and `transB` reads `b` as n×k), so a Gram matrix `X·Xᵀ` is `matmul(x, x, g, m, n, m, false,
 * true)` without a transposed copy.
 *
 * Each entry is one dot product summed over p = 0..k−1 in ascending order in a JavaScript number
 * (float64), then stored once: exact to float64 rounding for Float64Array, and for Float32Array
 * the float64 sum rounded once to float32. Where the wasm kernels are installed (`descent-optim/
 * fast`, or Node) and the product is not tiny, the blocked wasm SIMD product runs instead
 * (`kernels/matmul.ts`, tested against this loop): for Float64Array equal to it bit for bit, for
 * Float32Array summed in float32, within `(k + 2)·2⁻²⁴·Σ_p |a_ip·b_pj|` of it per entry.
 *
 * Writes `out` only, never allocates. `a`, `b` and `out` may be of either float type. `out` must
 * not overlap `a` or `b` (a RangeError otherwise: the loop would read what it has written);
 * `a` and `b` may be the same buffer. Buffers longer than needed are used from index 0.
 */
export function matmul(
  a: FloatBuffer,
  b: FloatBuffer,
  out: FloatBuffer,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false,
): void {
  checkDims(m, k, n);
  checkLength('a', a, m * k);
  checkLength('b', b, k * n);
  checkLength('out', out, m * n);
  if (overlaps(out, m * n, a, m * k) || overlaps(out, m * n, b, k * n)) {
    throw new RangeError('matmul: out must not overlap a or b');
  }
  if (fastMatmul(a, b, out, m, k, n, transA, transB)) return;
  // Element (i, p) of op(A) sits at i·ai + p·ap; element (p, j) of op(B) at p·bp + j·bj.
  const ai = transA ? 1 : k;
  const ap = transA ? m : 1;
  const bp = transB ? 1 : n;
  const bj = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    const rowA = i * ai;
    const rowOut = i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      let x = rowA;
      let y = j * bj;
      for (let p = 0; p < k; p++) {
        s += a[x]! * b[y]!;
        x += ap;
        y += bp;
      }
      out[rowOut + j] = s;
    }
  }
}

function checkDims(m: number, k: number, n: number): void {
  // Three calls, no array of them: a step calls matmul several times and must not allocate.
  checkDim('m', m);
  checkDim('k', k);
  checkDim('n', n);
}

function checkDim(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new RangeError(`matmul: ${name} must be an integer >= 1, got ${String(v)}`);
  }
}

function checkLength(name: string, buf: FloatBuffer, need: number): void {
  if (buf.length < need) {
    throw new RangeError(`matmul: ${name} has ${buf.length} elements, needs ${need}`);
  }
}
