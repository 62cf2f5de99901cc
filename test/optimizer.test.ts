import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Adadelta,
  Adafactor,
  Adagrad,
  Adam,
  AdEMAMix,
  ADOPT,
  Adamax,
  AdamW,
  ASGD,
  createOptimizer,
  LAMB,
  LARS,
  Lion,
  matrixShape,
  Muon,
  NAdam,
  OPTIMIZER_NAMES,
  OPTIMIZERS,
  Prodigy,
  RAdam,
  RMSprop,
  Rprop,
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  SGD,
  type FloatBuffer,
  type Optimizer,
  type OptimizerStateDict,
} from '../packages/optim/src/node.ts';
import { mulberry32 } from './helpers/rng.ts';

type Ctor = new (params: FloatBuffer[], options?: Record<string, unknown>) => Optimizer<never>;

/** Class `C` over the buffers as matrices (`matrixShape`): Muon takes only those, Adafactor factors them. */
function onMatrices(C: unknown): Ctor {
  const Cls = C as new (params: unknown, options?: Record<string, unknown>) => Optimizer<never>;
  return class {
    constructor(params: FloatBuffer[], options?: Record<string, unknown>) {
      return new Cls([{ params, shapes: params.map((p) => matrixShape(p.length)) }], options);
    }
  } as unknown as Ctor;
}

/** Every optimizer class with options that exercise all of its slots. */
const CONFIGS: [string, Ctor, Record<string, unknown>][] = [
  ['SGD', SGD as unknown as Ctor, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }],
  ['SGD nesterov', SGD as unknown as Ctor, { lr: 0.1, momentum: 0.9, nesterov: true }],
  ['Adagrad', Adagrad as unknown as Ctor, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }],
  ['Adadelta', Adadelta as unknown as Ctor, { weightDecay: 0.01 }],
  ['RMSprop', RMSprop as unknown as Ctor, { momentum: 0.5, centered: true }],
  ['Adam', Adam as unknown as Ctor, { lr: 0.01, amsgrad: true, weightDecay: 0.01 }],
  ['AdamW', AdamW as unknown as Ctor, { lr: 0.01 }],
  ['Adamax', Adamax as unknown as Ctor, { lr: 0.01 }],
  ['NAdam', NAdam as unknown as Ctor, { lr: 0.01, decoupledWeightDecay: true, weightDecay: 0.1 }],
  ['RAdam', RAdam as unknown as Ctor, { lr: 0.01 }],
  ['Lion', Lion as unknown as Ctor, { lr: 0.01, weightDecay: 0.1 }],
  ['Adafactor', Adafactor as unknown as Ctor, { lr: 0.3, weightDecay: 0.02, d: 2 }],
  ['Adafactor matrices', onMatrices(Adafactor), { eps: [0.01, 0.01], beta2Decay: -0.5 }],
  ['Muon', onMatrices(Muon), { lr: 0.02 }],
  ['Muon plain', onMatrices(Muon), { nesterov: false, adjustLrFn: 'match_rms_adamw' }],
  ['Lamb', LAMB as unknown as Ctor, { lr: 0.01, weightDecay: 0.01, preNorm: true }],
  ['Lamb rectify', LAMB as unknown as Ctor, { lr: 0.01, weightDecay: 0.01, rectify: true }],
  ['LARS', LARS as unknown as Ctor, { lr: 0.05, weightDecay: 0.01, nesterov: true }],
  ['Rprop', Rprop as unknown as Ctor, { lr: 0.01, etas: [0.4, 1.3], stepSizes: [1e-4, 1] }],
  ['ASGD', ASGD as unknown as Ctor, { lr: 0.05, t0: 3, weightDecay: 0.01 }],
  ['ADOPT', ADOPT as unknown as Ctor, { lr: 0.01, weightDecay: 0.1, decouple: true }],
  ['AdEMAMix', AdEMAMix as unknown as Ctor, { lr: 0.01, alphaWarmup: 3, beta3Warmup: 3 }],
  ['Prodigy', Prodigy as unknown as Ctor, { weightDecay: 0.01, useBiasCorrection: true }],
  [
    'AdamWScheduleFree',
    ScheduleFreeAdamW as unknown as Ctor,
    { lr: 0.01, weightDecay: 0.01, warmupSteps: 3, innerMomentum: 0.5 },
  ],
  ['SGDScheduleFree', ScheduleFreeSGD as unknown as Ctor, { lr: 0.1, weightDecay: 0.01, r: 1 }],
];

