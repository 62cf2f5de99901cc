import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createOptimizer,
  findOptimizer,
  OPTIMIZERS,
  paramKinds,
  paramsAs,
} from '../packages/optim/src/node.ts';

// Random valid hyper-parameters, per optimizer, inside the ranges where every update is defined
// (eps > 0 keeps every division away from 0/0).
const lr = fc.double({ min: 0, max: 1, noNaN: true });
const beta = fc.double({ min: 0, max: 0.999, noNaN: true });
const eps = fc.double({ min: 1e-10, max: 1e-3, noNaN: true });
const wd = fc.double({ min: 0, max: 0.1, noNaN: true });
const unit = fc.double({ min: 0, max: 0.99, noNaN: true });

const VALID: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  sgd: fc.record({ lr, momentum: unit, dampening: unit, weightDecay: wd, maximize: fc.boolean() }),
  nesterov: fc.record({
    lr,
    momentum: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    weightDecay: wd,
  }),
  adagrad: fc.record({ lr, lrDecay: wd, weightDecay: wd, initialAccumulatorValue: wd, eps }),
  adadelta: fc.record({
    lr,
    rho: fc.double({ min: 0, max: 1, noNaN: true }),
    eps,
    weightDecay: wd,
  }),
  // Centered, the denominator √(v − ḡ²) + eps can be eps alone (α = 0, or a steady gradient), so
  // a step is lr·d/eps; weight decay then feeds p back into d and p grows by about lr·wd/eps per
  // step (1.8e6 in a case the fuzz found), overflowing any float: the algorithm diverges (as
  // PyTorch's does), no update is undefined. Centered runs therefore draw no weight decay.
  rmsprop: fc.boolean().chain((centered) =>
    fc.record({
      lr,
      alpha: beta,
      eps,
      weightDecay: centered ? fc.constant(0) : wd,
      momentum: unit,
      centered: fc.constant(centered),
    }),
  ),
  adam: fc.record({ lr, betas: fc.tuple(beta, beta), eps, weightDecay: wd, amsgrad: fc.boolean() }),
  adamw: fc.record({
    lr,
    betas: fc.tuple(beta, beta),
    eps,
    weightDecay: wd,
    amsgrad: fc.boolean(),
  }),
  adamax: fc.record({ lr, betas: fc.tuple(beta, beta), eps, weightDecay: wd }),
  nadam: fc.record({
    lr,
    betas: fc.tuple(beta, beta),
    eps,
    weightDecay: wd,
    momentumDecay: wd,
    decoupledWeightDecay: fc.boolean(),
  }),
  radam: fc.record({
    lr,
    betas: fc.tuple(beta, beta),
    eps,
    weightDecay: wd,
    decoupledWeightDecay: fc.boolean(),
  }),
  sparseadam: fc.record({ lr, betas: fc.tuple(beta, beta), eps }),
  // eps[0] > 0: with eps1 = 0 a coordinate whose V̂ is 0 takes 0·rsqrt(0), NaN (as in torch).
  adafactor: fc.record({
    lr,
    beta2Decay: fc.double({ min: -1, max: 0, noNaN: true }),
    eps: fc.tuple(fc.option(eps, { nil: null }), fc.double({ min: 0, max: 1e-2, noNaN: true })),
    d: fc.double({ min: 1, max: 10, noNaN: true }),
    weightDecay: wd,
    maximize: fc.boolean(),
  }),
  muon: fc.record({
    lr,
    weightDecay: wd,
    momentum: unit,
    nesterov: fc.boolean(),
    eps,
    nsSteps: fc.integer({ min: 0, max: 10 }),
    adjustLrFn: fc.constantFrom(null, 'original', 'match_rms_adamw'),
    maximize: fc.boolean(),
  }),
  lion: fc.record({ lr, betas: fc.tuple(beta, beta), weightDecay: wd, maximize: fc.boolean() }),
  // maxGradNorm 0 or >= 1e-3: the pre-norm divides g by σ = min(maxGradNorm/‖g‖, 1) computed in
  // float32, which is 0 (g/0) for a maxGradNorm below float32's range, as in the reference.
  lamb: fc.record({
    lr,
    betas: fc.tuple(beta, beta),
    eps,
    weightDecay: wd,
    weightDecouple: fc.boolean(),
    fixedDecay: fc.boolean(),
    rectify: fc.boolean(),
    degeneratedToSgd: fc.boolean(),
    gradAveraging: fc.boolean(),
    maxGradNorm: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 10, noNaN: true })),
    adam: fc.boolean(),
    preNorm: fc.boolean(),
    maximize: fc.boolean(),
  }),
  lars: fc.record({
    lr,
    weightDecay: wd,
    momentum: unit,
    dampening: unit,
    trustCoefficient: fc.double({ min: 0, max: 1, noNaN: true }),
    nesterov: fc.boolean(),
    maximize: fc.boolean(),
  }),
  rprop: fc.record({
    lr,
    etas: fc.tuple(
      fc.double({ min: 0.01, max: 0.99, noNaN: true }),
      fc.double({ min: 1.01, max: 3, noNaN: true }),
    ),
    stepSizes: fc.tuple(
      fc.double({ min: 0, max: 1e-3, noNaN: true }),
      fc.double({ min: 1e-3, max: 100, noNaN: true }),
    ),
    maximize: fc.boolean(),
  }),
  asgd: fc.record({
    lr,
    lambd: fc.double({ min: 0, max: 1, noNaN: true }),
    alpha: fc.double({ min: 0, max: 1, noNaN: true }),
    t0: fc.double({ min: 0, max: 20, noNaN: true }),
    weightDecay: wd,
    maximize: fc.boolean(),
  }),
  adopt: fc.record({
    lr,
    betas: fc.tuple(beta, beta),
    eps,
    clipExponent: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    weightDecay: wd,
    decouple: fc.boolean(),
    maximize: fc.boolean(),
  }),
  ademamix: fc.record({
    lr,
    betas: fc.tuple(beta, beta, beta),
    alpha: fc.double({ min: 0, max: 10, noNaN: true }),
    beta3Warmup: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }),
    alphaWarmup: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }),
    eps,
    weightDecay: wd,
    maximize: fc.boolean(),
  }),
  prodigy: fc.record({
    lr,
    betas: fc.tuple(beta, beta),
    beta3: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    eps,
    weightDecay: wd,
    decouple: fc.boolean(),
    useBiasCorrection: fc.boolean(),
    safeguardWarmup: fc.boolean(),
    d0: fc.double({ min: 1e-8, max: 1e-2, noNaN: true }),
    dCoef: fc.double({ min: 0.1, max: 10, noNaN: true }),
    growthRate: fc.oneof(fc.constant(Infinity), fc.double({ min: 1, max: 2, noNaN: true })),
    sliceP: fc.integer({ min: 1, max: 4 }),
    maximize: fc.boolean(),
  }),
  // β₁ and momentum in (0, 1): the eval point divides by them.
  'schedulefree-adamw': fc.record({
    lr,
    betas: fc.tuple(fc.double({ min: 0.01, max: 0.999, noNaN: true }), beta),
    eps,
    weightDecay: wd,
    warmupSteps: fc.integer({ min: 0, max: 20 }),
    r: fc.double({ min: 0, max: 2, noNaN: true }),
    weightLrPower: fc.double({ min: 0, max: 4, noNaN: true }),
    innerMomentum: unit,
    maximize: fc.boolean(),
  }),
  'schedulefree-sgd': fc.record({
    lr,
    momentum: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    weightDecay: wd,
    warmupSteps: fc.integer({ min: 0, max: 20 }),
    r: fc.double({ min: 0, max: 2, noNaN: true }),
    weightLrPower: fc.double({ min: 0, max: 4, noNaN: true }),
    maximize: fc.boolean(),
  }),
};

