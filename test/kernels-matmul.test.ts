/**
 * The wasm SIMD matrix product (`fastMatmul`, scripts/wasm/matmul.ts) against a plain triple loop,
 * the oracle: every transpose case, shapes that leave edge tiles and span several cache blocks in
 * each dimension, in place in an arena and through the copy into the private memory.
 * - float64: equal bit for bit (each lane sums its entry over p in ascending order from 0, one
 *   rounding per multiplication and per addition, as the loop does).
 * - float32: the kernel sums in float32, the oracle in float64 and rounds once. By the standard
 *   inner-product bound (Higham, Accuracy and Stability, §3.1) the kernel's sum is within
 *   γ_k·Σ_p |a_ip·b_pj| of the exact one, γ_k = k·u / (1 − k·u), u = 2⁻²⁴; the oracle's within
 *   u·|c| plus k·2⁻⁵³·Σ of it. Together, for k·u < 0.01: at most (k + 2)·u·Σ_p |a_ip·b_pj|.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createArenaSync, type Arena } from '../packages/optim/src/fast.ts';
import type { FloatBuffer } from '../packages/optim/src/core/types.ts';
import { setFastPaths } from '../packages/optim/src/kernels/fast-path.ts';
import { MATMUL_MIN_WORK, fastMatmul } from '../packages/optim/src/kernels/matmul.ts';
import { mulberry32 } from './helpers/rng.ts';

const U = 2 ** -24;

/** The oracle: C = op(A)·op(B), each entry summed over p ascending in a float64, stored once. */
function oracle(
  a: FloatBuffer,
  b: FloatBuffer,
  out: FloatBuffer,
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += a[ta ? p * m + i : i * k + p]! * b[tb ? j * k + p : p * n + j]!;
      out[i * n + j] = s;
    }
  }
}

/** Σ_p |a_ip·b_pj| per entry (the scale of the float32 bound). */
function magnitudes(
  a: FloatBuffer,
  b: FloatBuffer,
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
): Float64Array {
  const abs = (x: FloatBuffer) => Float64Array.from(x, Math.abs);
  const out = new Float64Array(m * n);
  oracle(abs(a), abs(b), out, m, k, n, ta, tb);
  return out;
}

const arena: Arena = createArenaSync({ bytes: 48 << 20 });

type Where = 'arena' | 'heap';
function filled(len: number, f64: boolean, where: Where, seed: number): FloatBuffer {
  const buf =
    where === 'arena'
      ? f64
        ? arena.float64(len)
        : arena.float32(len)
      : f64
        ? new Float64Array(len)
        : new Float32Array(len);
  const r = mulberry32(seed);
  for (let i = 0; i < len; i++) buf[i] = (r() - 0.5) * 4;
  return buf;
}

function free(...bufs: FloatBuffer[]): void {
  for (const b of bufs) if (arena.holds(b)) arena.free(b);
}

// Blocks: kc 256; mc 64; nc 528 (float32) and 258 (float64); tiles 4 × 12 and 4 × 6.
const SHAPES: [number, number, number][] = [
  [16, 16, 16],
  [37, 300, 41],
  [70, 513, 270],
  [65, 257, 530],
  [5, 1000, 3],
  [128, 64, 128],
];

const ROUTES: [Where, Where, Where][] = [
  ['arena', 'arena', 'arena'],
  ['heap', 'heap', 'heap'],
  ['arena', 'heap', 'arena'],
];

for (const f64 of [true, false]) {
  describe(`${f64 ? 'float64: equal bit for bit' : 'float32: within (k + 2)·u·Σ|a||b|'} to the triple loop`, () => {
    for (const [m, k, n] of SHAPES) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        test(`${m}×${k}×${n}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`, () => {
          // The same numbers on every route (the seeds): one oracle for all.
          const [a0, b0] = [filled(m * k, f64, 'heap', 1 + m), filled(k * n, f64, 'heap', 2 + n)];
          const ref = new (f64 ? Float64Array : Float32Array)(m * n);
          oracle(a0, b0, ref, m, k, n, ta, tb);
          const scale = f64 ? null : magnitudes(a0, b0, m, k, n, ta, tb);
          for (const [wa, wb, wc] of ROUTES) {
            const a = filled(m * k, f64, wa, 1 + m);
            const b = filled(k * n, f64, wb, 2 + n);
            const out = filled(m * n, f64, wc, 3);
            assert.equal(fastMatmul(a, b, out, m, k, n, ta, tb), true, 'the fast path ran');
            for (let i = 0; i < m * n; i++) {
              const ok = scale
                ? Math.abs(out[i]! - ref[i]!) <= (k + 2) * U * scale[i]!
                : Object.is(out[i], ref[i]);
              if (!ok)
                assert.fail(
                  `(${wa}, ${wb}, ${wc}) entry ${i}: fast ${out[i]}, loop ${ref[i]}${scale ? `, bound ${(k + 2) * U * scale[i]!}` : ''}`,
                );
            }
            free(a, b, out);
          }
        });
      }
    }
  });
}

