import type { TestFunction } from '../functions.ts';
import type { Model } from '../model.ts';
import { functionModel } from '../models/function.ts';
import type { TfBackend } from '../models/mlp-tfjs.ts';
import { Rng } from '../rng.ts';
import type { BatchSize } from '../sampler.ts';

/** How much a race may spend: `quick` is the default suite's budget, `full` the thorough one. */
export type Budget = 'quick' | 'full';

/**
 * A problem in a race: how to build it for a seed (same seed, same initial point or weights and
 * same data order for every optimizer), how long to train, and how to score a run.
 */
export interface RaceProblem {
  readonly name: string;
  readonly description: string;
  readonly kind: 'function' | 'dataset' | 'custom';
  readonly epochs: number;
  readonly batchSize: BatchSize;
  /**
   * `loss`: the final training loss, lower is better. `escape`: for surfaces unbounded below
   * (saddles), the step at which the loss first falls below {@link ESCAPE_LOSS}, fewer is better.
   */
  readonly objective: 'loss' | 'escape';
  /** The test function, for contour plots and trajectories. */
  readonly fn?: TestFunction;
  /** Points of the learning-rate grid (undefined: the whole grid). */
  readonly gridPoints?: number;
  /**
   * The largest learning rate of the sweep. Saddles cap it at 0.1: above 0.5 plain SGD diverges
   * along the descending direction of x² − y², and a race won by a first giant step says nothing
   * about leaving a saddle. (Adadelta, whose lr multiplies a self-scaled step, is not capped.)
   */
  readonly maxLr?: number;
  /** Builds the model for one run. */
  create(seed: number): Promise<Model>;
  /** For built-in problems: what a worker thread needs to build it again. */
  readonly builtin?: BuiltinRef;
}

export interface BuiltinRef {
  readonly name: string;
  readonly budget: Budget;
  readonly backend?: TfBackend;
  readonly dataDir?: string;
  readonly epochs?: number;
  readonly batchSize?: BatchSize;
}

/** A saddle run has escaped once its loss is below this (it starts near 1). */
export const ESCAPE_LOSS = -1;

/**
 * The starting point of seed k on a test function: the function's own for seed 0; for other
 * seeds that point moved by a seeded Gaussian with 5% of the plot window's size per coordinate,
 * so that seeds probe the neighbourhood instead of repeating one deterministic run.
 */
export function seededStart(fn: TestFunction, seed: number): number[] {
  if (seed === 0) return fn.start.slice();
  const rng = new Rng(seed);
  return fn.start.map((x, i) => {
    const [lo, hi] = fn.window[Math.min(i, 1)] as readonly [number, number];
    return x + 0.05 * (hi - lo) * rng.normal();
  });
}

/** A test function as a race problem. */
export function functionProblem(
  fn: TestFunction,
  options: { steps: number; objective?: 'loss' | 'escape'; builtin?: BuiltinRef },
): RaceProblem {
  const escape =
    (options.objective ?? (Number.isFinite(fn.minValue) ? 'loss' : 'escape')) === 'escape';
  return {
    name: fn.name,
    description: `${fn.title}: ${fn.formula}`,
    kind: 'function',
    epochs: options.steps,
    batchSize: 'full',
    objective: escape ? 'escape' : 'loss',
    ...(escape ? { maxLr: 0.1 } : {}),
    fn,
    create: async (seed) => functionModel(fn, { start: seededStart(fn, seed) }),
    ...(options.builtin ? { builtin: options.builtin } : {}),
  };
}
