// Schedule-Free AdamW and SGD: the train/eval switch and the quirks of the reference
// (facebookresearch/schedule_free, spec in test/fixtures/extra/README.md). Expected numbers come
// from the golden cases or from the spec's math.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createOptimizer,
  ScheduleFreeAdamW,
  ScheduleFreeOptimizer,
  ScheduleFreeSGD,
  type FloatBuffer,
  type ScheduleFreeStateDict,
} from '../packages/optim/src/node.ts';
import { replayCase, replayTolerance, worstRelativeError } from '../packages/lab/src/replay/run.ts';
import { EXTRA_FIXTURE_DIR, loadCases } from './helpers/fixtures.ts';

type AnySF = ScheduleFreeAdamW | ScheduleFreeSGD;

/** A diagonal quadratic: f = ½ Σ aᵢ(xᵢ − tᵢ)², ∇ = a ⊙ (x − t). */
const A = [1, 3, 0.5, 2, 7];
const T = [0.3, -1, 2, 0.5, -0.2];
const loss = (x: ArrayLike<number>) => A.reduce((s, a, i) => s + 0.5 * a * (x[i]! - T[i]!) ** 2, 0);
const grad = (x: FloatBuffer) => {
  const g = new (x.constructor as new (n: number) => FloatBuffer)(x.length);
  for (let i = 0; i < x.length; i++) g[i] = A[i]! * (x[i]! - T[i]!);
  return g;
};
const start = () => Float64Array.from([1, 2, -1, 0, 0.7]);
const run = (opt: AnySF, x: FloatBuffer, steps: number) => {
  for (let k = 0; k < steps; k++) opt.step([grad(x)]);
};
const z = (opt: AnySF, i = 0) => opt.stateDict().state[i]!.slots.z!;
const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what = '') => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    assert.ok(err <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]} (error ${err})`);
  }
};

const BUILD: [string, (x: FloatBuffer[], o?: Record<string, unknown>) => AnySF, number][] = [
  ['AdamWScheduleFree', (x, o = {}) => new ScheduleFreeAdamW(x, { lr: 0.05, ...o }), 0.9],
  ['SGDScheduleFree', (x, o = {}) => new ScheduleFreeSGD(x, { lr: 0.1, ...o }), 0.9],
];

describe('Schedule-Free golden cases: the eval point x after every step', () => {
  const cases = loadCases((f) => f.startsWith('sf'), EXTRA_FIXTURE_DIR);
  test('there are cases for both optimizers', () => {
    assert.ok(cases.some(([f]) => f.startsWith('sfadamw_')));
    assert.ok(cases.some(([f]) => f.startsWith('sfsgd_')));
  });
  for (const [file, c] of cases) {
    test(file, () => {
      const ref = c.trajectory_eval;
      assert.ok(ref, 'the case records trajectory_eval');
      const r64 = replayCase(c);
      const e64 = worstRelativeError(r64.trajectory_eval ?? [], ref);
      assert.ok(e64 <= 1e-10, `float64: worst relative error ${e64}`);
      // x = lerp(y, z, 1 − 1/β) from float32 y and z: within the trajectory's bound (measured
      // at most 2.3% of it over the public cases).
      const r32 = replayCase(c, 'float32');
      const e32 = worstRelativeError(r32.trajectory_eval ?? [], ref);
      assert.ok(e32 <= replayTolerance('float32', c.steps), `float32: worst relative error ${e32}`);
    });
  }
});

describe('Schedule-Free: the spec', () => {
  for (const [name, build, beta] of BUILD) {
    test(`${name}: on step 1 c = 1, so y, z and x all land on the same point`, () => {
      const x = start();
      const opt = build([x]);
      opt.step([grad(x)]);
      assert.deepEqual(Array.from(z(opt)), Array.from(x));
      assert.deepEqual(Array.from(opt.evalParams()[0]!), Array.from(x));
    });

    test(`${name}: y = (1 − β)z + βx after every step`, () => {
      const x = start();
      const opt = build([x], { weightDecay: 0.01 });
      for (let k = 0; k < 20; k++) {
        opt.step([grad(x)]);
        const zz = z(opt);
        const ev = opt.evalParams()[0]!;
        const y = Array.from(zz, (zi, i) => (1 - beta) * zi + beta * ev[i]!);
        close(x, y, 1e-13, `step ${k + 1}`);
      }
    });

    test(`${name}: with r = 0 and weightLrPower 0, x is the plain mean of z₁..z_t`, () => {
      // Every weight is 1, so c = 1/t and x ← (1 − c)x + cz is the running mean.
      const x = start();
      const opt = build([x], { weightLrPower: 0 });
      const sum = new Float64Array(x.length);
      for (let t = 1; t <= 25; t++) {
        opt.step([grad(x)]);
        z(opt).forEach((v, i) => (sum[i] += v));
        close(
          opt.evalParams()[0]!,
          Array.from(sum, (s) => s / t),
          1e-12,
          `t=${t}`,
        );
      }
    });

    test(`${name}: warmup: lr_k = lr·(k+1)/warmupSteps; lr_max and weight_sum follow it`, () => {
      const x = start();
      const opt = build([x], { lr: 0.2, warmupSteps: 4 });
      const sgd = name.startsWith('SGD');
      let wsum = 0;
      for (let k = 0; k < 6; k++) {
        const g = grad(x);
        const zBefore = k === 0 ? Float64Array.from(x) : Float64Array.from(z(opt));
        opt.step([g]);
        const lrK = k < 4 ? 0.2 * ((k + 1) / 4) : 0.2;
        // SGD's z takes the plain step −lr_k·g (AdamW's is normalised: see the golden cases).
        if (sgd) {
          const want = Array.from(zBefore, (v, i) => v - lrK * g[i]!);
          close(z(opt), want, 1e-15, `z, step ${k + 1}`);
        }
        wsum += lrK ** 2;
        const { scalars } = opt.stateDict().state[0]!;
        assert.equal(scalars.lr_max, lrK);
        close([scalars.weight_sum!], [wsum], 1e-15, 'weight_sum');
      }
    });

    test(`${name}: lr 0 gives weight_sum 0 and c = 0 (the reference's ZeroDivisionError branch)`, () => {
      const x = start();
      const opt = build([x], { lr: 0 });
      run(opt, x, 3);
      assert.deepEqual(Array.from(x), Array.from(start()));
      assert.equal(opt.stateDict().state[0]!.scalars.weight_sum, 0);
    });

    test(`${name}: maximize walks the negated gradient`, () => {
      const a = start();
      const b = start();
      const up = build([a], { maximize: true });
      const down = build([b]);
      for (let k = 0; k < 5; k++) {
        const g = grad(a);
        up.step([g.map((v) => -v)]);
        down.step([grad(b)]);
      }
      assert.deepEqual(Array.from(a), Array.from(b));
    });
  }

  test('AdamWScheduleFree: innerMomentum keeps exp_avg, only then', () => {
    const x = start();
    const plain = new ScheduleFreeAdamW([x]);
    plain.step([grad(x)]);
    assert.deepEqual(Object.keys(plain.stateDict().state[0]!.slots).sort(), ['exp_avg_sq', 'z']);
    const inner = new ScheduleFreeAdamW([start()], { innerMomentum: 0.9 });
    inner.step([grad(start())]);
    assert.deepEqual(Object.keys(inner.stateDict().state[0]!.slots).sort(), [
      'exp_avg',
      'exp_avg_sq',
      'z',
    ]);
  });

  test('AdamWScheduleFree: turning innerMomentum on mid-run starts m at 0 and keeps z', () => {
    const x = start();
    const opt = new ScheduleFreeAdamW([x], { lr: 0.05 });
    run(opt, x, 3);
    const { slots } = opt.stateDict().state[0]!;
    opt.paramGroups[0]!.innerMomentum = 0.5;
    const g = grad(x);
    opt.step([g]);
    // Step t = 4 from the spec: m = (1 − μ)g, u = m/(1 − μ⁴)/(√(v/(1 − β₂⁴)) + ε), z −= lr·u.
    const want = Array.from(slots.z!, (zi, i) => {
      const v = 0.999 * slots.exp_avg_sq![i]! + 0.001 * g[i]! ** 2;
      const u = (0.5 * g[i]!) / (1 - 0.5 ** 4) / (Math.sqrt(v / (1 - 0.999 ** 4)) + 1e-8);
      return zi - 0.05 * u;
    });
    close(z(opt), want, 1e-14, 'z');
    assert.ok('exp_avg' in opt.stateDict().state[0]!.slots);
  });

  test('refusals name the option: β₁ and momentum must be in (0, 1)', () => {
    assert.throws(
      () => new ScheduleFreeAdamW([start()], { betas: [0, 0.999] }),
      /^RangeError: AdamWScheduleFree: betas\[0\] must be in \(0, 1\), got 0$/,
    );
    assert.throws(
      () => new ScheduleFreeSGD([start()], { momentum: 1 }),
      /^RangeError: SGDScheduleFree: momentum must be in \(0, 1\), got 1$/,
    );
    assert.throws(
      () => new ScheduleFreeSGD([start()], { warmupSteps: -1 }),
      /SGDScheduleFree: warmupSteps must be an integer >= 0, got -1/,
    );
    assert.throws(
      () => new ScheduleFreeSGD([start()], { r: NaN }),
      /SGDScheduleFree: r must be a finite number, got NaN/,
    );
  });
});

