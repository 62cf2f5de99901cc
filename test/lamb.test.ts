// LAMB's quirks (kozistr/pytorch_optimizer 3.9.0), each checked against the spec's math
// (shared/reference/extra/README.md, "Lamb") written out here for one step.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LAMB, Lamb, type FloatBuffer } from '../packages/optim/src/index.ts';

const X = [0.5, -1.25, 2, 0.75];
const G = [0.3, -0.2, 0.05, -0.4];
const LR = 0.02;
const EPS = 1e-6;

const norm = (a: readonly number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
const close = (got: ArrayLike<number>, want: readonly number[], tol = 1e-14) =>
  want.forEach((w, i) =>
    assert.ok(
      Math.abs(got[i]! - w) <= tol * Math.max(1, Math.abs(w)),
      `element ${i}: ${got[i]} vs ${w}`,
    ),
  );

/** One step from X with gradient G; returns the parameters and the optimizer. */
function oneStep(options: Record<string, unknown>, x = X, g = G) {
  const p = Float64Array.from(x);
  const opt = new LAMB([p], { lr: LR, ...options });
  opt.step([Float64Array.from(g)]);
  return { p, opt };
}

/** Step 1 of the default rule: m = (1−β₁)g, v = (1−β₂)g², u = m/(√v + ε), step lr/(1−β₁). */
function firstU(g: readonly number[]) {
  return g.map((gi) => (0.1 * gi) / (Math.sqrt(0.001 * gi * gi) + EPS));
}

describe('Lamb', () => {
  test("LAMB is exported as Lamb too, with the fixtures' name", () => {
    assert.equal(Lamb, LAMB);
    assert.equal(new LAMB([new Float64Array(1)]).name, 'Lamb');
  });

  test('the trust ratio is min(‖p‖, 10)/(‖u‖ + ε), with m bias-corrected in the step only', () => {
    const u = firstU(G);
    const tr = Math.min(norm(X), 10) / (norm(u) + EPS);
    const { p, opt } = oneStep({});
    close(
      p,
      X.map((x, i) => x - (LR / 0.1) * tr * u[i]!),
    );
    // v is not bias-corrected: it holds (1−β₂)g² after step 1.
    close(
      opt.paramState(0)!.slots.exp_avg_sq!,
      G.map((g) => 0.001 * g * g),
    );
  });

  test('the weight norm is clamped at 10', () => {
    const big = X.map((x) => 10 * x); // ‖p‖ ≈ 26
    const u = firstU(G);
    const { p } = oneStep({}, big);
    close(
      p,
      big.map((x, i) => x - (LR / 0.1) * (10 / (norm(u) + EPS)) * u[i]!),
    );
  });

  test('a zero parameter tensor takes trust ratio 1', () => {
    const zero = [0, 0, 0, 0];
    const u = firstU(G);
    const { p } = oneStep({}, zero);
    close(
      p,
      u.map((ui) => -(LR / 0.1) * ui),
    );
  });

  test('adam: trust ratio 1; fixedDecay decays by wd, not lr·wd', () => {
    const u = firstU(G);
    const { p } = oneStep({ adam: true, weightDecay: 0.1, fixedDecay: true });
    close(
      p,
      X.map((x, i) => x * 0.9 - (LR / 0.1) * u[i]!),
    );
    // With lr 0 nothing but the fixed decay moves p.
    close(
      oneStep({ lr: 0, weightDecay: 0.1, fixedDecay: true }).p,
      X.map((x) => 0.9 * x),
    );
    close(oneStep({ lr: 0, weightDecay: 0.1 }).p, X);
  });

  test('gradAveraging false weighs g by 1 in m', () => {
    close(oneStep({ gradAveraging: false }).opt.paramState(0)!.slots.exp_avg!, G);
  });

  test('rectify: the first steps go uphill (rt = −1), the ratio divides by ‖p − step·m‖', () => {
    // ρ₁ = 1 < 5: u = m = 0.1g, step size lr·(−1)/0.1, candidate p − step·u = p + lr·g.
    const cand = X.map((x, i) => x + LR * G[i]!);
    const tr = Math.min(norm(X), 10) / (norm(cand) + EPS);
    const { p } = oneStep({ rectify: true });
    close(
      p,
      X.map((x, i) => x + LR * tr * G[i]!),
    );
    // degeneratedToSgd: rt = 1, downhill, candidate p − lr·g.
    const down = X.map((x, i) => x - LR * G[i]!);
    const trDown = Math.min(norm(X), 10) / (norm(down) + EPS);
    close(
      oneStep({ rectify: true, degeneratedToSgd: true }).p,
      X.map((x, i) => x - LR * trDown * G[i]!),
    );
  });

  test('rectify: once ρₜ ≥ 5 the step is the rectified Adam direction', () => {
    // β₂ = 0.999: ρₜ < 5 for steps 1 to 5, ρ₆ ≥ 5.
    const b2 = 0.999;
    const p = Float64Array.from(X);
    const opt = new LAMB([p], { lr: LR, rectify: true, degeneratedToSgd: true });
    for (let t = 1; t <= 5; t++) opt.step([Float64Array.from(G)]);
    const x5 = Array.from(p);
    const st = opt.paramState(0)!;
    const m5 = Array.from(st.slots.exp_avg!);
    const v5 = Array.from(st.slots.exp_avg_sq!);
    opt.step([Float64Array.from(G)]);
    const t = 6;
    const nMax = 2 / (1 - b2) - 1;
    const n = nMax - (2 * t * b2 ** t) / (1 - b2 ** t);
    assert.ok(n >= 5);
    const rt = Math.sqrt(
      ((((((1 - b2 ** t) * (n - 4)) / (nMax - 4)) * (n - 2)) / n) * nMax) / (nMax - 2),
    );
    const m = m5.map((mi, i) => 0.9 * mi + 0.1 * G[i]!);
    const v = v5.map((vi, i) => b2 * vi + 0.001 * G[i]! * G[i]!);
    const u = m.map((mi, i) => mi / (Math.sqrt(v[i]!) + EPS));
    const step = (LR * rt) / (1 - 0.9 ** t);
    const cand = x5.map((x, i) => x - step * u[i]!);
    const tr = Math.min(norm(x5), 10) / (norm(cand) + EPS);
    close(
      p,
      x5.map((x, i) => x - step * tr * u[i]!),
      1e-13,
    );
  });

  test('rectify ignores coupled weight decay; the default path adds it to g', () => {
    const plain = oneStep({ rectify: true }).p;
    close(oneStep({ rectify: true, weightDecouple: false, weightDecay: 0.5 }).p, Array.from(plain));
    const coupled = oneStep({ weightDecouple: false, weightDecay: 0.5 }).opt;
    close(
      coupled.paramState(0)!.slots.exp_avg!,
      G.map((g, i) => 0.1 * (g + 0.5 * X[i]!)),
    );
  });

  test('preNorm: σ over every gradient of the group, in float32, divides (scales up)', () => {
    const f = Math.fround;
    const a = Float64Array.from(X);
    const b = Float64Array.from([1, -2]);
    const ga = [3, -4, 0, 12];
    const gb = [0.5, 1];
    const opt = new LAMB([a, b], { lr: LR, preNorm: true, maxGradNorm: 0.1 });
    opt.step([Float64Array.from(ga), Float64Array.from(gb)]);
    const acc = f(f(0 + f(norm(ga) ** 2)) + f(norm(gb) ** 2));
    const sigma = Math.min(f(f(1 / f(f(Math.sqrt(acc)) + f(EPS))) * f(0.1)), 1);
    assert.ok(sigma < 1);
    close(
      opt.paramState(1)!.slots.exp_avg!,
      gb.map((g) => (0.1 * g) / sigma),
    );
    close(
      opt.paramState(0)!.slots.exp_avg!,
      ga.map((g) => (0.1 * g) / sigma),
    );
    // A small gradient is left alone (σ = 1), and maxGradNorm 0 turns the scaling off.
    close(
      oneStep({ preNorm: true }).opt.paramState(0)!.slots.exp_avg!,
      G.map((g) => 0.1 * g),
    );
    close(
      oneStep({ preNorm: true, maxGradNorm: 0 }, X, ga).opt.paramState(0)!.slots.exp_avg!,
      ga.map((g) => 0.1 * g),
    );
  });

  test('preNorm spans only the buffers that have a gradient this step', () => {
    const a = Float64Array.from(X);
    const b = Float64Array.from([1, -2]);
    const opt = new LAMB([a, b], { lr: LR, preNorm: true, maxGradNorm: 0.1 });
    const ga = [3, -4, 0, 12];
    opt.step([Float64Array.from(ga), null]);
    const f = Math.fround;
    const sigma = f(f(1 / f(f(Math.sqrt(f(norm(ga) ** 2))) + f(EPS))) * f(0.1));
    close(
      opt.paramState(0)!.slots.exp_avg!,
      ga.map((g) => (0.1 * g) / sigma),
    );
    assert.deepEqual(Array.from(b), [1, -2]);
  });

  test('maximize walks uphill: the same step as minimizing −f', () => {
    const up = oneStep({ maximize: true }).p;
    const down = oneStep(
      {},
      X,
      G.map((g) => -g),
    ).p;
    assert.deepEqual(Array.from(up), Array.from(down));
  });

  test('float32 buffers take the same step within float32 rounding', () => {
    const p32 = Float32Array.from(X);
    new LAMB([p32], { lr: LR }).step([Float32Array.from(G)]);
    close(p32 as FloatBuffer, Array.from(oneStep({}).p), 2 ** -22);
  });
});
