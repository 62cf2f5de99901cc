// LBFGS's counting quirks, exits and state, each asserted from the update rule of the reference
// set's README (shared/reference/extra, section "LBFGS"; torch 1.13's torch.optim.LBFGS) or from
// the math of small problems worked by hand; its golden trajectories run in test/golden.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createOptimizer,
  LBFGS,
  type FloatBuffer,
  type LBFGSStateDict,
} from '../packages/optim/src/node.ts';
import { lbfgsDescriptor } from '../packages/optim/src/rules/lbfgs.ts';
import { makeQuadratic } from '../packages/lab/src/lab/browser.ts';
import { Race } from '../web/src/race.ts';
import { findTrainOptimizer, TRAIN_OPTIMIZERS } from '../packages/lab/src/cli/train-optimizer.ts';

type Loss = (x: Float64Array, g: Float64Array) => number;

/**
 * A closure over `params` (flattened in order, as LBFGS sees them) for `loss`, which returns f
 * and writes ∇f; it counts its calls.
 */
function closureOf(params: readonly FloatBuffer[], loss: Loss) {
  const n = params.reduce((a, p) => a + p.length, 0);
  const x = new Float64Array(n);
  const g = new Float64Array(n);
  const closure = (grads: readonly FloatBuffer[]) => {
    closure.calls += 1;
    let o = 0;
    for (const p of params) {
      x.set(p, o);
      o += p.length;
    }
    const f = loss(x, g);
    o = 0;
    for (const b of grads) {
      b.set(g.subarray(o, o + b.length));
      o += b.length;
    }
    return f;
  };
  closure.calls = 0;
  return closure;
}

/** f = ½ Σ aᵢ xᵢ² (a convex quadratic, minimum 0 at 0). */
const bowl =
  (a: readonly number[]): Loss =>
  (x, g) => {
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      g[i] = a[i]! * x[i]!;
      f += 0.5 * a[i]! * x[i]! * x[i]!;
    }
    return f;
  };

/** f = c·x: a constant gradient, so y = Δg = 0 and no curvature pair is ever stored. */
const linear =
  (c: readonly number[]): Loss =>
  (x, g) => {
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      g[i] = c[i]!;
      f += c[i]! * x[i]!;
    }
    return f;
  };

/** The n-dimensional Rosenbrock function Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)². */
const rosenbrock: Loss = (x, g) => {
  let f = 0;
  g.fill(0);
  for (let i = 0; i + 1 < x.length; i++) {
    const u = x[i + 1]! - x[i]! * x[i]!;
    const v = 1 - x[i]!;
    f += 100 * u * u + v * v;
    g[i]! += -400 * x[i]! * u - 2 * v;
    g[i + 1]! += 200 * u;
  }
  return f;
};

const ROSEN_START = [-1.2, 1, -0.5, 0.8, 1.3];

