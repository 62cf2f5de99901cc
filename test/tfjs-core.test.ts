import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Accumulate,
  createOptimizer,
  findOptimizer,
  Lookahead,
  OPTIMIZERS,
  OPTIMIZER_NAMES,
  paramKinds,
  StepLR,
  type Stepper,
} from '../packages/optim/src/node.ts';
import {
  tfOptimizer,
  tfOptimizerNames,
  type StepperFactory,
  type UpdatePath,
} from '../packages/optim/src/tfjs/index.ts';
import { SWATS } from '../packages/optim/src/wrappers/swats.ts';
import { randomArray, seeded, tf, useBackend } from './tfjs-setup.ts';

/** Options that exercise each optimizer's slots and branches. */
const OPTIONS: Record<string, Record<string, unknown>> = {
  sgd: { lr: 0.05, weightDecay: 0.01 },
  momentum: { lr: 0.05, dampening: 0.1 },
  nesterov: { lr: 0.05 },
  adagrad: { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 },
  adadelta: { weightDecay: 0.01 },
  rmsprop: { lr: 0.01, momentum: 0.5, centered: true },
  adam: { lr: 0.01, weightDecay: 0.01, clipGradNorm: 1 },
  adamw: { lr: 0.01 },
  amsgrad: { lr: 0.01 },
  adamax: { lr: 0.01 },
  nadam: { lr: 0.01 },
  radam: { lr: 0.01 },
  lion: { lr: 0.001 },
  adafactor: { lr: 0.05, weightDecay: 0.01, d: 2 },
  muon: { lr: 0.02, adjustLrFn: 'match_rms_adamw' },
  lamb: { lr: 0.01, weightDecay: 0.01, preNorm: true },
  lars: { lr: 0.05, weightDecay: 0.01 },
  rprop: { lr: 0.01, etas: [0.4, 1.3] },
  asgd: { lr: 0.05, t0: 4, weightDecay: 0.01 },
  adopt: { lr: 0.01, weightDecay: 0.01 },
  ademamix: { lr: 0.01, betas: [0.9, 0.999, 0.99], alphaWarmup: 5, beta3Warmup: 5 },
  prodigy: { weightDecay: 0.01, sliceP: 2 },
  'schedulefree-adamw': { lr: 0.01, weightDecay: 0.01, innerMomentum: 0.5 },
  'schedulefree-sgd': { lr: 0.05, warmupSteps: 3 },
  swats: { lr: 0.01 },
};

test('every optimizer tfOptimizer offers has options here', () => {
  for (const name of tfOptimizerNames()) assert.ok(name in OPTIONS, name);
  assert.ok(OPTIMIZERS.every((d) => d.name in OPTIONS || !tfOptimizerNames().includes(d.name)));
});
const SHAPES = [[3, 4], [5], [2, 2, 2]];
// For an optimizer that takes matrices only (Muon): a wide, a tall and a square one.
const MATRICES = [
  [3, 4],
  [5, 2],
  [2, 2],
];
const shapesFor = (name: string) =>
  OPTIMIZER_NAMES.includes(name) && !paramKinds(findOptimizer(name)).includes('vector')
    ? MATRICES
    : SHAPES;
const STEPS = 12;

/** Wrappers built by factories; each returns the stepper and a step hook (a scheduler). */
const FACTORIES: Record<string, (params: Float32Array[]) => { opt: Stepper; after: () => void }> = {
  'accumulate(adam), 3 gradients per update': (params) => ({
    opt: new Accumulate(createOptimizer('adam', params, { lr: 0.01 }), { steps: 3 }),
    after: () => {},
  }),
  'lookahead(nadam) + StepLR': (params) => {
    const opt = new Lookahead(createOptimizer('nadam', params, { lr: 0.01 }), { k: 4 });
    const sched = new StepLR(opt, { stepSize: 5, gamma: 0.5 });
    return { opt, after: () => sched.step() };
  },
};

function reference(name: string, params: Float32Array[], options: Record<string, unknown>) {
  const factory = FACTORIES[name];
  if (factory) return factory(params);
  // The adapter hands the core the variables' shapes; so does the reference.
  const shapes = shapesFor(name);
  const opt =
    name === 'swats'
      ? new SWATS(params, options)
      : createOptimizer(name, [{ params, shapes }], options);
  return { opt, after: () => {} };
}

/** The tfjs side of `reference`: a name, or a factory building the same wrapper. */
function adapter(name: string, options: Record<string, unknown>) {
  const factory = FACTORIES[name];
  if (!factory) return tfOptimizer(name, options);
  const wrap: StepperFactory = (params) => {
    const { opt, after } = factory(params);
    return {
      optimizer: opt,
      schedulers: [{ step: after, stateDict: () => null, loadStateDict() {} }],
    };
  };
  return tfOptimizer(wrap);
}

const CASES: ['cpu' | 'wasm', UpdatePath, string][] = [
  ['cpu', 'auto', 'cpu-in-place'],
  ['cpu', 'copy', 'copy'],
  ['wasm', 'auto', 'copy'],
];

