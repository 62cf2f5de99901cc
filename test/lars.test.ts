// LARS's quirks (kozistr/pytorch_optimizer 3.9.0), each checked against the spec's math
// (shared/reference/extra/README.md, "LARS") written out here for one or two steps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LARS, SGD } from '../packages/optim/src/index.ts';

// A 2×3 matrix and its gradient, row-major.
const W = [0.5, -1.25, 2, 0.75, -0.3, 1.1];
const G = [0.3, -0.2, 0.05, -0.4, 0.6, -0.1];
const LR = 0.05;

const norm = (a: readonly number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
const close = (got: ArrayLike<number>, want: readonly number[], tol = 1e-14) =>
  want.forEach((w, i) =>
    assert.ok(
      Math.abs(got[i]! - w) <= tol * Math.max(1, Math.abs(w)),
      `element ${i}: ${got[i]} vs ${w}`,
    ),
  );

/** Steps from W with gradient G each time; `shape` given (a matrix) or not (a vector). */
function run(options: Record<string, unknown>, shape: number[] | null, steps = 1, w = W) {
  const p = Float64Array.from(w);
  const group = shape ? { params: [p], shapes: [shape] } : { params: [p] };
  const opt = new LARS([group], { lr: LR, ...options });
  for (let k = 0; k < steps; k++) opt.step([Float64Array.from(G)]);
  return { p, opt };
}

describe('LARS', () => {
  test('a matrix steps by (g + wd·p)·η‖p‖/‖g‖, ‖g‖ without the decay', () => {
    const tc = 0.02;
    const wd = 0.01;
    const tr = (tc * norm(W)) / norm(G);
    const { p } = run({ momentum: 0, trustCoefficient: tc, weightDecay: wd }, [2, 3]);
    close(
      p,
      W.map((w, i) => w - LR * ((G[i]! + wd * w) * tr)),
    );
  });

  test('a vector (no shape of 2+ dimensions) gets neither the trust ratio nor weight decay', () => {
    const options = { momentum: 0, trustCoefficient: 0.02, weightDecay: 0.5 };
    const expected = W.map((w, i) => w - LR * G[i]!);
    close(run(options, null).p, expected);
    close(run(options, [6]).p, expected);
    // A 3-D shape is a matrix too.
    assert.notDeepEqual(Array.from(run(options, [1, 2, 3]).p), expected);
  });

  test('a zero matrix takes trust ratio 1', () => {
    const zero = W.map(() => 0);
    close(
      run({ momentum: 0, weightDecay: 0.1 }, [2, 3], 1, zero).p,
      G.map((g) => -LR * g),
    );
  });

  test('the momentum buffer starts at the raw gradient: step 1 moves by μ·g + (1−τ)·g_scaled', () => {
    const mu = 0.9;
    const damp = 0.1;
    const tc = 0.02;
    const tr = (tc * norm(W)) / norm(G);
    const { p, opt } = run({ momentum: mu, dampening: damp, trustCoefficient: tc }, [2, 3]);
    const buf = G.map((g) => mu * g + (1 - damp) * g * tr);
    close(opt.paramState(0)!.slots.momentum_buffer!, buf);
    close(
      p,
      W.map((w, i) => w - LR * buf[i]!),
    );
    // Not torch SGD's first step (b = g): on a vector with dampening 0 LARS moves 1.9 times as far.
    const sgd = Float64Array.from(W);
    new SGD([sgd], { lr: LR, momentum: mu }).step([Float64Array.from(G)]);
    close(
      run({ momentum: mu }, null).p,
      W.map((w, i) => w - 1.9 * (w - sgd[i]!)),
      1e-13,
    );
  });

  test('with maximize the first buffer takes the raw gradient un-negated', () => {
    // b = μ·g − g = −0.1·g, so p moves by +0.1·lr·g on step 1.
    const { p } = run({ momentum: 0.9, maximize: true }, null);
    close(
      p,
      W.map((w, i) => w + 0.1 * LR * G[i]!),
    );
  });

  test('later steps are heavy ball; nesterov adds μ·b to the scaled gradient', () => {
    const mu = 0.9;
    const b1 = G.map((g) => mu * g + g);
    const b2 = b1.map((b, i) => mu * b + G[i]!);
    const x1 = W.map((w, i) => w - LR * b1[i]!);
    close(
      run({ momentum: mu }, null, 2).p,
      x1.map((x, i) => x - LR * b2[i]!),
    );
    const n1 = W.map((w, i) => w - LR * (G[i]! + mu * b1[i]!));
    close(
      run({ momentum: mu, nesterov: true }, null, 2).p,
      n1.map((x, i) => x - LR * (G[i]! + mu * b2[i]!)),
    );
  });

  test('momentum 0 keeps no state slot', () => {
    const { opt } = run({ momentum: 0 }, [2, 3]);
    assert.deepEqual(Object.keys(opt.paramState(0)!.slots), []);
  });
});
