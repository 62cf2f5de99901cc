/**
 * The one list of optimizers. Every name `createOptimizer` accepts is a descriptor written next
 * to its math in `rules/`; the registry, the lab's contenders, the playground's tables, the
 * benchmark's rows and the generic tests all read this list, so adding an optimizer is its rule
 * file, its kernel definition, one line here, its reference fixtures and its README row.
 */
import type { OptimizerDescriptor, ParamKind } from './core/descriptor.ts';
import type { Optimizer } from './core/optimizer.ts';
import type { CommonOptions, FloatBuffer, ParamsInput } from './core/types.ts';
import { adadeltaDescriptor } from './rules/adadelta.ts';
import { adafactorDescriptor } from './rules/adafactor.ts';
import { adagradDescriptor } from './rules/adagrad.ts';
import { adamDescriptors } from './rules/adam.ts';
import { adamaxDescriptor } from './rules/adamax.ts';
import { ademamixDescriptor } from './rules/ademamix.ts';
import { adoptDescriptor } from './rules/adopt.ts';
import { asgdDescriptor } from './rules/asgd.ts';
import { lambDescriptor } from './rules/lamb.ts';
import { larsDescriptor } from './rules/lars.ts';
import { lbfgsDescriptor } from './rules/lbfgs.ts';
import { lionDescriptor } from './rules/lion.ts';
import { muonDescriptor } from './rules/muon.ts';
import { prodigyDescriptor } from './rules/prodigy.ts';
import { nadamDescriptor } from './rules/nadam.ts';
import { radamDescriptor } from './rules/radam.ts';
import { rmspropDescriptor } from './rules/rmsprop.ts';
import { rpropDescriptor } from './rules/rprop.ts';
import { scheduleFreeAdamWDescriptor, scheduleFreeSGDDescriptor } from './rules/schedule-free.ts';
import { sgdDescriptors } from './rules/sgd.ts';
import { sparseAdamDescriptor } from './rules/sparse-adam.ts';

/**
 * The classic methods: the set descent started with (SGD to RAdam) and torch.optim's older
 * full-batch and averaging ones (Rprop 1993, ASGD 1992, L-BFGS 1989).
 */
const CLASSIC: readonly OptimizerDescriptor[] = [
  ...sgdDescriptors,
  adagradDescriptor,
  adadeltaDescriptor,
  rmspropDescriptor,
  ...adamDescriptors,
  adamaxDescriptor,
  nadamDescriptor,
  radamDescriptor,
  sparseAdamDescriptor,
  rpropDescriptor,
  asgdDescriptor,
  lbfgsDescriptor,
];

/**
 * The methods of the recent wave (2017 on: LARS, Adafactor, LAMB, Lion, Schedule-Free, ADOPT,
 * AdEMAMix, Prodigy, Muon): their descriptors' `era` is `new`, and the lab says so.
 */
const NEW: readonly OptimizerDescriptor[] = [
  lionDescriptor,
  lambDescriptor,
  larsDescriptor,
  scheduleFreeAdamWDescriptor,
  scheduleFreeSGDDescriptor,
  adoptDescriptor,
  ademamixDescriptor,
  prodigyDescriptor,
  adafactorDescriptor,
  muonDescriptor,
];

/** Every optimizer, in a stable order (the lab's report order): the classic set, then the new. */
export const OPTIMIZERS: readonly OptimizerDescriptor[] = [
  ...CLASSIC,
  ...NEW.map((d): OptimizerDescriptor => ({ ...d, era: 'new' })),
];

/** Every name {@link createOptimizer} accepts, in a stable order. */
export const OPTIMIZER_NAMES: readonly string[] = OPTIMIZERS.map((d) => d.name);

/** An optimizer name {@link createOptimizer} accepts. */
export type OptimizerName = string;

/** The descriptor of a name (case-insensitive); a RangeError listing the known names otherwise. */
export function findOptimizer(name: string): OptimizerDescriptor {
  const key = String(name).toLowerCase();
  const d = OPTIMIZERS.find((x) => x.name === key);
  if (!d) throw new RangeError(`unknown optimizer "${name}"; known: ${OPTIMIZER_NAMES.join(', ')}`);
  return d;
}

/** The kinds of parameter `d`'s math tells apart (`OptimizerDescriptor.takes`; vectors if absent). */
export function paramKinds(d: OptimizerDescriptor): readonly ParamKind[] {
  return d.takes ?? VECTORS;
}
const VECTORS: readonly ParamKind[] = ['vector'];

/**
 * The matrix a buffer of n elements is, where a generic run (a test, the playground, the tfjs
 * probe) gives an optimizer a matrix: [a, n/a] with a the largest divisor of n up to √n
 * ([7, 29] for 203, [1, n] for a prime n).
 */
export function matrixShape(n: number): [number, number] {
  let a = Math.floor(Math.sqrt(n));
  while (a > 1 && n % a !== 0) a--;
  return [Math.max(a, 1), n / Math.max(a, 1)];
}

/**
 * `buffers` as params of the kind given: plain buffers (vectors), or one group that shapes each
 * as a matrix ({@link matrixShape}). The default kind is the first that `d` takes, so that
 * `create(paramsAs(d, [x]))` builds any optimizer, Muon (matrices only) included.
 */
export function paramsAs(
  d: OptimizerDescriptor,
  buffers: FloatBuffer[],
  kind: ParamKind = paramKinds(d)[0]!,
): ParamsInput<never> {
  if (kind === 'vector') return buffers;
  const group: ParamsInput<CommonOptions> = [
    { params: buffers, shapes: buffers.map((b) => matrixShape(b.length)) },
  ];
  return group as ParamsInput<never>;
}

/**
 * Builds an optimizer by name. `momentum` and `nesterov` are SGD with momentum 0.9 (and Nesterov),
 * `amsgrad` is Adam with `amsgrad: true`; options override those presets.
 */
export function createOptimizer(
  name: string,
  params: ParamsInput<CommonOptions>,
  options: Record<string, unknown> = {},
): Optimizer<CommonOptions> {
  return findOptimizer(name).create(params as ParamsInput<never>, options);
}
