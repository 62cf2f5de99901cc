// Adafactor's quirks, each asserted from the update rule of the reference set's README
// (shared/reference/extra, section "Adafactor"; torch/optim/_adafactor.py, commit 051d6a09).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Adafactor, type FloatBuffer } from '../packages/optim/src/node.ts';

const close = (got: ArrayLike<number>, want: readonly number[], tol = 1e-14, what = '') => {
  assert.equal(got.length, want.length, what);
  want.forEach((w, i) =>
    assert.ok(
      Math.abs(got[i]! - w) <= tol * Math.max(1, Math.abs(w)),
      `${what}[${i}]: ${got[i]} vs ${w}`,
    ),
  );
};
const rms = (x: readonly number[]) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
const sign = (x: readonly number[]) => x.map(Math.sign);

/** One Adafactor step on one buffer of the given shape; the optimizer and the parameter. */
function step(
  x0: readonly number[],
  grads: readonly (readonly number[])[],
  options: Record<string, unknown> = {},
  shape: number[] = [x0.length],
  from: (xs: readonly number[]) => FloatBuffer = (xs) => Float64Array.from(xs),
) {
  const p = from(x0);
  const opt = new Adafactor([{ params: [p], shapes: [shape] }], options);
  for (const g of grads) opt.step([from(g)]);
  return { p, opt };
}

describe('Adafactor: state', () => {
  test('a matrix keeps one value per row and per column; on step 1 (w = 1) they are the means of G²', () => {
    const g = [1, 2, 3, 4, 5, 6]; // 2×3
    const { opt } = step([0, 0, 0, 0, 0, 0], [g], {}, [2, 3]);
    const st = opt.paramState(0)!;
    assert.deepEqual(Object.keys(st.slots).sort(), ['col_var', 'row_var']);
    close(st.slots.row_var!, [(1 + 4 + 9) / 3, (16 + 25 + 36) / 3]);
    close(st.slots.col_var!, [(1 + 16) / 2, (4 + 25) / 2, (9 + 36) / 2]);
  });

  test('a vector keeps V = G² on step 1, then lerps toward G² with weight t^beta2Decay', () => {
    const { opt } = step([1, 1], [[2, -1]], { beta2Decay: -0.5 });
    close(opt.paramState(0)!.slots.variance!, [4, 1]);
    opt.step([Float64Array.of(1, 3)]);
    const w = 2 ** -0.5;
    close(opt.paramState(0)!.slots.variance!, [4 + w * (1 - 4), 1 + w * (9 - 1)]);
  });

  test('a 3-D tensor is factored per matrix of its last two dimensions', () => {
    // Matrix 1's gradient is 10 times matrix 0's: with one mean of R per matrix, V̂ scales by
    // 100 and U is the same in both, so both matrices (equal at the start) move alike.
    const g0 = [1, -2, 0.5, 3, 1, -1];
    const { p, opt } = step(
      [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6],
      [[...g0, ...g0.map((v) => 10 * v)]],
      {},
      [2, 2, 3],
    );
    assert.equal(opt.paramState(0)!.slots.row_var!.length, 4);
    assert.equal(opt.paramState(0)!.slots.col_var!.length, 6);
    close(Array.from(p.subarray(6)), Array.from(p.subarray(0, 6)), 1e-15);
  });
});

