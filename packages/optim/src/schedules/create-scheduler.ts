import { ReduceLROnPlateau } from './plateau.ts';
import type { Scheduler, Schedulable } from './scheduler.ts';
import {
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  PolynomialLR,
  StepLR,
} from './torch-schedulers.ts';

type Ctor = new (opt: Schedulable, options: never) => Scheduler;

// Schedulers that can be built from plain options (LambdaLR, SequentialLR and ChainedScheduler
// take functions or other schedulers, so they are built in code).
const SCHEDULERS: Record<string, Ctor> = {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  ConstantLR,
  LinearLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  OneCycleLR,
  CyclicLR,
  PolynomialLR,
};

/** Scheduler types {@link createScheduler} builds from plain options. */
export const SCHEDULER_TYPES = [...Object.keys(SCHEDULERS), 'ReduceLROnPlateau'];

/** PyTorch's keyword names, camelCased: `T_max` -> `tMax`, `step_size` -> `stepSize`. */
export function camelCaseKey(key: string): string {
  const joined = key.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
  return joined.charAt(0).toLowerCase() + joined.slice(1);
}

/** Builds a scheduler by its PyTorch class name, from camelCase or PyTorch snake_case options. */
export function createScheduler(
  type: string,
  optimizer: Schedulable,
  options: Record<string, unknown> = {},
): Scheduler | ReduceLROnPlateau {
  const camel = Object.fromEntries(Object.entries(options).map(([k, v]) => [camelCaseKey(k), v]));
  if (type === 'ReduceLROnPlateau') return new ReduceLROnPlateau(optimizer, camel);
  const Ctor = SCHEDULERS[type];
  if (!Ctor)
    throw new RangeError(`unknown scheduler "${type}"; known: ${SCHEDULER_TYPES.join(', ')}`);
  return new Ctor(optimizer, camel as never);
}