describe('LBFGS: counting quirks', () => {
  test('maxEval defaults to ⌊1.25·maxIter⌋, resolved in the group as torch does', () => {
    for (const [maxIter, maxEval] of [
      [20, 25],
      [3, 3],
      [4, 5],
      [1, 1],
    ] as const) {
      const opt = new LBFGS([new Float64Array(2)], { maxIter });
      assert.equal(opt.paramGroups[0]!.maxEval, maxEval, `maxIter ${maxIter}`);
    }
    assert.equal(new LBFGS([new Float64Array(1)], { maxEval: 7 }).paramGroups[0]!.maxEval, 7);
  });

  test('maxIter 3 with the default maxEval 3: 2 iterations and 3 closure calls (the README example)', () => {
    const x = Float64Array.of(3, -2, 1);
    const opt = new LBFGS([x], { maxIter: 3, lr: 0.1 });
    const closure = closureOf([x], bowl([1, 2, 3]));
    opt.step(closure);
    assert.deepEqual(opt.lastStep, { closureEvals: 3, iterations: 2 });
    assert.equal(closure.calls, 3);
  });

  test('max|g| <= toleranceGrad at the start: 1 call, 0 iterations, nothing moves, the loss is returned', () => {
    const x = Float64Array.of(0, 0);
    const opt = new LBFGS([x]);
    const loss = opt.step(closureOf([x], (_, g) => (g.fill(0), 5)));
    assert.equal(loss, 5);
    assert.deepEqual(opt.lastStep, { closureEvals: 1, iterations: 0 });
    assert.deepEqual(Array.from(x), [0, 0]);
    assert.deepEqual(opt.groupState(0), {
      func_evals: 1,
      n_iter: 0,
      t: 0,
      H_diag: 1,
      prev_loss: 0,
    });
    // toleranceGrad is inclusive: max|g| = 0.25 <= 0.25 stops too.
    const y = Float64Array.of(0.5);
    const near = new LBFGS([y], { toleranceGrad: 0.25 });
    near.step(closureOf([y], bowl([0.5])));
    assert.deepEqual(near.lastStep, { closureEvals: 1, iterations: 0 });
    assert.deepEqual(Array.from(y), [0.5]);
  });

  test('without a line search the last iteration moves without calling the closure', () => {
    // maxIter 4, maxEval out of reach: 1 call at the start, 1 after each of iterations 1..3.
    const x = Float64Array.of(3, -2, 1);
    const opt = new LBFGS([x], { maxIter: 4, maxEval: 100, lr: 0.1 });
    const closure = closureOf([x], bowl([1, 2, 3]));
    opt.step(closure);
    assert.deepEqual(opt.lastStep, { closureEvals: 4, iterations: 4 });
    assert.equal(closure.calls, 4);
    // The step's loss is the one at its start: the stale state is re-evaluated by the next step.
    const before = bowl([1, 2, 3])(Float64Array.from(x), new Float64Array(3));
    assert.equal(opt.step(closure), before);
  });

  test('the step returns the loss at its start, and func_evals and n_iter add up over steps', () => {
    const x = Float64Array.from(ROSEN_START);
    const opt = new LBFGS([x], { maxIter: 5, lineSearchFn: 'strong_wolfe' });
    const closure = closureOf([x], rosenbrock);
    let evals = 0;
    let iterations = 0;
    for (let k = 0; k < 4; k++) {
      const start = rosenbrock(Float64Array.from(x), new Float64Array(x.length));
      assert.equal(opt.step(closure), start);
      evals += opt.lastStep.closureEvals;
      iterations += opt.lastStep.iterations;
    }
    assert.equal(closure.calls, evals);
    const st = opt.groupState(0);
    assert.equal(st.func_evals, evals);
    assert.equal(st.n_iter, iterations);
  });

  test('the first step size min(1, 1/Σ|g|)·lr is for the very first iteration only; then a 1-D quadratic gets Newton steps', () => {
    // f = ½·4x² from x = 3: g = 12, so t = min(1, 1/12)·lr and x₁ = x₀ − t·g.
    const lr = 0.6;
    const x = Float64Array.of(3);
    const opt = new LBFGS([x], { lr, maxIter: 1 });
    const closure = closureOf([x], bowl([4]));
    opt.step(closure);
    const x1 = 3 + Math.min(1, 1 / 12) * lr * -12;
    assert.equal(x[0], x1);
    // Step 2: one pair, s = x₁ − x₀, y = 4s, H_diag = 1/4, and the two-loop recursion gives
    // d = −g/4 (Newton's direction); t = lr, not min(1, 1/|g|)·lr, though a new step began.
    opt.step(closure);
    const x2 = x1 - lr * x1;
    assert.ok(Math.abs(x[0]! - x2) <= 1e-15 * Math.abs(x1), `${x[0]} vs ${x2}`);
    const state = opt.stateDict();
    assert.equal(state.lbfgs.old_dirs.length, 1);
    assert.ok(Math.abs(state.groupState![0]!.H_diag! - 0.25) <= 1e-15);
  });

  test('a pair with y·s <= 1e-10 is not stored: a linear loss keeps d = −g and H_diag = 1', () => {
    // g is constant, so y = 0 at every iteration: d = −c each time, t = min(1, 1/Σ|c|)·lr on the
    // first iteration and lr on the others. maxIter 3 without a line search: 3 moves.
    const c = [2, -1];
    const lr = 0.01;
    const x = Float64Array.of(1, 1);
    const opt = new LBFGS([x], { lr, maxIter: 3, maxEval: 100 });
    opt.step(closureOf([x], linear(c)));
    assert.deepEqual(opt.lastStep, { closureEvals: 3, iterations: 3 });
    const t1 = Math.min(1, 1 / 3) * lr;
    const want = [1, 1].map((xi, i) => xi + t1 * -c[i]! + lr * -c[i]! + lr * -c[i]!);
    assert.deepEqual(Array.from(x), want);
    const state = opt.stateDict();
    assert.equal(state.lbfgs.old_dirs.length, 0);
    assert.equal(state.groupState![0]!.H_diag, 1);
  });
});