describe('Schedule-Free: train and eval', () => {
  for (const [name, build] of BUILD) {
    test(`${name}: starts in train mode; eval() puts evalParams() into the parameters`, () => {
      const x = start();
      const opt = build([x]);
      assert.equal(opt.mode, 'train');
      assert.ok(opt instanceof ScheduleFreeOptimizer);
      run(opt, x, 10);
      const ev = opt.evalParams()[0]!;
      assert.notDeepEqual(Array.from(ev), Array.from(x), 'x differs from y after 10 steps');
      opt.eval();
      assert.equal(opt.mode, 'eval');
      assert.deepEqual(Array.from(x), Array.from(ev));
    });

    test(`${name}: evaluating without eval() measures y, not x`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 15);
      const atY = loss(x);
      const atX = loss(opt.evalParams()[0]!);
      assert.notEqual(atY, atX);
      opt.eval();
      assert.equal(loss(x), atX);
      opt.train();
      close([loss(x)], [atY], 1e-14, 'loss back at y');
    });

    test(`${name}: evalParams() never moves the parameters, so the run stays bit for bit`, () => {
      const a = start();
      const b = start();
      const looked = build([a]);
      const plain = build([b]);
      for (let k = 0; k < 12; k++) {
        looked.step([grad(a)]);
        plain.step([grad(b)]);
        const copy = looked.evalParams();
        assert.notEqual(copy[0], a);
      }
      assert.deepEqual(Array.from(a), Array.from(b));
      assert.deepEqual(looked.stateDict(), plain.stateDict());
    });

    test(`${name}: a second eval() or train() is a no-op`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 6);
      opt.train();
      const y = Array.from(x);
      opt.train();
      assert.deepEqual(Array.from(x), y);
      opt.eval();
      const ev = Array.from(x);
      opt.eval();
      assert.deepEqual(Array.from(x), ev);
      assert.equal(opt.mode, 'eval');
      opt.train();
      close(x, y, 1e-14, 'y after eval → train');
    });

    test(`${name}: step() in eval mode throws and changes nothing`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 4);
      opt.eval();
      const params = Array.from(x);
      const state = opt.stateDict();
      assert.throws(
        () => opt.step([grad(x)]),
        new RegExp(`^Error: ${name}: step\\(\\) in eval mode: .*call train\\(\\) before training`),
      );
      assert.deepEqual(Array.from(x), params);
      assert.deepEqual(opt.stateDict(), state);
      opt.train();
      opt.step([grad(x)]);
    });

    test(`${name}: before the first step both modes hold the same point`, () => {
      const x = start();
      const opt = build([x]);
      assert.deepEqual(Array.from(opt.evalParams()[0]!), Array.from(start()));
      opt.eval();
      assert.deepEqual(Array.from(x), Array.from(start()));
      opt.train();
      assert.deepEqual(Array.from(x), Array.from(start()));
    });

    test(`${name}: evalParams() in eval mode is a copy of the parameters`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 5);
      opt.eval();
      const [copy] = opt.evalParams();
      assert.notEqual(copy, x);
      assert.deepEqual(Array.from(copy!), Array.from(x));
    });

    test(`${name}: evalParams(out) fills the given buffers; wrong ones are refused`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 5);
      const out = [new Float64Array(x.length)];
      assert.equal(opt.evalParams(out), out);
      assert.deepEqual(Array.from(out[0]!), Array.from(opt.evalParams()[0]!));
      assert.throws(
        () => opt.evalParams([new Float64Array(2)]),
        /evalParams\(out\) needs one Float32Array or Float64Array per parameter/,
      );
      assert.throws(() => opt.evalParams([]), /evalParams\(out\) needs/);
    });

    test(`${name}: groups with different β each move by their own β`, () => {
      const a = start();
      const b = start();
      const key = name.startsWith('SGD') ? { momentum: 0.5 } : { betas: [0.5, 0.999] };
      const opt = createOptimizer(
        name.startsWith('SGD') ? 'schedulefree-sgd' : 'schedulefree-adamw',
        [{ params: [a] }, { params: [b], ...key }] as never,
      ) as unknown as AnySF;
      for (let k = 0; k < 6; k++) opt.step([grad(a), grad(b)]);
      const ev = opt.evalParams();
      const zb = z(opt, 1);
      // The second group: y = (1 − 0.5)z + 0.5x.
      close(
        b,
        Array.from(zb, (v, i) => 0.5 * v + 0.5 * ev[1]![i]!),
        1e-13,
        'group 1',
      );
      opt.eval();
      assert.deepEqual(Array.from(a), Array.from(ev[0]!));
      assert.deepEqual(Array.from(b), Array.from(ev[1]!));
    });

    test(`${name}: addParamGroup in eval mode leaves the new buffers where they are`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 3);
      opt.eval();
      const w = Float64Array.from([0.25, -0.5]);
      opt.addParamGroup({ params: [w] });
      opt.train();
      assert.deepEqual(Array.from(w), [0.25, -0.5]);
      opt.step([grad(x), Float64Array.from([1, 1])]);
    });
  }
});

