import { Adadelta } from '../rules/adadelta.ts';
import { Adagrad } from '../rules/adagrad.ts';
import { Adam, AdamW } from '../rules/adam.ts';
import { Adamax } from '../rules/adamax.ts';
import { NAdam } from '../rules/nadam.ts';
import { RAdam } from '../rules/radam.ts';
import { RMSprop } from '../rules/rmsprop.ts';
import { SGD } from '../rules/sgd.ts';
import { SparseAdam } from '../rules/sparse-adam.ts';
import type { Optimizer } from './optimizer.ts';
import type { CommonOptions, ParamsInput } from './types.ts';

// Options are checked by each optimizer's constructor; here they are only passed through.
type AnyOptions = Record<string, unknown>;
type Factory = (params: ParamsInput<never>, options: AnyOptions) => Optimizer<CommonOptions>;

function make<T>(Ctor: new (params: never, options: never) => T, preset: AnyOptions = {}) {
  return ((params: never, options: AnyOptions) =>
    new Ctor(params, { ...preset, ...options } as never)) as unknown as Factory;
}

const FACTORIES = {
  sgd: make(SGD),
  momentum: make(SGD, { momentum: 0.9 }),
  nesterov: make(SGD, { momentum: 0.9, nesterov: true }),
  adagrad: make(Adagrad),
  adadelta: make(Adadelta),
  rmsprop: make(RMSprop),
  adam: make(Adam),
  adamw: make(AdamW),
  amsgrad: make(Adam, { amsgrad: true }),
  adamax: make(Adamax),
  nadam: make(NAdam),
  radam: make(RAdam),
  sparseadam: make(SparseAdam),
} satisfies Record<string, Factory>;

/** Optimizer names accepted by {@link createOptimizer} (and the CLI). */
export type OptimizerName = keyof typeof FACTORIES;

/** Every name {@link createOptimizer} accepts, in a stable order. */
export const OPTIMIZER_NAMES = Object.keys(FACTORIES) as OptimizerName[];

/**
 * Builds an optimizer by name. `momentum` and `nesterov` are SGD with momentum 0.9 (and Nesterov),
 * `amsgrad` is Adam with `amsgrad: true`; options override those presets.
 */
export function createOptimizer(
  name: string,
  params: ParamsInput<CommonOptions>,
  options: AnyOptions = {},
): Optimizer<CommonOptions> {
  const key = name.toLowerCase() as OptimizerName;
  const factory = FACTORIES[key];
  if (!factory) {
    throw new RangeError(`unknown optimizer "${name}"; known: ${OPTIMIZER_NAMES.join(', ')}`);
  }
  return factory(params as ParamsInput<never>, options);
}