describe('LBFGS: the stop checks, in their order', () => {
  test('g·d > −toleranceChange: the iteration breaks before any move', () => {
    // g = (1, 1), d = −g: g·d = −2 > −3.
    const x = Float64Array.of(1, 1);
    const opt = new LBFGS([x], { toleranceChange: 3 });
    opt.step(closureOf([x], bowl([1, 1])));
    assert.deepEqual(opt.lastStep, { closureEvals: 1, iterations: 1 });
    assert.deepEqual(Array.from(x), [1, 1]);
    // The iteration counted, and its t and prev_loss were kept.
    assert.deepEqual(opt.groupState(0), {
      func_evals: 1,
      n_iter: 1,
      t: 0.5,
      H_diag: 1,
      prev_loss: 1,
    });
  });

  test('it = maxIter, then evals >= maxEval', () => {
    const run = (options: Record<string, unknown>) => {
      const x = Float64Array.of(3, -2);
      const opt = new LBFGS([x], { lr: 0.1, ...options });
      opt.step(closureOf([x], bowl([1, 3])));
      return opt.lastStep;
    };
    assert.deepEqual(run({ maxIter: 3, maxEval: 100 }), { closureEvals: 3, iterations: 3 });
    // One call per iteration: the 4th call (after iteration 3) reaches maxEval 4.
    assert.deepEqual(run({ maxIter: 10, maxEval: 4 }), { closureEvals: 4, iterations: 3 });
    // maxEval 1: the first iteration's call already reaches it.
    assert.deepEqual(run({ maxIter: 10, maxEval: 1 }), { closureEvals: 2, iterations: 1 });
  });

  test('max|g| <= toleranceGrad after a move', () => {
    // f = ½x² from 0.5: t = min(1, 1/0.5) = 1 and x₁ = 0.5 − 0.5 = 0, where g = 0.
    const x = Float64Array.of(0.5);
    const opt = new LBFGS([x]);
    opt.step(closureOf([x], bowl([1])));
    assert.deepEqual(opt.lastStep, { closureEvals: 2, iterations: 1 });
    assert.deepEqual(Array.from(x), [0]);
  });

  test('max|t·d| <= toleranceChange', () => {
    // t·d = 1e-10·(−1) after the first move; g·d = −1 passes the slope test.
    const x = Float64Array.of(1);
    const opt = new LBFGS([x], { lr: 1e-10 });
    opt.step(closureOf([x], bowl([1])));
    assert.deepEqual(opt.lastStep, { closureEvals: 2, iterations: 1 });
  });

  test('|f − f_prev| < toleranceChange (checked after max|t·d|)', () => {
    // f = ½x² from 1, lr 1e-3: the move is 1e-3 and f drops by ½(1 − 0.999²) = 9.995e-4. A
    // toleranceChange between the two stops on the loss change only.
    const x = Float64Array.of(1);
    const tol = 9.998e-4;
    const opt = new LBFGS([x], { lr: 1e-3, toleranceChange: tol });
    opt.step(closureOf([x], bowl([1])));
    assert.deepEqual(opt.lastStep, { closureEvals: 2, iterations: 1 });
    // With a tolerance just under the loss change it goes on to a second iteration.
    const y = Float64Array.of(1);
    const on = new LBFGS([y], { lr: 1e-3, toleranceChange: 9.99e-4 });
    on.step(closureOf([y], bowl([1])));
    assert.ok(on.lastStep.iterations > 1);
  });
});