// Same kernel, same float32 inputs, same float32 stores: the weights must match bit for bit.
for (const [backend, path, taken] of CASES) {
  describe(`tfOptimizer agrees exactly with the core (${backend}, ${taken})`, () => {
    for (const name of [...tfOptimizerNames(), ...Object.keys(FACTORIES)]) {
      test(name, async () => {
        await useBackend(backend);
        const options = OPTIONS[name] ?? {};
        const SHAPES = shapesFor(name);
        const rand = seeded(7);
        const init = SHAPES.map((s) =>
          randomArray(
            rand,
            s.reduce((a, b) => a * b, 1),
          ),
        );
        const vars = init.map((a, i) => tf.variable(tf.tensor(a.slice(), SHAPES[i]), true));
        const ref = init.map((a) => a.slice());
        const core = reference(name, ref, options);
        const opt = adapter(name, options);
        opt.updatePath = path;
        const before = tf.memory().numTensors;
        for (let step = 0; step < STEPS; step++) {
          // Every third step leaves the second variable without a gradient.
          const grads = init.map((a, i) =>
            step % 3 === 2 && i === 1 ? null : randomArray(rand, a.length, 2),
          );
          const tensors = grads.map((g, i) => (g ? tf.tensor(g, SHAPES[i]) : null));
          opt.applyGradients(
            vars.flatMap((v, i) => (tensors[i] ? [{ name: v.name, tensor: tensors[i] }] : [])),
          );
          core.opt.step(grads);
          core.after();
          tf.dispose(tensors.filter((t) => t !== null));
          vars.forEach((v, i) =>
            assert.deepEqual(v.dataSync(), ref[i], `${name} step ${step} variable ${i}`),
          );
        }
        assert.equal(opt.lastPath, taken);
        assert.equal(opt.iterations, STEPS);
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks across steps');
        opt.dispose();
        tf.dispose(vars);
      });
    }
  });
}

test('a factory may put the variables in its own groups and order (no weight decay on biases)', async () => {
  await useBackend('cpu');
  const groups = <T>(params: T[], rank: (i: number) => number) => [
    { params: params.filter((_, i) => rank(i) === 1), weightDecay: 0 },
    { params: params.filter((_, i) => rank(i) !== 1), weightDecay: 0.5 },
  ];
  const rand = seeded(21);
  const init = SHAPES.map((s) =>
    randomArray(
      rand,
      s.reduce((a, b) => a * b, 1),
    ),
  );
  const vars = init.map((a, i) => tf.variable(tf.tensor(a.slice(), SHAPES[i]), true));
  const ref = init.map((a) => a.slice());
  const core = createOptimizer(
    'adamw',
    groups(ref, (i) => SHAPES[i]!.length),
    { lr: 0.05 },
  );
  const opt = tfOptimizer(
    (params, options, variables) =>
      createOptimizer(
        'adamw',
        groups(params, (i) => variables[i]!.shape.length),
        options,
      ),
    { lr: 0.05 },
  );
  for (let step = 0; step < 5; step++) {
    const grads = init.map((a) => randomArray(rand, a.length));
    const tensors = grads.map((g, i) => tf.tensor(g, SHAPES[i]));
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tensors[i]! })));
    core.step(core.params.map((p) => grads[ref.indexOf(p as (typeof ref)[number])]!));
    tf.dispose(tensors);
  }
  vars.forEach((v, i) => assert.deepEqual(v.dataSync(), ref[i]));
  // The bias (rank 1) kept weightDecay 0, the others 0.5: with decay, they would differ.
  const groupsNow = opt.descent?.paramGroups ?? [];
  assert.deepEqual(
    groupsNow.map((g) => Reflect.get(g, 'weightDecay')),
    [0, 0.5],
  );
  opt.dispose();
  tf.dispose(vars);
});

test("tfOptimizer gives the optimizer the variables' shapes; muon refuses a variable that is not a matrix, naming it", async () => {
  await useBackend('cpu');
  const rand = seeded(3);
  const shapes = [[3, 4], [4], [], [2, 3, 2]];
  const vars = shapes.map((s) =>
    tf.variable(
      tf.tensor(
        randomArray(
          rand,
          s.reduce((a, b) => a * b, 1),
        ),
        s,
      ),
      true,
    ),
  );
  const grads = () =>
    vars.map((v) => ({ name: v.name, tensor: tf.tensor(randomArray(rand, v.size), v.shape) }));
  const opt = tfOptimizer('adafactor', { lr: 0.05 });
  const g = grads();
  opt.applyGradients(g);
  tf.dispose(g.map((x) => x.tensor));
  const core = opt.descent as unknown as ReturnType<typeof createOptimizer>;
  // A scalar variable is a vector of one element.
  assert.deepEqual(core.paramShapes, [[3, 4], [4], [1], [2, 3, 2]]);
  // Adafactor's factored state: one value per row and per column (per matrix of a 3-D kernel).
  const slotLengths = (i: number) =>
    Object.fromEntries(Object.entries(core.paramState(i)!.slots).map(([k, v]) => [k, v.length]));
  assert.deepEqual(slotLengths(0), { row_var: 3, col_var: 4 });
  assert.deepEqual(slotLengths(1), { variance: 4 });
  assert.deepEqual(slotLengths(3), { row_var: 6, col_var: 4 });
  opt.dispose();

  // Built at once (the probe is a 1×1 matrix), refused at the first step, naming the variable.
  const muon = tfOptimizer('muon');
  const h = grads();
  assert.throws(
    () => muon.applyGradients(h),
    new RegExp(
      `^RangeError: tfOptimizer: muon takes 2-D variables only, and "${vars[1]!.name}" has shape \\[4\\]`,
    ),
  );
  tf.dispose(h.map((x) => x.tensor));
  muon.dispose();
  tf.dispose(vars);
});
