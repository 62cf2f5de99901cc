import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOptimizer } from '../packages/optim/src/node.ts';
import { randomArray, seeded, tf, useBackend } from './tfjs-setup.ts';

/**
 * descent against tf.train's optimizers where tfjs has the same algorithm. Where tfjs puts its
 * epsilon elsewhere (Adagrad, RMSprop, Adamax), both run with epsilon 0 when tfjs lets us; tfjs's
 * Adagrad always adds the backend epsilon (1e-7) under the root, which the tolerance accounts for.
 *
 * Tolerance, per element, after N steps (u = 2^-24, float32's unit roundoff):
 *   N·2u·P  +  N·U·(κ + 2N + drift)·u
 * - P = max |p| on the trajectory: each side rounds the parameter to float32 every step.
 * - U = max |Δp| of one step: tfjs rounds after each of its ~10 tensor ops (κ = 16 roundings,
 *   generously), descent once per store; slots are running sums whose rounding errors add up
 *   (at most 2u per step, so 2N in all).
 * - drift: tfjs keeps β^t as a float32 variable multiplied by β every step, so 1 − β^t carries a
 *   relative error up to t·u/(1 − β^t) ≤ u·β/(1 − β); under Adam's square root that is
 *   β₂/(2(1 − β₂)) for the second moment plus β₁/(1 − β₁) for the first. Adagrad's forced
 *   epsilon e under the root changes each update by at most e/(2·a₀) relative (a₀ the initial
 *   accumulator).
 *
 * Both backends: wasm's tensor ops round like cpu's (float32 each), so the bound is the same.
 *
 * Not compared: tf.train.adadelta computes its update from the squared-gradient average of the
 * PREVIOUS step (tfjs 4.22 reads the accumulator before this step's gradient is folded in), so
 * its first steps are ~1/sqrt(eps) times larger than Zeiler's and PyTorch's (measured: the
 * weights differ by 8 after 30 steps). tfjs has no AdamW, AMSGrad, NAdam or RAdam.
 */
const U = 2 ** -24;
const N = 30;
const SIZE = 200;

interface Case {
  name: string;
  descent: [string, Record<string, unknown>];
  tfjs: () => tf.Optimizer;
  drift: number;
}

const adamDrift = 0.999 / (2 * 0.001) + 0.9 / 0.1;
const CASES: Case[] = [
  { name: 'sgd', descent: ['sgd', { lr: 0.1 }], tfjs: () => tf.train.sgd(0.1), drift: 0 },
  {
    name: 'momentum',
    descent: ['sgd', { lr: 0.05, momentum: 0.9 }],
    tfjs: () => tf.train.momentum(0.05, 0.9),
    drift: 0,
  },
  {
    name: 'nesterov',
    descent: ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true }],
    tfjs: () => tf.train.momentum(0.05, 0.9, true),
    drift: 0,
  },
  {
    name: 'adagrad (tfjs: eps 1e-7 under the root)',
    descent: ['adagrad', { lr: 0.1, initialAccumulatorValue: 0.1, eps: 0 }],
    tfjs: () => tf.train.adagrad(0.1, 0.1),
    drift: 1e-7 / (2 * 0.1) / U,
  },
  {
    name: 'rmsprop (eps 0)',
    descent: ['rmsprop', { lr: 0.01, alpha: 0.9, eps: 0 }],
    tfjs: () => tf.train.rmsprop(0.01, 0.9, 0, 0),
    drift: 0,
  },
  {
    name: 'rmsprop centered with momentum (eps 0)',
    descent: ['rmsprop', { lr: 0.01, alpha: 0.9, eps: 0, momentum: 0.5, centered: true }],
    tfjs: () => tf.train.rmsprop(0.01, 0.9, 0.5, 0, true),
    drift: 0,
  },
  {
    name: 'adam',
    descent: ['adam', { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 }],
    tfjs: () => tf.train.adam(0.01, 0.9, 0.999, 1e-8),
    drift: adamDrift,
  },
  {
    name: 'adamax (eps 0)',
    descent: ['adamax', { lr: 0.01, betas: [0.9, 0.999], eps: 0 }],
    tfjs: () => tf.train.adamax(0.01, 0.9, 0.999, 0),
    drift: 0.9 / 0.1,
  },
];

for (const [backend, c] of (['cpu', 'wasm'] as const).flatMap((b) =>
  CASES.map((k) => [b, k] as const),
)) {
  test(`descent ${c.descent[0]} agrees with tf.train on ${backend}: ${c.name}`, async (t) => {
    await useBackend(backend);
    const rand = seeded(11);
    const init = randomArray(rand, SIZE);
    const v = tf.variable(tf.tensor1d(init.slice()));
    const ref = init.slice();
    const core = createOptimizer(c.descent[0], [ref], c.descent[1]);
    const tfjs = c.tfjs();
    let P = 0;
    let maxStep = 0;
    for (let step = 0; step < N; step++) {
      // Gradients bounded away from 0, so that the epsilon-free rules never divide by 0.
      const g = Float32Array.from({ length: SIZE }, () => {
        const r = rand();
        return Math.sign(r || 1) * (0.1 + 0.9 * Math.abs(r));
      });
      const gt = tf.tensor1d(g);
      tfjs.applyGradients([{ name: v.name, tensor: gt }]);
      gt.dispose();
      const prev = ref.slice();
      core.step([g]);
      ref.forEach((x, i) => {
        P = Math.max(P, Math.abs(x));
        maxStep = Math.max(maxStep, Math.abs(x - (prev[i] as number)));
      });
    }
    const tol = N * 2 * U * P + N * maxStep * (16 + 2 * N + c.drift) * U;
    const got = v.dataSync();
    let worst = 0;
    ref.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - (got[i] as number)))));
    t.diagnostic(`worst |Δ| ${worst.toExponential(2)}, tolerance ${tol.toExponential(2)}`);
    assert.ok(worst <= tol, `worst difference ${worst} exceeds the derived tolerance ${tol}`);
    // The trajectories moved: a vacuous comparison would pass too.
    assert.ok(maxStep > 1e-3, 'the parameters moved');
    tfjs.dispose();
    v.dispose();
  });
}