describe('LBFGS: the strong-Wolfe line search', () => {
  test('an accepted first trial, then a Newton step to the minimum of a 1-D quadratic', () => {
    // f = ½x² from 2: t = min(1, 1/2) = 0.5 reaches x = 1, where |g·d| = 2 <= 0.9·4: accepted
    // (2 calls). Then one pair (s = −1, y = −1, H_diag = 1) and d = −g = −1 with t = 1: x = 0,
    // accepted at once (3 calls), and max|g| = 0 ends the step.
    const x = Float64Array.of(2);
    const opt = new LBFGS([x], { lineSearchFn: 'strong_wolfe' });
    opt.step(closureOf([x], bowl([1])));
    assert.deepEqual(opt.lastStep, { closureEvals: 3, iterations: 2 });
    assert.deepEqual(Array.from(x), [0]);
  });

  test('an overshooting trial is zoomed by cubic interpolation to the exact minimiser', () => {
    // f = ½x² from 2 with lr 10: t = 0.5·10 = 5 lands at x = −8, f = 32 > Armijo: bracket [0, 5]
    // with φ(0) = 2, φ'(0) = −4, φ(5) = 32, φ'(5) = 16. The cubic through them is the
    // quadratic φ itself, whose minimiser is t = 1 (x = 0): accepted, 3 calls, 1 iteration.
    const x = Float64Array.of(2);
    const opt = new LBFGS([x], { lineSearchFn: 'strong_wolfe', lr: 10 });
    opt.step(closureOf([x], bowl([1])));
    assert.deepEqual(opt.lastStep, { closureEvals: 3, iterations: 1 });
    assert.deepEqual(Array.from(x), [0]);
    assert.equal(opt.groupState(0).t, 1);
  });

  test('the loss never rises from step to step (Armijo), and falls', () => {
    const x = Float64Array.from(ROSEN_START);
    const opt = new LBFGS([x], { lineSearchFn: 'strong_wolfe', maxIter: 3 });
    const closure = closureOf([x], rosenbrock);
    const first = opt.step(closure);
    let prev = first;
    for (let k = 1; k < 10; k++) {
      const f = opt.step(closure);
      assert.ok(f <= prev, `step ${k}: ${f} after ${prev}`);
      prev = f;
    }
    assert.ok(prev < first);
  });
});

describe('LBFGS: history', () => {
  test('historySize pairs are kept, the oldest dropped first', () => {
    // Iterations 2..4 of a step with maxIter 4 make 3 pairs. With historySize 2 the first 3
    // iterations (at most 2 pairs) match a large history exactly; the 4th direction differs, and
    // the 2 pairs kept are the large history's last 2.
    const run = (historySize: number, maxIter: number) => {
      const x = Float64Array.from(ROSEN_START);
      const opt = new LBFGS([x], { historySize, maxIter, maxEval: 100, lr: 0.001 });
      opt.step(closureOf([x], rosenbrock));
      return { x: Array.from(x), state: opt.stateDict() };
    };
    assert.deepEqual(run(2, 3).x, run(100, 3).x);
    const small = run(2, 4);
    const large = run(100, 4);
    assert.notDeepEqual(small.x, large.x);
    assert.equal(small.state.lbfgs.old_dirs.length, 2);
    assert.equal(large.state.lbfgs.old_dirs.length, 3);
    for (const key of ['old_dirs', 'old_stps', 'ro'] as const) {
      assert.deepEqual(small.state.lbfgs[key], large.state.lbfgs[key].slice(1), key);
    }
  });

  test('each pair is (y, s) = (Δg, t·d) with ρ = 1/(y·s), s the move just made', () => {
    const x = Float64Array.from(ROSEN_START);
    const opt = new LBFGS([x], { historySize: 3, maxIter: 1, lr: 1e-3 });
    const closure = closureOf([x], rosenbrock);
    opt.step(closure);
    const before = Array.from(x);
    const gBefore = new Float64Array(x.length);
    rosenbrock(Float64Array.from(x), gBefore);
    opt.step(closure);
    const state = opt.stateDict().lbfgs;
    const s = state.old_stps.at(-1)!;
    const y = state.old_dirs.at(-1)!;
    // s is the previous step's move: x₁ − x₀ (up to the rounding of x₁).
    const x0 = ROSEN_START;
    // (|x| < 2: one ulp is 2.2e-16.)
    s.forEach((v, i) => assert.ok(Math.abs(v - (before[i]! - x0[i]!)) <= 2.3e-16));
    // y is g(x₁) − g(x₀).
    const g0 = new Float64Array(x.length);
    rosenbrock(Float64Array.from(x0), g0);
    y.forEach((v, i) => assert.equal(v, gBefore[i]! - g0[i]!));
    let ys = 0;
    for (let i = 0; i < s.length; i++) ys += y[i]! * s[i]!;
    assert.equal(state.ro.at(-1), 1 / ys);
  });
});

