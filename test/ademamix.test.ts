// AdEMAMix's quirks, each asserted from the update rule of the reference set's README
// (shared/reference/extra, section "AdEMAMix"; apple/ml-ademamix, commit c3d73c09). The numbers
// are chosen binary-exact (β = 0.5, 0.75) so that the spec's math gives them exactly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdEMAMix } from '../packages/optim/src/node.ts';
import { ademamixAlpha, ademamixBeta3 } from '../packages/optim/src/rules/ademamix.ts';

/** Runs AdEMAMix on one buffer; the parameters after each step, and the optimizer. */
function run(x0: number[], grads: number[][], options: Record<string, unknown>) {
  const x = Float64Array.from(x0);
  const opt = new AdEMAMix([x], options);
  const out: number[][] = [];
  for (const g of grads) {
    opt.step([Float64Array.from(g)]);
    out.push(Array.from(x));
  }
  return { out, opt };
}

// Step 1 with g = 1, lr = 1, eps = 0, α = 2, β₂ = 0.75, β₃ = 0.5: v = 0.25, √v/√(1 − β₂) = 1 and
// m₂ = 0.5 enters as α·m₂ = 1 (bias-corrected it would be 2).
const EXACT = { lr: 1, eps: 0, alpha: 2 };

describe('AdEMAMix: the step', () => {
  test('the fast EMA is bias-corrected, the slow one is not', () => {
    // m₁ = 0.5, m₁/(1 − 0.5) = 1; u = (1 + 2·0.5)/1 = 2.
    const { out } = run([0], [[1]], { ...EXACT, betas: [0.5, 0.75, 0.5] });
    assert.deepEqual(out[0], [-2]);
  });

  test('β₁ = 0 keeps no fast EMA: the gradient stands in for it', () => {
    const { out, opt } = run([0], [[1]], { ...EXACT, betas: [0, 0.75, 0.5] });
    assert.deepEqual(out[0], [-2]);
    assert.deepEqual(Object.keys(opt.paramState(0)!.slots).sort(), ['exp_avg_slow', 'exp_avg_sq']);
    const full = run([0], [[1]], {}).opt;
    assert.deepEqual(Object.keys(full.paramState(0)!.slots).sort(), [
      'exp_avg_fast',
      'exp_avg_slow',
      'exp_avg_sq',
    ]);
  });

  test('weight decay is decoupled and scaled by lr only', () => {
    // g = 0: every EMA stays 0, u = 0/(0 + eps) + wd·x.
    const { out } = run([2], [[0], [0]], { lr: 0.1, weightDecay: 0.5 });
    assert.equal(out[0]![0], 2 + -0.1 * (0.5 * 2));
    assert.equal(out[1]![0], out[0]![0]! + -0.1 * (0.5 * out[0]![0]!));
  });
});

describe('AdEMAMix: warmups', () => {
  test('α ramps linearly from 0 over alphaWarmup steps, then stays', () => {
    for (const [t, want] of [
      [0, 0],
      [10, 1.25],
      [39, 4.875],
      [40, 5],
      [1000, 5],
    ] as const) {
      assert.equal(ademamixAlpha(5, 40, t), want, `t = ${t}`);
    }
    assert.equal(ademamixAlpha(5, null, 1), 5);
    // In a step: α₁ = 2·1/4, u = (1 + 0.5·0.5)/1.
    const { out } = run([0], [[1]], { ...EXACT, betas: [0.5, 0.75, 0.5], alphaWarmup: 4 });
    assert.deepEqual(out[0], [-1.25]);
  });

  test('β₃ warms up from β₁ linearly in half-life, then stays', () => {
    // Half-lives ln 0.5/ln β: 1 step for β₁ = 0.5, 3 steps for β₃ = 0.5^(1/3); halfway, 2 steps.
    const b3 = 0.5 ** (1 / 3);
    const halfway = ademamixBeta3(0.5, b3, 10, 5);
    assert.ok(Math.abs(halfway - Math.SQRT1_2) < 1e-7, `${halfway}`);
    // Half-life at t: (1 − t/T)·1 + (t/T)·3, up to the reference's 1e-8 inside the log.
    for (let t = 1; t < 10; t++) {
      const life = Math.log(0.5) / Math.log(ademamixBeta3(0.5, b3, 10, t));
      assert.ok(Math.abs(life - (1 + (2 * t) / 10)) < 1e-6, `t = ${t}: ${life}`);
    }
    assert.equal(ademamixBeta3(0.5, b3, 10, 10), b3);
    assert.equal(ademamixBeta3(0.5, b3, 10, 11), b3);
    assert.equal(ademamixBeta3(0.5, b3, null, 1), b3);
  });

  test('the warmups count each parameter’s own steps', () => {
    const a = Float64Array.of(0.3);
    const b = Float64Array.of(0.3);
    const opt = new AdEMAMix([a, b], { lr: 0.1, alphaWarmup: 5, beta3Warmup: 5 });
    opt.step([Float64Array.of(1), null]);
    const afterFirst = a[0];
    opt.step([Float64Array.of(2), Float64Array.of(1)]);
    // b's first step (at the optimizer's second) is a's first step.
    assert.equal(b[0], afterFirst);
  });
});
