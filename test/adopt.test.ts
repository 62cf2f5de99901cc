// ADOPT's quirks, each asserted from the update rule of the reference set's README
// (shared/reference/extra, section "ADOPT"; iShohei220/adopt, commit 6468572b) or its golden files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ADOPT, createOptimizer } from '../packages/optim/src/node.ts';
import { adoptDescriptor, clipExponentFromReference } from '../packages/optim/src/rules/adopt.ts';

// The lerp weight 1 − β₁ as the reference computes it (1 − 0.9 is not 0.1 in float64).
const W = 1 - 0.9;

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/extra/${name}.json`, import.meta.url), 'utf8')) as {
    x0: number[];
    trajectory: number[][];
    options: Record<string, unknown>;
  };

/** Runs ADOPT on one buffer from x0 through the given gradients; the parameters after each step. */
function run(x0: number[], grads: number[][], options: Record<string, unknown> = {}) {
  const x = Float64Array.from(x0);
  const opt = new ADOPT([x], options);
  const out: number[][] = [];
  for (const g of grads) {
    opt.step([Float64Array.from(g)]);
    out.push(Array.from(x));
  }
  return { out, opt };
}

describe('ADOPT: the first step only seeds v', () => {
  test('the golden trajectories start with x0 itself', () => {
    for (const name of [
      'adopt_default__ls',
      'adopt_wd_decoupled__ls',
      'adopt_noclip_maximize__ls',
    ]) {
      const c = fixture(name);
      assert.deepEqual(c.trajectory[0], c.x0, name);
    }
  });

  for (const [label, options, v] of [
    ['plain: v = g²', {}, [4, 0.25]],
    // G = g + wd·x: (2 + 0.5·1)², (−0.5 + 0.5·(−3))²
    ['coupled decay: v = (g + wd·x)²', { weightDecay: 0.5 }, [6.25, 4]],
    ['maximize: v = (−g)²', { maximize: true }, [4, 0.25]],
    // Decoupled decay is part of the later steps only: x does not shrink on step 1.
    ['decoupled decay: v = g², x not shrunk', { weightDecay: 0.5, decouple: true }, [4, 0.25]],
  ] as const) {
    test(label, () => {
      const { out, opt } = run([1, -3], [[2, -0.5]], options);
      assert.deepEqual(out[0], [1, -3]);
      const st = opt.paramState(0)!;
      assert.deepEqual(Array.from(st.slots.exp_avg_sq!), v);
      assert.deepEqual(Array.from(st.slots.exp_avg!), [0, 0]);
    });
  }
});

describe('ADOPT: later steps', () => {
  // With g₁ = 2e-6 (√v = 2e-6 > eps = 1e-6) and g₂ = 1e-6: n = g₂/max(√v, eps) = 0.5. Were eps
  // added to √v, n would be 1e-6/3e-6.
  test('eps is a floor on √v, not a term added to it', () => {
    const { out } = run([0], [[2e-6], [1e-6]], { lr: 1 });
    // m = lerp(0, n, 1 − β₁) = W·0.5; p = 0 − 1·m
    assert.equal(out[1]![0], -(W * 0.5));
  });

  test('the normalised gradient is clipped to ±s^0.25, s the completed steps', () => {
    // Step 2 (s = 1): n = 5/1 = 5 is clipped to 1; without clipping m = W·5.
    const clipped = run([0], [[1], [5]], { lr: 1 });
    assert.equal(clipped.out[1]![0], -W);
    const free = run([0], [[1], [5]], { lr: 1, clipExponent: null });
    assert.equal(free.out[1]![0], -(W * 5));
    // Step 17 (s = 16): the clip is 16^0.25 = 2; with β₂ = 0, v is the previous g² = 1 and n = 9.
    const grads = [...Array(16).fill([1]), [9]] as number[][];
    const late = run([0], grads, { lr: 1, betas: [0, 0] });
    // β₁ = 0: m = n, so the last move is exactly −clip.
    assert.equal(late.out[16]![0] - late.out[15]![0], -2);
    const half = run([0], grads, { lr: 1, betas: [0, 0], clipExponent: 0.5 });
    assert.equal(half.out[16]![0] - half.out[15]![0], -4);
  });

  test('v takes the gradient after the step: step t normalises by v of the steps before', () => {
    // β₁ = 0 and β₂ = 0.5, no clipping: step 2 uses v₁ = 4 (n = 8/2), then v₂ = 0.5·4 + 0.5·64.
    const { out, opt } = run([0], [[2], [8]], { lr: 1, betas: [0, 0.5], clipExponent: null });
    assert.equal(out[1]![0], -4);
    assert.deepEqual(Array.from(opt.paramState(0)!.slots.exp_avg_sq!), [34]);
  });

  test('decoupled decay shrinks x by lr·wd before the step; coupled decay joins G', () => {
    // Step 2 with g = 0 everywhere after a seed of v = 1: n = 0 (decoupled) and x ← x − lr·wd·x.
    const d = run([2], [[1], [0]], { lr: 0.1, weightDecay: 0.5, decouple: true });
    assert.equal(d.out[1]![0], 2 - 0.1 * 0.5 * 2);
    // Coupled: G₂ = 0 + 0.5·x = 1 against √v₁ = |1 + 0.5·2| = 2, n = 0.5, m = W·0.5, x −= 0.1·m.
    const c = run([2], [[1], [0]], { lr: 0.1, weightDecay: 0.5 });
    assert.equal(c.out[1]![0], 2 - 0.1 * (W * 0.5));
  });
});

describe('ADOPT: clip_lambda from the reference', () => {
  test('"step**e" is the exponent e; null does not clip; other expressions are refused', () => {
    assert.equal(clipExponentFromReference('step**0.25'), 0.25);
    assert.equal(clipExponentFromReference('step ** 0.5'), 0.5);
    assert.equal(clipExponentFromReference(null), null);
    assert.throws(
      () => clipExponentFromReference('lambda s: s'),
      /^RangeError: ADOPT: clip_lambda must be "step\*\*<exponent>" or null, got "lambda s: s"$/,
    );
  });

  test('the descriptor maps the fixtures’ kwargs and leaves the others alone', () => {
    const from = adoptDescriptor.fromReference!;
    assert.deepEqual(from({ clipLambda: 'step**0.25', lr: 0.02 }), {
      clipExponent: 0.25,
      lr: 0.02,
    });
    assert.deepEqual(from({ clipLambda: null, maximize: true }), {
      clipExponent: null,
      maximize: true,
    });
    assert.deepEqual(from({ lr: 0.02, decouple: true }), { lr: 0.02, decouple: true });
  });

  test('clipExponent null survives a JSON round trip of the state dict and resumes the run', () => {
    const grads = [
      [1, -2],
      [3, 0.5],
      [-1, 1],
      [2, 2],
    ];
    const whole = run([0.5, -0.5], grads, { lr: 0.1, clipExponent: null });
    const half = run([0.5, -0.5], grads.slice(0, 2), { lr: 0.1, clipExponent: null });
    const json = JSON.parse(
      JSON.stringify(half.opt.stateDict(), (_, v) =>
        ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
      ),
    );
    assert.equal(json.paramGroups[0].clipExponent, null);
    for (const st of json.state) {
      for (const k of Object.keys(st.slots)) st.slots[k] = Float64Array.from(st.slots[k]);
    }
    const x = Float64Array.from(half.out[1]!);
    const resumed = createOptimizer('adopt', [x]);
    resumed.loadStateDict(json);
    for (const g of grads.slice(2)) resumed.step([Float64Array.from(g)]);
    assert.deepEqual(Array.from(x), whole.out[3]);
  });
});