describe('LBFGS: parameters, groups, maximize', () => {
  test('several buffers are one flattened vector: the same run as one buffer, bit for bit', () => {
    const whole = Float64Array.from(ROSEN_START);
    const parts = [
      Float64Array.from(ROSEN_START.slice(0, 2)),
      Float64Array.from(ROSEN_START.slice(2)),
    ];
    const a = new LBFGS([whole], { lineSearchFn: 'strong_wolfe', maxIter: 4 });
    const b = new LBFGS(parts, { lineSearchFn: 'strong_wolfe', maxIter: 4 });
    const ca = closureOf([whole], rosenbrock);
    const cb = closureOf(parts, rosenbrock);
    for (let k = 0; k < 5; k++) {
      assert.equal(a.step(ca), b.step(cb));
      assert.deepEqual(a.lastStep, b.lastStep);
      assert.deepEqual([...parts[0]!, ...parts[1]!], Array.from(whole));
    }
  });

  test('float32 and float64 buffers together: the state is float64 and the grads keep their types', () => {
    const w = Float32Array.of(-1.2, 1);
    const b = Float64Array.of(-0.5, 0.8);
    const opt = new LBFGS([w, b], { lineSearchFn: 'strong_wolfe' });
    const seen: string[] = [];
    const inner = closureOf([w, b], rosenbrock);
    opt.step((grads) => {
      seen.push(grads.map((g) => g.constructor.name).join(','));
      return inner(grads);
    });
    assert.equal(seen[0], 'Float32Array,Float64Array');
    assert.ok(opt.stateDict().lbfgs.d instanceof Float64Array);
    assert.ok([...w, ...b].every(Number.isFinite));
  });

  test('maximize on −f is minimise on f, bit for bit', () => {
    const neg: Loss = (x, g) => {
      const f = rosenbrock(x, g);
      for (let i = 0; i < g.length; i++) g[i] = -g[i]!;
      return -f;
    };
    for (const lineSearchFn of [null, 'strong_wolfe'] as const) {
      const a = Float64Array.from(ROSEN_START);
      const b = Float64Array.from(ROSEN_START);
      const min = new LBFGS([a], { lineSearchFn, maxIter: 4 });
      const max = new LBFGS([b], { lineSearchFn, maxIter: 4, maximize: true });
      for (let k = 0; k < 4; k++) {
        // The step returns the closure's own value: −f for the maximiser.
        assert.equal(max.step(closureOf([b], neg)), -min.step(closureOf([a], rosenbrock)));
        assert.deepEqual(max.lastStep, min.lastStep);
        assert.deepEqual(b, a);
      }
    }
  });

  test('one parameter group only, as torch', () => {
    assert.throws(
      () => new LBFGS([{ params: [new Float64Array(1)] }, { params: [new Float64Array(1)] }]),
      /^RangeError: LBFGS: takes exactly one parameter group \(torch's LBFGS has no per-parameter options\), got 2$/,
    );
    const opt = new LBFGS([new Float64Array(1)]);
    assert.throws(
      () => opt.addParamGroup({ params: [new Float64Array(1)] }),
      /^RangeError: LBFGS: addParamGroup is not supported/,
    );
    assert.equal(opt.paramGroups.length, 1);
    // One group with shapes is fine (the replay of the golden cases gives one).
    new LBFGS([{ params: [new Float64Array(6)], shapes: [[2, 3]] }]);
  });
});

describe('LBFGS: refusals', () => {
  test('step(grads) is a TypeError that asks for a closure, and changes nothing', () => {
    const x = Float64Array.of(1, 2);
    const opt = createOptimizer('lbfgs', [x]);
    const before = opt.stateDict();
    assert.throws(
      () => opt.step([Float64Array.of(1, 1)]),
      /^TypeError: LBFGS: step needs a closure, step\(\(grads\) => loss\), that fills grads .* \(got an Array\)$/,
    );
    assert.deepEqual(Array.from(x), [1, 2]);
    assert.deepEqual(opt.stateDict(), before);
  });

  test('a closure must return a number', () => {
    const x = Float64Array.of(1);
    const opt = new LBFGS([x]);
    assert.throws(
      () => opt.step(() => '1' as unknown as number),
      /^TypeError: LBFGS: the closure must return the loss as a number, got a string$/,
    );
  });

  test('clipGradNorm and nonFinite other than "propagate" are refused, at construction and at step', () => {
    assert.throws(
      () => new LBFGS([new Float64Array(1)], { clipGradNorm: 1 }),
      /^RangeError: LBFGS: clipGradNorm must be null, got 1: a clipped gradient/,
    );
    assert.throws(
      () => new LBFGS([new Float64Array(1)], { nonFinite: 'skip' }),
      /^RangeError: LBFGS: nonFinite must be "propagate" \(as torch\), got "skip"/,
    );
    const x = Float64Array.of(1);
    const opt = new LBFGS([x]);
    opt.clipGradNorm = 0.5;
    const closure = closureOf([x], bowl([1]));
    assert.throws(() => opt.step(closure), /clipGradNorm must be null, got 0.5/);
    assert.equal(closure.calls, 0);
  });

  test('options are checked with the option, the rule and the value', () => {
    for (const [options, message] of [
      [{ maxIter: 0 }, 'LBFGS: maxIter must be an integer >= 1, got 0'],
      [{ maxIter: 2.5 }, 'LBFGS: maxIter must be an integer >= 1, got 2.5'],
      [{ maxEval: 1.5 }, 'LBFGS: maxEval must be null or an integer >= 1, got 1.5'],
      [{ toleranceGrad: -1 }, 'LBFGS: toleranceGrad must be a finite number >= 0, got -1'],
      [{ toleranceChange: NaN }, 'LBFGS: toleranceChange must be a finite number >= 0, got NaN'],
      [{ historySize: 0 }, 'LBFGS: historySize must be an integer >= 1, got 0'],
      [
        { lineSearchFn: 'armijo' },
        'LBFGS: lineSearchFn must be null or "strong_wolfe", got "armijo"',
      ],
      [{ maximize: 1 }, 'LBFGS: maximize must be true or false, got 1'],
    ] as const) {
      assert.throws(
        () => new LBFGS([new Float64Array(1)], options as never),
        (e: Error) => e instanceof RangeError && e.message === message,
        message,
      );
    }
  });
});

describe('LBFGS: state dict', () => {
  const VARIANTS = [
    {},
    { lineSearchFn: 'strong_wolfe' },
    { lineSearchFn: 'strong_wolfe', historySize: 2, maxIter: 4, maxEval: 6 },
    { historySize: 3, maxIter: 3, lr: 0.002 },
  ] as const;
  const make = (Buf: Float32ArrayConstructor | Float64ArrayConstructor) => [
    Buf.from(ROSEN_START.slice(0, 3)),
    Buf.from(ROSEN_START.slice(3)),
  ];

  for (const Buf of [Float64Array, Float32Array]) {
    for (const options of VARIANTS) {
      test(`${Buf.name} ${JSON.stringify(options)}: k steps, save, load into a fresh LBFGS, n more = k+n steps, bit for bit`, () => {
        const straight = make(Buf);
        const a = new LBFGS(straight, options);
        const ca = closureOf(straight, rosenbrock);
        const reports: unknown[] = [];
        for (let k = 0; k < 7; k++) {
          a.step(ca);
          reports.push(a.lastStep);
        }
        const resumed = make(Buf);
        const b = new LBFGS(resumed, options);
        const cb = closureOf(resumed, rosenbrock);
        for (let k = 0; k < 3; k++) b.step(cb);
        const saved = structuredClone(b.stateDict());
        // A fresh optimizer with other options: the dict brings the group's options back.
        const fresh = new LBFGS(resumed, { historySize: 50 });
        fresh.loadStateDict(saved);
        const cf = closureOf(resumed, rosenbrock);
        for (let k = 3; k < 7; k++) {
          fresh.step(cf);
          assert.deepEqual(fresh.lastStep, reports[k], `step ${k}`);
        }
        assert.deepEqual(resumed, straight);
        assert.deepEqual(fresh.stateDict(), a.stateDict());
      });
    }
  }

  test("the dict holds torch's state: scalars in groupState, vectors in lbfgs, no per-parameter state", () => {
    const x = Float64Array.from(ROSEN_START);
    const opt = new LBFGS([x], { historySize: 2, maxIter: 5 });
    const fresh = opt.stateDict();
    assert.deepEqual(fresh.groupState, [
      { func_evals: 0, n_iter: 0, t: 0, H_diag: 1, prev_loss: 0 },
    ]);
    assert.deepEqual(fresh.lbfgs, {
      d: null,
      prev_flat_grad: null,
      old_dirs: [],
      old_stps: [],
      ro: [],
    });
    opt.step(closureOf([x], rosenbrock));
    const dict = opt.stateDict();
    assert.equal(dict.format, 'descent/optimizer');
    assert.equal(dict.optimizer, 'LBFGS');
    assert.deepEqual(dict.state, [null]);
    assert.equal(dict.paramGroups[0]!.maxEval, 6);
    assert.equal(dict.lbfgs.d!.length, 5);
    assert.equal(dict.lbfgs.old_dirs.length, 2);
    // A copy: a later step does not change it.
    const d = dict.lbfgs.d!.slice();
    opt.step(closureOf([x], rosenbrock));
    assert.deepEqual(dict.lbfgs.d, d);
  });

  test('a refused dict changes nothing, and the optimizer steps on as if nothing was tried', () => {
    const x = Float64Array.from(ROSEN_START);
    const twin = Float64Array.from(ROSEN_START);
    const opt = new LBFGS([x], { historySize: 3, maxIter: 4 });
    const other = new LBFGS([twin], { historySize: 3, maxIter: 4 });
    opt.step(closureOf([x], rosenbrock));
    other.step(closureOf([twin], rosenbrock));
    const good = opt.stateDict();
    const before = opt.stateDict();
    const broken: [string, (d: LBFGSStateDict) => unknown, RegExp][] = [
      ['d too short', (d) => (d.lbfgs.d = new Float64Array(4)), /lbfgs\.d must hold 5 values/],
      ['d missing mid-run', (d) => (d.lbfgs.d = null), /lbfgs\.d must be a Float32Array/],
      ['no lbfgs', (d) => delete (d as Partial<LBFGSStateDict>).lbfgs, /lbfgs must be an object/],
      ['one ro too few', (d) => d.lbfgs.ro.pop(), /they must be as many/],
      [
        'a pair of strings',
        (d) => (d.lbfgs.old_stps[0] = Array(5).fill('a') as never),
        /lbfgs\.old_stps\[0\] must hold numbers only/,
      ],
      [
        'per-parameter state',
        (d) => (d.state[0] = { step: 1, scalars: {}, slots: {} }),
        /keeps none per parameter/,
      ],
      [
        'n_iter not an integer',
        (d) => (d.groupState![0]!.n_iter = 1.5),
        /n_iter must be an integer >= 0/,
      ],
      [
        'an unknown entry',
        (d) => ((d.lbfgs as unknown as Record<string, unknown>).al = []),
        /unknown entry "al"/,
      ],
      [
        'a bad option',
        (d) => (d.paramGroups[0]!.historySize = 0),
        /historySize must be an integer >= 1/,
      ],
      ['an unknown scalar', (d) => (d.groupState![0]!.extra = 1), /unknown entry extra/],
      ['another optimizer', (d) => (d.optimizer = 'Adam'), /saved by Adam, not LBFGS/],
    ];
    for (const [what, breakIt, message] of broken) {
      const dict = structuredClone(good);
      breakIt(dict);
      assert.throws(
        () => opt.loadStateDict(dict),
        (e: Error) => e instanceof RangeError && message.test(e.message),
        what,
      );
      assert.deepEqual(opt.stateDict(), before, what);
    }
    // d null while n_iter is 0 is a fresh state, and loads.
    const start = new LBFGS([Float64Array.from(ROSEN_START)]).stateDict();
    start.lbfgs.d = new Float64Array(5);
    assert.throws(() => opt.loadStateDict(start), /lbfgs\.d must be null while n_iter is 0/);
    opt.step(closureOf([x], rosenbrock));
    other.step(closureOf([twin], rosenbrock));
    assert.deepEqual(x, twin);
  });
});

// The generic fuzz (test/fuzz.test.ts) hands optimizers gradient streams, which a closure step
// cannot take: LBFGS is fuzzed here over losses, with random valid options.
describe('fuzz: valid options on convex quadratics never give NaN or Infinity, and the counts keep their bounds', () => {
  const options = fc.record({
    lr: fc.double({ min: 1e-6, max: 1, noNaN: true }),
    maxIter: fc.integer({ min: 1, max: 12 }),
    maxEval: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
    toleranceGrad: fc.double({ min: 0, max: 1e-3, noNaN: true }),
    toleranceChange: fc.double({ min: 0, max: 1e-3, noNaN: true }),
    historySize: fc.integer({ min: 1, max: 6 }),
    lineSearchFn: fc.constantFrom(null, 'strong_wolfe'),
    maximize: fc.boolean(),
  });
  for (const Buf of [Float64Array, Float32Array]) {
    test(`lbfgs (${Buf.name})`, () => {
      fc.assert(
        fc.property(
          options,
          fc.array(fc.double({ min: 1e-2, max: 1e2, noNaN: true }), { minLength: 3, maxLength: 3 }),
          fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 3, maxLength: 3 }),
          fc.integer({ min: 1, max: 6 }),
          (o, a, x0, steps) => {
            const x = Buf.from(x0);
            const opt = new LBFGS([x], o);
            const sign = o.maximize ? -1 : 1;
            const f = bowl(a);
            const closure = closureOf([x], (xs, g) => {
              const v = f(xs, g);
              for (let i = 0; i < g.length; i++) g[i] = sign * g[i]!;
              return sign * v;
            });
            const maxEval = opt.paramGroups[0]!.maxEval!;
            let prev = Infinity;
            for (let k = 0; k < steps; k++) {
              const calls = closure.calls;
              const loss = sign * opt.step(closure);
              const { closureEvals, iterations } = opt.lastStep;
              assert.ok(Number.isFinite(loss), `loss ${loss}`);
              assert.ok(x.every(Number.isFinite), `parameters ${Array.from(x)}`);
              assert.equal(closure.calls - calls, closureEvals);
              assert.ok(iterations <= o.maxIter);
              if (iterations === 0) assert.equal(closureEvals, 1);
              else if (o.lineSearchFn === null) {
                // One call per iteration that moved, none on the last at maxIter.
                assert.ok(closureEvals >= iterations && closureEvals <= iterations + 1);
                assert.ok(closureEvals <= Math.max(maxEval, 2));
              } else {
                assert.ok(closureEvals >= iterations && closureEvals <= 1 + 26 * iterations);
                // Armijo's condition: the loss never rises from step to step.
                assert.ok(loss <= prev, `${loss} after ${prev}`);
              }
              prev = loss;
            }
            const dict = opt.stateDict();
            for (const v of [
              dict.lbfgs.d,
              dict.lbfgs.prev_flat_grad,
              ...dict.lbfgs.old_dirs,
              ...dict.lbfgs.old_stps,
            ]) {
              if (v) assert.ok(v.every(Number.isFinite), 'state');
            }
            assert.ok(dict.lbfgs.ro.every(Number.isFinite));
            assert.ok(dict.lbfgs.old_dirs.length <= o.historySize);
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});

test('the descriptor: closure step, no lab entry, no per-parameter slots', () => {
  assert.equal(lbfgsDescriptor.closure, true);
  assert.equal(lbfgsDescriptor.lab, undefined);
  assert.deepEqual(lbfgsDescriptor.slots, []);
  assert.equal(lbfgsDescriptor.algorithm, 'LBFGS');
});

test('the playground races it through a closure over the surface', () => {
  // ½(x² + 100y²): L-BFGS's quasi-Newton steps reach the minimum within a few steps.
  const race = new Race(makeQuadratic(2, 100), [-1.8, 1], [{ name: 'lbfgs', options: {} }], 0, 1);
  race.advance(3);
  const r = race.racers[0]!;
  assert.equal(r.status, 'running', r.error);
  assert.equal(r.steps, 3);
  assert.ok(r.losses.at(-1)! < 1e-8 * r.losses[0]!, `loss ${r.losses.at(-1)}`);
});

test('descent train, which steps on mini-batch gradients, refuses it by name before any work', () => {
  assert.ok(!TRAIN_OPTIMIZERS.includes('lbfgs'));
  assert.throws(
    () => findTrainOptimizer('LBFGS'),
    /^Error: --optimizer: lbfgs takes a closure over one full-batch loss, evaluated several times per step; train steps on mini-batch gradients \(known: sgd, /,
  );
});