test('every algorithm with dense steps is in the configurations', () => {
  // A closure step (LBFGS) takes no gradient stream: its state round trip is in test/lbfgs.test.ts.
  for (const d of OPTIMIZERS.filter((x) => x.name !== 'sparseadam' && !x.closure)) {
    assert.ok(
      CONFIGS.some(([name]) => name.split(' ')[0] === d.algorithm),
      d.algorithm,
    );
  }
});

/** A deterministic pseudo-random buffer in [-1, 1), so tests need no fixtures. */
function randomBuffer(Buf: new (n: number) => FloatBuffer, n: number, seed: number): FloatBuffer {
  const r = mulberry32(seed);
  const out = new Buf(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

function run(opt: Optimizer<never>, params: FloatBuffer[], steps: number, seed: number): void {
  for (let k = 0; k < steps; k++) {
    opt.step(
      params.map((p, j) =>
        randomBuffer(p.constructor as never, p.length, seed * 1000 + k * 10 + j),
      ),
    );
  }
}

describe('construction', () => {
  test('plain buffers make one group holding the defaults', () => {
    const w = new Float32Array(3);
    const opt = new Adam([w]);
    assert.equal(opt.paramGroups.length, 1);
    assert.equal(opt.paramGroups[0]!.lr, 1e-3);
    assert.deepEqual(opt.paramGroups[0]!.betas, [0.9, 0.999]);
    assert.equal(opt.paramGroups[0]!.params[0], w);
  });

  test('groups override the optimizer options, which override the defaults', () => {
    const w = new Float64Array(2);
    const b = new Float64Array(1);
    const opt = new Adam([{ params: [w], weightDecay: 0.01 }, { params: [b] }], { lr: 0.5 });
    assert.equal(opt.paramGroups[0]!.weightDecay, 0.01);
    assert.equal(opt.paramGroups[1]!.weightDecay, 0);
    assert.equal(opt.paramGroups[1]!.lr, 0.5);
    assert.deepEqual(opt.params, [w, b]);
  });

  test('hyper-parameters are copied: mutating the caller array changes nothing', () => {
    const betas: [number, number] = [0.8, 0.9];
    const opt = new Adam([new Float32Array(1)], { betas });
    betas[0] = 0.1;
    assert.deepEqual(opt.paramGroups[0]!.betas, [0.8, 0.9]);
  });

  test('groups never share an array with the defaults or each other', () => {
    const a = new Adam([{ params: [new Float32Array(1)] }, { params: [new Float32Array(1)] }]);
    a.paramGroups[0]!.betas[0] = 0.5;
    assert.equal(a.paramGroups[1]!.betas[0], 0.9);
    assert.equal(new Adam([new Float32Array(1)]).paramGroups[0]!.betas[0], 0.9);
  });

  test('createOptimizer knows every documented name and its presets', () => {
    // The README lists every name; the list is the library's, in its order.
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const listed = /`createOptimizer\(name, params, options\)` builds one by name: `([^`]+)`/.exec(
      readme,
    );
    assert.ok(listed, 'the README lists the names');
    assert.deepEqual(OPTIMIZER_NAMES, listed[1]!.split(/,\s*/));
    const nesterov = createOptimizer('nesterov', [new Float32Array(1)]);
    assert.equal(nesterov.name, 'SGD');
    assert.equal((nesterov.paramGroups[0] as unknown as { nesterov: boolean }).nesterov, true);
    assert.equal(
      (
        createOptimizer('amsgrad', [new Float32Array(1)]).paramGroups[0] as unknown as {
          amsgrad: boolean;
        }
      ).amsgrad,
      true,
    );
    assert.throws(
      () => createOptimizer('adamm', [new Float32Array(1)]),
      /unknown optimizer "adamm"; known: sgd/,
    );
  });
});

describe('invalid options are refused with the optimizer, option, value and range', () => {
  const p = () => [new Float32Array(2)];
  const cases: [string, () => unknown, RegExp][] = [
    [
      'negative lr',
      () => new Adam(p(), { lr: -1 }),
      /^RangeError: Adam: lr must be a finite number >= 0, got -1$/,
    ],
    [
      'NaN lr',
      () => new SGD(p(), { lr: NaN }),
      /^RangeError: SGD: lr must be a finite number >= 0, got NaN$/,
    ],
    [
      'beta1 = 1.2',
      () => new Adam(p(), { betas: [1.2, 0.999] }),
      /^RangeError: Adam: betas\[0\] must be in \[0, 1\), got 1.2$/,
    ],
    [
      'beta2 = 1',
      () => new AdamW(p(), { betas: [0.9, 1] }),
      /^RangeError: AdamW: betas\[1\] must be in \[0, 1\), got 1$/,
    ],
    [
      'betas not a pair',
      () => new NAdam(p(), { betas: [0.9] as never }),
      /^RangeError: NAdam: betas must be a pair \[beta1, beta2\], got \[0.9\]$/,
    ],
    [
      'negative eps',
      () => new RAdam(p(), { eps: -1e-8 }),
      /^RangeError: RAdam: eps must be a finite number >= 0, got -1e-8$/,
    ],
    [
      'negative weightDecay',
      () => new Adamax(p(), { weightDecay: -0.1 }),
      /^RangeError: Adamax: weightDecay must be a finite number >= 0, got -0.1$/,
    ],
    [
      'negative momentum',
      () => new SGD(p(), { momentum: -0.5 }),
      /^RangeError: SGD: momentum must be a finite number >= 0, got -0.5$/,
    ],
    [
      'nesterov without momentum',
      () => new SGD(p(), { nesterov: true }),
      /^RangeError: SGD: nesterov needs momentum > 0 and dampening 0, got momentum 0 and dampening 0$/,
    ],
    [
      'nesterov with dampening',
      () => new SGD(p(), { nesterov: true, momentum: 0.9, dampening: 0.1 }),
      /nesterov needs momentum > 0 and dampening 0, got momentum 0.9 and dampening 0.1/,
    ],
    [
      'rho above 1',
      () => new Adadelta(p(), { rho: 1.5 }),
      /^RangeError: Adadelta: rho must be in \[0, 1\], got 1.5$/,
    ],
    [
      'negative lrDecay',
      () => new Adagrad(p(), { lrDecay: -1 }),
      /^RangeError: Adagrad: lrDecay must be a finite number >= 0, got -1$/,
    ],
    [
      'negative initialAccumulatorValue',
      () => new Adagrad(p(), { initialAccumulatorValue: -1 }),
      /initialAccumulatorValue must be a finite number >= 0, got -1/,
    ],
    [
      'negative alpha',
      () => new RMSprop(p(), { alpha: -0.9 }),
      /^RangeError: RMSprop: alpha must be a finite number >= 0, got -0.9$/,
    ],
    [
      'non-boolean centered',
      () => new RMSprop(p(), { centered: 'yes' as never }),
      /^RangeError: RMSprop: centered must be true or false, got "yes"$/,
    ],
    [
      'negative momentumDecay',
      () => new NAdam(p(), { momentumDecay: -1 }),
      /^RangeError: NAdam: momentumDecay must be a finite number >= 0, got -1$/,
    ],
    [
      'unknown option (a typo)',
      () => new Adam(p(), { learningRate: 0.1 } as never),
      /^RangeError: Adam: unknown option "learningRate"; known: lr, betas/,
    ],
    [
      'unknown option in a group',
      () => new Adam([{ params: p(), weight_decay: 0.1 } as never]),
      /unknown option in param group 0 "weight_decay"/,
    ],
    [
      'invalid value in a group',
      () => new Adam([{ params: p(), lr: -2 }]),
      /^RangeError: Adam: lr must be a finite number >= 0, got -2$/,
    ],
    ['no params', () => new Adam([]), /^TypeError: Adam: params must be a non-empty array/],
    [
      'a plain array as a parameter',
      () => new Adam([{ params: [[1, 2] as never] }]),
      /^TypeError: Adam: parameter 0 of group 0 must be a Float32Array or Float64Array, got Array$/,
    ],
    [
      'an Int32Array as a parameter',
      () => new SGD([new Int32Array(2) as never]),
      /must be a Float32Array, a Float64Array or a group/,
    ],
    [
      'the same buffer twice',
      () => {
        const w = new Float32Array(2);
        return new SGD([w, w]);
      },
      /^RangeError: SGD: a parameter buffer appears more than once$/,
    ],
  ];
  for (const [what, make, message] of cases) {
    test(what, () => {
      assert.throws(make, (e: Error) => {
        assert.match(`${e.name}: ${e.message}`, message);
        return true;
      });
    });
  }
});

describe('step', () => {
  test('a float32 and a float64 parameter in one optimizer, state takes each type', () => {
    const a = new Float32Array([1, 2]);
    const b = new Float64Array([3]);
    const opt = new Adam([a, b], { lr: 0.1 });
    opt.step([new Float32Array([1, 1]), new Float64Array([1])]);
    const s = opt.stateDict();
    assert.ok(s.state[0]!.slots.exp_avg instanceof Float32Array);
    assert.ok(s.state[1]!.slots.exp_avg instanceof Float64Array);
    // Adam's first step moves every coordinate by lr·|g|/(|g|+eps) ~ lr.
    assert.ok(Math.abs(b[0]! - 2.9) < 1e-7);
  });

  test('a null gradient skips its parameter and its step count', () => {
    const a = new Float64Array([1]);
    const b = new Float64Array([1]);
    const opt = new SGD([a, b], { lr: 0.5 });
    opt.step([new Float64Array([1]), null]);
    assert.equal(a[0], 0.5);
    assert.equal(b[0], 1);
    assert.equal(opt.stateDict().state[1], null);
  });

  test('writable hyper-parameters take effect on the next step', () => {
    const w = new Float64Array([1]);
    const opt = new SGD([w], { lr: 0.5 });
    opt.paramGroups[0]!.lr = 0.25;
    opt.step([new Float64Array([1])]);
    assert.equal(w[0], 0.75);
  });

  const bad: [string, (w: Float32Array) => unknown[], RegExp][] = [
    ['too few gradients', () => [], /^RangeError: Adam: step got 0 gradients for 2 parameters$/],
    ['too many gradients', (w) => [w, w, w], /step got 3 gradients for 2 parameters/],
    [
      'a length mismatch',
      () => [new Float32Array(3), new Float32Array(1)],
      /^RangeError: Adam: gradient 1 has length 1, its parameter has length 2$/,
    ],
    [
      'a dtype mismatch',
      () => [new Float32Array(3), new Float64Array(2)],
      /^TypeError: Adam: gradient 1 is float64, its parameter is float32$/,
    ],
    [
      'a plain array',
      () => [new Float32Array(3), [1, 2]],
      /^TypeError: Adam: gradient 1 must be a Float32Array, a Float64Array or a sparse gradient \{ indices, values, rowSize \}, got Array$/,
    ],
    [
      'not an array',
      () => 'grads' as never,
      /^TypeError: Adam: step expects an array of gradients, got string$/,
    ],
  ];
  for (const [what, grads, message] of bad) {
    test(`rejects ${what} and changes nothing`, () => {
      const w = new Float32Array([1, 2, 3]);
      const b = new Float32Array([4, 5]);
      const opt = new Adam([w, b], { lr: 0.1 });
      opt.step([new Float32Array([1, 1, 1]), new Float32Array([1, 1])]);
      const before = opt.stateDict();
      const wBefore = w.slice();
      assert.throws(
        () => opt.step(grads(w) as never),
        (e: Error) => {
          assert.match(`${e.name}: ${e.message}`, message);
          return true;
        },
      );
      assert.deepEqual(w, wBefore);
      assert.deepEqual(opt.stateDict(), before);
    });
  }

  test('an invalid hyper-parameter written into a group is refused at step, nothing changes', () => {
    const w = new Float64Array([1, 2]);
    const opt = new RMSprop([w], { momentum: 0.9 });
    opt.step([new Float64Array([1, 1])]);
    const before = opt.stateDict();
    const wBefore = w.slice();
    opt.paramGroups[0]!.lr = -1;
    assert.throws(
      () => opt.step([new Float64Array([1, 1])]),
      /RMSprop: lr must be a finite number >= 0, got -1/,
    );
    assert.deepEqual(w, wBefore);
    opt.paramGroups[0]!.lr = before.paramGroups[0]!.lr as number;
    assert.deepEqual(opt.stateDict(), before);
  });

  test('momentum switched on mid-run starts its buffer at the gradient, as PyTorch does', () => {
    const w = new Float64Array([1]);
    const opt = new SGD([w], { lr: 0.1 });
    opt.step([new Float64Array([1])]);
    opt.paramGroups[0]!.momentum = 0.9;
    opt.step([new Float64Array([2])]);
    assert.deepEqual(Array.from(opt.stateDict().state[0]!.slots.momentum_buffer!), [2]);
  });
});

describe('stateDict / loadStateDict', () => {
  for (const [name, Ctor, options] of CONFIGS) {
    for (const Buf of [Float32Array, Float64Array] as (new (n: number) => FloatBuffer)[]) {
      test(`${name} (${Buf.name}): k steps, save, load into a fresh optimizer, n more = k+n steps, bit for bit`, () => {
        const x0 = [randomBuffer(Buf, 7, 1), randomBuffer(Buf, 3, 2)];
        const straight = x0.map((p) => p.slice());
        const optA = new Ctor(straight, options);
        run(optA, straight, 12, 5);

        const resumed = x0.map((p) => p.slice());
        const optB = new Ctor(resumed, options);
        run(optB, resumed, 5, 5);
        const saved = optB.stateDict();
        const json = structuredClone(saved);
        const fresh = new Ctor(resumed, {});
        fresh.loadStateDict(json);
        // The remaining 7 steps use the same gradient stream as steps 5..11 of the straight run.
        for (let k = 5; k < 12; k++) {
          fresh.step(resumed.map((p, j) => randomBuffer(Buf, p.length, 5 * 1000 + k * 10 + j)));
        }
        assert.deepEqual(resumed, straight);
        assert.deepEqual(fresh.stateDict(), optA.stateDict());
      });
    }
  }

  test('the state dict is a copy: later steps do not change it', () => {
    const w = new Float32Array([1, 2]);
    const opt = new Adam([w]);
    opt.step([new Float32Array([1, 1])]);
    const s = opt.stateDict();
    const m = s.state[0]!.slots.exp_avg!.slice();
    opt.step([new Float32Array([1, 1])]);
    assert.deepEqual(s.state[0]!.slots.exp_avg, m);
  });

  test('loading restores the hyper-parameters of every group', () => {
    const opt = new Adam([
      { params: [new Float32Array(1)] },
      { params: [new Float32Array(1)], lr: 0.5 },
    ]);
    const other = new Adam([{ params: [new Float32Array(1)] }, { params: [new Float32Array(1)] }]);
    other.loadStateDict(opt.stateDict());
    assert.equal(other.paramGroups[1]!.lr, 0.5);
  });

  const mutations: [string, (s: OptimizerStateDict) => void, RegExp][] = [
    [
      'another optimizer',
      (s) => (s.optimizer = 'SGD'),
      /^RangeError: Adam: cannot load state dict: it was saved by SGD, not Adam$/,
    ],
    [
      'another version',
      (s) => (s.version = 99),
      /version 99 is not supported \(this descent reads version 1\)/,
    ],
    [
      'another format',
      (s) => ((s as { format: string }).format = 'x'),
      /format is x, not descent\/optimizer/,
    ],
    ['other shapes', (s) => (s.paramSizes[1] = 4), /parameter 1 has length 2, the saved one 4/],
    [
      'another group count',
      (s) => s.paramGroups.push({ params: [] }),
      /it has 3 param groups, this optimizer has 2/,
    ],
    [
      'a slot of the wrong length',
      (s) => (s.state[0]!.slots.exp_avg = new Float32Array(9)),
      /slot exp_avg of parameter 0 is not a buffer of length 3/,
    ],
    [
      'an invalid hyper-parameter',
      (s) => (s.paramGroups[0]!.betas = [2, 0.9]),
      /^RangeError: Adam: betas\[0\] must be in \[0, 1\), got 2$/,
    ],
    [
      'an unknown hyper-parameter',
      (s) => (s.paramGroups[1]!.momentum = 0.9),
      /unknown option in saved param group 1 "momentum"/,
    ],
    [
      'a negative step',
      (s) => (s.state[1]!.step = -1),
      /parameter 1 has step -1, expected an integer >= 0/,
    ],
    ['a missing option', (s) => delete s.paramGroups[0]!.eps, /param group 0 lacks option eps/],
  ];
  for (const [what, mutate, message] of mutations) {
    test(`rejects ${what} and leaves the optimizer unchanged`, () => {
      const make = () => {
        const params = [new Float32Array([1, 2, 3]), new Float32Array([4, 5])];
        const opt = new Adam([{ params: [params[0]!] }, { params: [params[1]!], lr: 0.2 }]);
        opt.step([new Float32Array([1, 2, 3]), new Float32Array([1, 1])]);
        return opt;
      };
      const opt = make();
      const before = opt.stateDict();
      const foreign = make().stateDict();
      mutate(foreign);
      assert.throws(
        () => opt.loadStateDict(foreign),
        (e: Error) => {
          assert.match(`${e.name}: ${e.message}`, message);
          return true;
        },
      );
      assert.deepEqual(opt.stateDict(), before);
    });
  }
});
