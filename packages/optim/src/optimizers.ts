/**
 * The one list of optimizers. Every name `createOptimizer` accepts is a descriptor written next
 * to its math in `rules/`; the registry, the lab's contenders, the playground's tables, the
 * benchmark's rows and the generic tests all read this list, so adding an optimizer is its rule
 * file, its kernel definition, one line here, its reference fixtures and its README row.
 */
import type { OptimizerDescriptor } from './core/descriptor.ts';
import type { Optimizer } from './core/optimizer.ts';
import type { CommonOptions, ParamsInput } from './core/types.ts';
import { adadeltaDescriptor } from './rules/adadelta.ts';
import { adagradDescriptor } from './rules/adagrad.ts';
import { adamDescriptors } from './rules/adam.ts';
import { adamaxDescriptor } from './rules/adamax.ts';
import { lionDescriptor } from './rules/lion.ts';
import { nadamDescriptor } from './rules/nadam.ts';
import { radamDescriptor } from './rules/radam.ts';
import { rmspropDescriptor } from './rules/rmsprop.ts';
import { sgdDescriptors } from './rules/sgd.ts';
import { sparseAdamDescriptor } from './rules/sparse-adam.ts';

/** Every optimizer, in a stable order (the lab's report order). */
export const OPTIMIZERS: readonly OptimizerDescriptor[] = [
  ...sgdDescriptors,
  adagradDescriptor,
  adadeltaDescriptor,
  rmspropDescriptor,
  ...adamDescriptors,
  adamaxDescriptor,
  nadamDescriptor,
  radamDescriptor,
  sparseAdamDescriptor,
  lionDescriptor,
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