// A new optimizer must get its ranges here; a preset name (momentum, amsgrad) is fuzzed through
// its algorithm's entry, whose ranges include the preset.
test('every optimizer is fuzzed', () => {
  for (const d of OPTIMIZERS) {
    if (d.closure) {
      // A closure step (LBFGS) takes no gradient stream: it has its own fuzz, over losses.
      assert.ok(!(d.name in VALID), `${d.name} takes a closure, not these gradients`);
      const own = readFileSync(new URL(`./${d.name}.test.ts`, import.meta.url), 'utf8');
      assert.match(own, /describe\('fuzz/, `test/${d.name}.test.ts fuzzes ${d.name}`);
      continue;
    }
    assert.ok(d.name in VALID || Object.keys(d.preset).length > 0, `${d.name} has fuzz ranges`);
  }
});

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });

describe('fuzz: valid hyper-parameters and finite gradients never give NaN or Infinity', () => {
  for (const [name, options] of Object.entries(VALID)) {
    const d = findOptimizer(name);
    // Each kind of parameter it tells apart (Adafactor factors a matrix; Muon takes only those).
    for (const [kind, Buf] of paramKinds(d).flatMap((k) =>
      [Float64Array, Float32Array].map((B) => [k, B] as const),
    )) {
      test(`${name}${kind === 'vector' ? '' : ' as a 1×3 matrix'} (${Buf.name})`, () => {
        fc.assert(
          fc.property(
            options,
            fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), {
              minLength: 3,
              maxLength: 3,
            }),
            fc.array(fc.array(finite, { minLength: 3, maxLength: 3 }), {
              minLength: 1,
              maxLength: 15,
            }),
            (o, x0, grads) => {
              const p = Buf.from(x0);
              const opt = d.create(paramsAs(d, [p], kind), o);
              for (const g of grads) opt.step([Buf.from(g)]);
              assert.ok(p.every(Number.isFinite), `parameters ${Array.from(p)}`);
              for (const slot of Object.values(opt.stateDict().state[0]!.slots)) {
                assert.ok(slot.every(Number.isFinite), `state ${Array.from(slot)}`);
              }
            },
          ),
          { numRuns: 150 },
        );
      });
    }
  }
});