describe('X·Xᵀ and Xᵀ·X from one buffer, and buffers longer than the matrices', () => {
  for (const where of ['arena', 'heap'] as const) {
    test(where, () => {
      const [m, k] = [40, 300];
      const x = filled(m * k + 5, true, where, 9);
      for (const [ta, tb, rows, depth] of [
        [false, true, m, k],
        [true, false, k, m],
      ] as const) {
        const out = filled(rows * rows + 3, true, where, 4);
        const tail = Array.from(out.subarray(rows * rows));
        const ref = new Float64Array(rows * rows);
        oracle(x, x, ref, rows, depth, rows, ta, tb);
        assert.equal(fastMatmul(x, x, out, rows, depth, rows, ta, tb), true);
        for (let i = 0; i < rows * rows; i++) assert.ok(Object.is(out[i], ref[i]), `entry ${i}`);
        assert.deepEqual(Array.from(out.subarray(rows * rows)), tail, 'past m·n: untouched');
        free(out);
      }
      free(x);
    });
  }
});

test('NaN and ±Infinity propagate as in the loop (float64)', () => {
  const [m, k, n] = [17, 20, 13];
  const a = filled(m * k, true, 'heap', 5);
  const b = filled(k * n, true, 'heap', 6);
  a[3] = NaN;
  a[50] = Infinity;
  b[7] = -Infinity;
  b[100] = 0;
  a[41] = -0;
  const out = new Float64Array(m * n);
  const ref = new Float64Array(m * n);
  oracle(a, b, ref, m, k, n, false, false);
  assert.equal(fastMatmul(a, b, out, m, k, n), true);
  for (let i = 0; i < m * n; i++) assert.ok(Object.is(out[i], ref[i]), `entry ${i}`);
});

test('answers false where the plain loop must run', () => {
  const f64 = (len: number) => new Float64Array(len).fill(1);
  const f32 = (len: number) => new Float32Array(len).fill(1);
  const n = 32;
  const big = f64(n * n * 2);
  const cases: [string, () => boolean][] = [
    ['mixed float types', () => fastMatmul(f32(n * n), f64(n * n), f64(n * n), n, n, n)],
    ['a too short', () => fastMatmul(f64(n * n - 1), f64(n * n), f64(n * n), n, n, n)],
    ['a dimension of 0', () => fastMatmul(f64(n * n), f64(n * n), f64(n * n), n, 0, n)],
    ['a fractional dimension', () => fastMatmul(f64(n * n), f64(n * n), f64(n * n), n, 31.5, n)],
    [
      'out overlaps a',
      () => fastMatmul(big.subarray(0, n * n), f64(n * n), big.subarray(n), n, n, n),
    ],
    [
      'a product of fewer than MATMUL_MIN_WORK multiply-adds',
      () => fastMatmul(f64(64), f64(64), f64(64), 5, 5, Math.ceil(MATMUL_MIN_WORK / 25) - 1),
    ],
  ];
  for (const [what, call] of cases) assert.equal(call(), false, what);
  const out = f64(n * n).fill(7);
  setFastPaths(false);
  try {
    assert.equal(fastMatmul(f64(n * n), f64(n * n), out, n, n, n), false, 'fast paths off');
  } finally {
    setFastPaths(true);
  }
  assert.ok(out.every((x) => x === 7));
});

test('the private memory grows for a larger product after a smaller one', () => {
  for (const n of [40, 600]) {
    const a = filled(n * 8, true, 'heap', n);
    const b = filled(8 * n, true, 'heap', n + 1);
    const out = new Float64Array(n * n);
    const ref = new Float64Array(n * n);
    oracle(a, b, ref, n, 8, n, false, false);
    assert.equal(fastMatmul(a, b, out, n, 8, n), true);
    for (let i = 0; i < n * n; i++) assert.ok(Object.is(out[i], ref[i]), `${n}: entry ${i}`);
  }
});
