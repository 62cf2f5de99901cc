/**
 * Parity of the wasm SIMD fast paths with the plain TypeScript kernels (the reference), for every
 * optimizer and option, the way PyTorch tests foreach/fused against the for-loop:
 * - float64: bit for bit, in place in an arena and through the copy path (the float64 kernels
 *   perform the plain loop's operations in the same order; wasm and JS both round every IEEE
 *   operation to nearest, and neither contracts a·b + c into a fused multiply-add);
 * - float32: the kernels compute in float32 (the plain loop in float64, rounding on store), so
 *   one step from the same state is held to a derived bound (see `F32_TOL`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  AdEMAMix,
  ADOPT,
  ASGD,
  Lion,
  NAdam,
  RAdam,
  RMSprop,
  Rprop,
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  SGD,
  type FloatBuffer,
  type Optimizer,
} from '../packages/optim/src/node.ts';
import { createArenaSync, type Arena } from '../packages/optim/src/kernels/arena.ts';
import { CHUNK, fastPathCounts } from '../packages/optim/src/kernels/dispatch.ts';
import { setFastPaths } from '../packages/optim/src/kernels/fast-path.ts';
import { OPTIMIZERS } from '../packages/optim/src/optimizers.ts';
import { mulberry32 } from './helpers/rng.ts';

type Make = (params: FloatBuffer[]) => Optimizer<never>;
const mk =
  <O>(C: new (p: FloatBuffer[], o: O) => unknown, o: O): Make =>
  (params) =>
    new C(params, o) as Optimizer<never>;

/** Every optimizer of the core and every option that selects a different kernel variant. */
const CASES: [string, Make][] = [
  ['SGD', mk(SGD, { lr: 0.05 })],
  ['SGD weightDecay maximize', mk(SGD, { lr: 0.05, weightDecay: 0.1, maximize: true })],
  ['SGD momentum', mk(SGD, { lr: 0.05, momentum: 0.9 })],
  [
    'SGD momentum dampening wd',
    mk(SGD, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }),
  ],
  ['SGD nesterov', mk(SGD, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ['SGD nesterov wd', mk(SGD, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 })],
  ['Adagrad', mk(Adagrad, { lr: 0.1 })],
  [
    'Adagrad wd lrDecay init',
    mk(Adagrad, { lr: 0.1, weightDecay: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }),
  ],
  ['Adadelta', mk(Adadelta, {})],
  ['Adadelta wd', mk(Adadelta, { lr: 0.5, rho: 0.8, weightDecay: 0.1 })],
  ['RMSprop', mk(RMSprop, { lr: 0.01 })],
  ['RMSprop centered', mk(RMSprop, { lr: 0.01, centered: true })],
  ['RMSprop momentum', mk(RMSprop, { lr: 0.01, momentum: 0.9 })],
  [
    'RMSprop centered momentum wd',
    mk(RMSprop, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 }),
  ],
  ['Adam', mk(Adam, { lr: 0.01 })],
  ['Adam wd', mk(Adam, { lr: 0.01, weightDecay: 0.1 })],
  ['Adam amsgrad maximize', mk(Adam, { lr: 0.01, amsgrad: true, maximize: true })],
  ['AdamW', mk(AdamW, { lr: 0.01 })],
  ['AdamW amsgrad', mk(AdamW, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
  ['Adamax', mk(Adamax, {})],
  ['Adamax wd', mk(Adamax, { weightDecay: 0.1 })],
  ['NAdam', mk(NAdam, {})],
  ['NAdam wd', mk(NAdam, { weightDecay: 0.1 })],
  ['NAdam decoupled', mk(NAdam, { weightDecay: 0.1, decoupledWeightDecay: true })],
  ['RAdam', mk(RAdam, {})],
  ['RAdam wd', mk(RAdam, { weightDecay: 0.1 })],
  ['RAdam decoupled', mk(RAdam, { weightDecay: 0.1, decoupledWeightDecay: true })],
  ['Lion', mk(Lion, { lr: 0.01 })],
  ['Lion wd maximize', mk(Lion, { lr: 0.01, weightDecay: 0.1, maximize: true })],
  ['Rprop', mk(Rprop, {})],
  [
    'Rprop etas stepSizes maximize',
    mk(Rprop, { lr: 0.05, etas: [0.3, 1.5], stepSizes: [1e-3, 0.2], maximize: true }),
  ],
  ['ASGD', mk(ASGD, {})],
  ['ASGD averaging wd', mk(ASGD, { lr: 0.05, lambd: 1e-3, t0: 2, weightDecay: 0.01 })],
  ['ASGD lambd 0 maximize', mk(ASGD, { lambd: 0, maximize: true })],
  // The averaging weight c is 1, 1/2, 1/3, ...: both forms of its lerp.
  ['AdamWScheduleFree', mk(ScheduleFreeAdamW, { lr: 0.01 })],
  [
    'AdamWScheduleFree wd warmup innerMomentum',
    mk(ScheduleFreeAdamW, {
      lr: 0.01,
      betas: [0.5, 0.99],
      weightDecay: 0.01,
      warmupSteps: 3,
      innerMomentum: 0.9,
    }),
  ],
  ['SGDScheduleFree', mk(ScheduleFreeSGD, { lr: 0.1 })],
  [
    'SGDScheduleFree wd r momentum maximize',
    mk(ScheduleFreeSGD, { lr: 0.1, weightDecay: 0.01, r: 0.5, momentum: 0.5, maximize: true }),
  ],
  ['ADOPT', mk(ADOPT, {})],
  ['ADOPT wd', mk(ADOPT, { lr: 0.01, weightDecay: 0.1 })],
  [
    'ADOPT decoupled no clip betas maximize',
    mk(ADOPT, {
      lr: 0.01,
      betas: [0.5, 0.99],
      weightDecay: 0.1,
      decouple: true,
      clipExponent: null,
      maximize: true,
    }),
  ],
  ['AdEMAMix', mk(AdEMAMix, {})],
  [
    'AdEMAMix no fast EMA warmups wd',
    mk(AdEMAMix, {
      lr: 0.01,
      betas: [0, 0.999, 0.999],
      beta3Warmup: 3,
      alphaWarmup: 5,
      weightDecay: 0.1,
    }),
  ],
];

/** Steps a rule takes on a plain loop with no kernel: ADOPT's first step only seeds v. */
const PLAIN_STEPS: Readonly<Record<string, number>> = { ADOPT: 1 };

test('every optimizer with a wasm kernel is in the parity cases', () => {
  for (const d of OPTIMIZERS.filter((x) => x.bench !== undefined)) {
    assert.ok(
      CASES.some(([name]) => name.split(' ')[0] === d.algorithm),
      d.algorithm,
    );
  }
});

/** Uniform in [-0.5, 0.5), the same numbers on every run. */
function rng(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r() - 0.5;
}

type Where = 'heap' | 'arena';
const arena: Arena = createArenaSync({ bytes: 64 << 20 });

function buffer(n: number, f64: boolean, where: Where): FloatBuffer {
  if (where === 'arena') return f64 ? arena.float64(n) : arena.float32(n);
  return f64 ? new Float64Array(n) : new Float32Array(n);
}

/** A noisy quadratic bowl: gradients that depend on the parameters, like a real run. */
function gradient(p: FloatBuffer, g: FloatBuffer, step: number): void {
  const r = rng(1000 + step);
  for (let i = 0; i < p.length; i++) g[i] = (p[i] as number) * (1 + (i % 7)) + r();
}

/** Runs `steps` steps from a seeded start; returns the parameter and the state dict. */
function run(
  make: Make,
  n: number,
  f64: boolean,
  fast: boolean,
  where: Where,
  gWhere: Where,
  steps: number,
  scale = 1,
) {
  setFastPaths(fast);
  try {
    const p = buffer(n, f64, where);
    const g = buffer(n, f64, gWhere);
    const r = rng(7);
    for (let i = 0; i < n; i++) p[i] = r() * 4;
    const opt = make([p]);
    for (let s = 1; s <= steps; s++) {
      gradient(p, g, s);
      opt.step([g], scale);
    }
    return { p, opt };
  } finally {
    setFastPaths(true);
  }
}

function assertIdentical(actual: FloatBuffer, expected: FloatBuffer, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, the plain kernel gives ${expected[i]}`);
    }
  }
}

function slotsOf(opt: Optimizer<never>): Record<string, FloatBuffer> {
  return (opt.stateDict().state[0]?.slots ?? {}) as Record<string, FloatBuffer>;
}

describe('float64 fast paths equal the plain kernels bit for bit', () => {
  // Odd length: the SIMD body and the scalar tail both run. 12 steps: RAdam rectifies from step 6.
  const n = 1003;
  for (const [name, make] of CASES) {
    test(name, () => {
      const ref = run(make, n, true, false, 'heap', 'heap', 12, 0.75);
      for (const [where, gWhere] of [
        ['arena', 'arena'],
        ['arena', 'heap'],
        ['heap', 'heap'],
      ] as const) {
        const before =
          where === 'arena' && gWhere === 'arena' ? fastPathCounts.inPlace : fastPathCounts.copied;
        const got = run(make, n, true, true, where, gWhere, 12, 0.75);
        const after =
          where === 'arena' && gWhere === 'arena' ? fastPathCounts.inPlace : fastPathCounts.copied;
        const plain = PLAIN_STEPS[name.split(' ')[0]!] ?? 0;
        assert.equal(after - before, 12 - plain, 'every step took the fast path');
        const what = `${name} (param ${where}, grad ${gWhere})`;
        assertIdentical(got.p, ref.p, what);
        const slots = slotsOf(ref.opt);
        for (const [k, v] of Object.entries(slotsOf(got.opt)))
          assertIdentical(v, slots[k] as FloatBuffer, `${what} slot ${k}`);
      }
    });
  }

  test("signed zeros: the sign of −0 is −0, as Math.sign's (Lion, Rprop)", () => {
    for (const make of [mk(Lion, { maximize: true }), mk(Rprop, { maximize: true })]) {
      const steps = (fast: boolean) => {
        setFastPaths(fast);
        try {
          const p = Float64Array.from({ length: 101 }, (_, i) => (i % 2 ? -0 : 0));
          const g = Float64Array.from({ length: 101 }, (_, i) => (i % 3 ? -0 : 0));
          const opt = make([p]);
          for (let s = 0; s < 3; s++) opt.step([g]);
          return p;
        } finally {
          setFastPaths(true);
        }
      };
      assertIdentical(steps(true), steps(false), 'zeros');
    }
  });

  test('the copy path over several chunks and a partial one (Adam amsgrad, RMSprop with 5 buffers)', () => {
    for (const make of [
      mk(Adam, { amsgrad: true, weightDecay: 0.1 }),
      mk(RMSprop, { centered: true, momentum: 0.9 }),
    ]) {
      const n = 2 * CHUNK + 7;
      const ref = run(make, n, true, false, 'heap', 'heap', 3);
      assertIdentical(run(make, n, true, true, 'heap', 'heap', 3).p, ref.p, 'copy path');
      assertIdentical(
        run(make, n, true, true, 'arena', 'heap', 3).p,
        ref.p,
        'arena param, heap grad',
      );
    }
  });
});

/**
 * The float32 bound for one step from the same state. Each output of a kernel is a short chain
 * of float32 operations: at most 16 rounded operations on its longest path (Adam with L2 and
 * amsgrad: gradient scale and decay 2, first moment 3, second moment 4, max, root, scale and eps
 * 3, quotient 1, decay and subtraction 2), plus 6 constants rounded to float32, plus one rounding
 * of the plain kernel's own result: k = 23 roundings of at most u = 2⁻²⁴ relative each. By the
 * standard bound (Higham, Accuracy and Stability, §3.1), the error is at most about k·u times the
 * sum of the magnitudes of the terms, which for every update here (x ← a·x + b, p ← p·δ − step)
 * is at most |x_old| + |x_new|. Centered RMSprop divides by √(v − ḡ²), which amplifies the
 * error of v and ḡ by v / (v − ḡ²): that factor multiplies its bound. (NAdam's step has two
 * terms that can cancel, where |x_old| + |x_new| would understate their magnitudes; on these
 * states they do not, and the bound holds as derived.)
 */
const U = 2 ** -24;
const F32_TOL = 23 * U;

describe('float32 fast paths: one step within the derived bound of the plain kernel', () => {
  const n = 1003;
  for (const [name, make] of CASES) {
    test(name, () => {
      // Build a state with the plain kernel, then take one more step on both paths.
      const warm = run(make, n, false, false, 'heap', 'heap', 7);
      const dict = warm.opt.stateDict();
      const before = Float32Array.from(warm.p);
      const slotsBefore = slotsOf(warm.opt);
      const g = new Float32Array(n);
      gradient(warm.p, g, 8);

      const p = arena.float32(n);
      p.set(warm.p);
      const fast = make([p]);
      fast.loadStateDict(dict);
      setFastPaths(false);
      warm.opt.step([g], 0.75);
      setFastPaths(true);
      const ga = arena.float32(n);
      ga.set(g);
      const calls = fastPathCounts.inPlace;
      fast.step([ga], 0.75);
      assert.equal(fastPathCounts.inPlace, calls + 1, 'the step ran in place in the arena');

      const kappa = new Float64Array(n).fill(1);
      const { square_avg: v, grad_avg: gbar } = slotsBefore;
      if (v && gbar)
        for (let i = 0; i < n; i++) kappa[i] = Math.max(1, v[i]! / (v[i]! - gbar[i]! ** 2));
      const check = (
        got: FloatBuffer,
        ref: FloatBuffer,
        old: FloatBuffer,
        what: string,
        amplified: boolean,
      ) => {
        for (let i = 0; i < n; i++) {
          const bound =
            F32_TOL * (Math.abs(old[i]!) + Math.abs(ref[i]!)) * (amplified ? kappa[i]! : 1);
          const err = Math.abs(got[i]! - ref[i]!);
          if (!(err <= bound))
            assert.fail(
              `${name} ${what}[${i}]: fast ${got[i]}, plain ${ref[i]}, error ${err} > bound ${bound}`,
            );
        }
      };
      check(p, warm.p, before, 'param', true);
      const refSlots = slotsOf(warm.opt);
      for (const [k, s] of Object.entries(slotsOf(fast))) {
        check(
          s,
          refSlots[k] as FloatBuffer,
          slotsBefore[k] as FloatBuffer,
          k,
          k === 'momentum_buffer',
        );
      }
    });
  }
});

test('fast paths allocate the state of an arena parameter in the same arena', () => {
  const p = arena.float32(256);
  const opt = new Adam([p], { amsgrad: true });
  opt.step([arena.float32(256, 0.5)]);
  const slots = Object.values(opt.paramState(0)?.slots ?? {});
  assert.equal(slots.length, 3);
  for (const s of slots) assert.ok(arena.holds(s));
});