describe('Schedule-Free: state dicts carry the mode', () => {
  for (const [name, build] of BUILD) {
    test(`${name}: saved in eval mode, loaded with its parameters: eval mode, and train() resumes`, () => {
      // Run A: 5 steps, eval() (save here), train(), 5 more steps.
      const a = start();
      const optA = build([a]);
      run(optA, a, 5);
      optA.eval();
      const saved = structuredClone(optA.stateDict());
      const savedParams = Float64Array.from(a);
      assert.equal(saved.mode, 'eval');
      optA.train();
      run(optA, a, 5);

      // Run B: a fresh optimizer (in train mode) loads the checkpoint, params and state.
      const b = new Float64Array(a.length);
      const optB = build([b]);
      b.set(savedParams);
      optB.loadStateDict(saved);
      assert.equal(optB.mode, 'eval');
      assert.throws(() => optB.step([grad(b)]), /eval mode/);
      optB.train();
      run(optB, b, 5);
      assert.deepEqual(Array.from(b), Array.from(a));

      // And both stay within rounding of a run that never left train mode.
      const c = start();
      const optC = build([c]);
      run(optC, c, 10);
      close(a, c, 1e-12, 'against the uninterrupted run');
    });

    test(`${name}: a train-mode state loaded into an optimizer in eval mode switches it to train`, () => {
      const a = start();
      const optA = build([a]);
      run(optA, a, 4);
      const saved = optA.stateDict() as ScheduleFreeStateDict;
      assert.equal(saved.mode, 'train');
      const b = start();
      const optB = build([b]);
      run(optB, b, 2);
      optB.eval();
      b.set(a);
      optB.loadStateDict(saved);
      assert.equal(optB.mode, 'train');
      optA.step([grad(a)]);
      optB.step([grad(b)]);
      assert.deepEqual(Array.from(b), Array.from(a));
    });

    test(`${name}: a state without a valid mode is refused and nothing changes`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 3);
      const before = opt.stateDict();
      const noMode: Partial<ScheduleFreeStateDict> = { ...before };
      delete noMode.mode;
      const other = build([start()]);
      run(other, start(), 1);
      const otherBefore = other.stateDict();
      assert.throws(
        () => other.loadStateDict(noMode as never),
        new RegExp(
          `^RangeError: ${name}: cannot load state dict: mode must be "train" or "eval", got undefined$`,
        ),
      );
      assert.throws(
        () => other.loadStateDict({ ...before, mode: 'test' } as never),
        /mode must be "train" or "eval", got "test"/,
      );
      assert.deepEqual(other.stateDict(), otherBefore);
    });

    test(`${name}: a refused state (another shape) leaves the mode as it was`, () => {
      const x = start();
      const opt = build([x]);
      run(opt, x, 3);
      opt.eval();
      const saved = opt.stateDict();
      const y = Float64Array.from([1, 2]);
      const other = build([y]);
      assert.throws(() => other.loadStateDict(saved), /cannot load state dict/);
      assert.equal(other.mode, 'train');
    });
  }
});