describe('Adafactor: the step', () => {
  test('step 1 of a vector: U = sign(G), the step is RMS(p)·min(lr, 1)', () => {
    const x0 = [3, 4];
    const { p } = step(x0, [[1, -2]], { lr: 0.01 });
    const alpha = rms(x0) * 0.01;
    close(p, [3 - alpha, 4 + alpha]);
  });

  test('lr caps the relative step ρ = min(lr, 1/√t): at t = 4 an lr above 1/2 gives ρ = 1/2', () => {
    // G = 1 every step: V stays 1 and U = 1, so each step is α = RMS(p)·ρ.
    const ones = [1, 1];
    for (const lr of [0.6, 0.9]) {
      const { p } = step([2, 2], [ones, ones, ones, ones], { lr });
      let x = 2;
      for (let t = 1; t <= 4; t++) x -= x * Math.min(lr, 1 / Math.sqrt(t));
      close(p, [x, x], 1e-14, `lr ${lr}`);
    }
  });

  test('eps2 floors the parameter RMS: a zero parameter moves by eps2·ρ', () => {
    const { p } = step([0, 0], [[1, -2]], { lr: 0.5, eps: [null, 0.004] });
    close(p, [-0.002, 0.002]);
  });

  test('weight decay is decoupled with lr (not ρ), and α takes RMS(p) before the decay', () => {
    const x0 = [3, 4];
    const { p } = step(x0, [[1, 2]], { lr: 0.5, weightDecay: 0.1 });
    const alpha = rms(x0) * 0.5;
    close(
      p,
      x0.map((x, i) => x * (1 - 0.5 * 0.1) - alpha * sign([1, 2])[i]!),
    );
  });

  test('the update is clipped to RMS d: D = max(1, RMS(U)/d)', () => {
    // Step 1 with a tiny gradient, then G = 1: V = lerp(1e-6, 1, 2^-0.8) < 1, so U = 1/√V > 1.
    const grads = [
      [1e-3, 1e-3],
      [1, 1],
    ];
    const w = 2 ** -0.8;
    const v = 1 - (1 - 1e-6) * (1 - w); // torch's lerp from the far side (w ≥ 0.5)
    const u = 1 / Math.sqrt(v);
    for (const d of [1, 2]) {
      const { p } = step([1, 1], grads, { d });
      const x1 = 1 - 1 * 0.01; // step 1: U = 1, α = RMS(p)·min(lr, 1)
      const alpha = x1 * 0.01;
      // d = 1 clips U (RMS u > 1) back to RMS 1; d = 2 does not (u < 2).
      const x2 = x1 - alpha * (d === 1 ? 1 : u);
      close(p, [x2, x2], 1e-14, `d ${d}`);
    }
  });

  test('eps1 floors the mean row factor as eps1 and V̂ as eps1²', () => {
    // G = 0.01 in a 2×2: R = C = 1e-4, mean R = 1e-4 < eps1 = 1e-3, so V̂ = 1e-8/1e-3 = 1e-5
    // (above eps1² = 1e-6) and U = 0.01/√1e-5. With eps1² at the mean, U would be 1.
    const g = [0.01, 0.01, 0.01, 0.01];
    const { p } = step([1, 1, 1, 1], [g], { eps: [1e-3, 1e-3], d: 10 }, [2, 2]);
    const u = 0.01 / Math.sqrt(1e-5);
    close(
      p,
      [1, 1, 1, 1].map((x) => x - 0.01 * u),
    );
  });

  test('a coordinate with V̂ = 0 and G = 0 does not move (no NaN), also with a tiny eps1', () => {
    for (const eps of [
      [null, 1e-3],
      [1e-30, 1e-3],
    ]) {
      const { p } = step([1, 2, 3, 4], [[0, 1, 0, -1]], { eps }, [2, 2]);
      assert.ok(p.every(Number.isFinite), `${JSON.stringify(eps)}: ${Array.from(p)}`);
      const q = step([1, 2], [[0, 1]], { eps }).p;
      assert.equal(q[0], 1, JSON.stringify(eps));
    }
  });

  test("eps1 null is the machine epsilon of the parameter's type", () => {
    // G = 1e-8: V = 1e-16 is above float64's eps1² (2⁻¹⁰⁴), so U = 1, but below float32's
    // (2⁻⁴⁶): U = 1e-8/2⁻²³ there.
    const g = [[1e-8, 1e-8]];
    const p64 = step([1, 1], g).p;
    close(p64, [0.99, 0.99]);
    const p32 = step([1, 1], g, {}, [2], (xs) => Float32Array.from(xs)).p;
    const u32 = Math.fround(1e-8) / 2 ** -23;
    close(p32, [1 - 0.01 * u32, 1 - 0.01 * u32], 2 ** -23);
  });
});