// One invalid value for one option; the error must be a RangeError naming that option.
const INVALID: [string, string, fc.Arbitrary<unknown>][] = [
  [
    'lr',
    'lr',
    fc.oneof(fc.double({ max: -1e-12, noNaN: true }), fc.constant(NaN), fc.constant(Infinity)),
  ],
  [
    'betas',
    'betas[0]',
    fc.tuple(
      fc.oneof(fc.double({ min: 1, noNaN: true }), fc.double({ max: -1e-12, noNaN: true })),
      fc.constant(0.9),
    ),
  ],
  [
    'betas',
    'betas[1]',
    fc.tuple(fc.constant(0.9), fc.oneof(fc.double({ min: 1, noNaN: true }), fc.constant(NaN))),
  ],
  ['eps', 'eps', fc.oneof(fc.double({ max: -1e-300, noNaN: true }), fc.constant(NaN))],
  [
    'weightDecay',
    'weightDecay',
    fc.oneof(fc.double({ max: -1e-300, noNaN: true }), fc.constant(-Infinity)),
  ],
  ['momentum', 'momentum', fc.double({ max: -1e-300, noNaN: true })],
  ['maximize', 'maximize', fc.oneof(fc.constant(1), fc.constant('true'), fc.constant(null))],
];

describe('fuzz: invalid hyper-parameters always give a RangeError that names the option', () => {
  for (const name of Object.keys(VALID)) {
    test(name, () => {
      const known = Object.keys(
        createOptimizer(name, paramsAs(findOptimizer(name), [new Float64Array(1)])).paramGroups[0]!,
      ).filter((k) => k !== 'params');
      const applicable = INVALID.filter(([key]) => known.includes(key));
      fc.assert(
        fc.property(fc.constantFrom(...applicable), fc.context(), ([key, label, arb], ctx) => {
          const value = fc.sample(arb, 1)[0];
          ctx.log(`${key} = ${String(value)}`);
          assert.throws(
            () =>
              createOptimizer(name, paramsAs(findOptimizer(name), [new Float64Array(2)]), {
                [key]: value,
              }),
            (e: Error) => e instanceof RangeError && e.message.includes(`${label} must be`),
          );
        }),
        { numRuns: 100 },
      );
    });
  }
});
