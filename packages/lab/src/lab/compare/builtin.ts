import { testFunction } from '../functions.ts';
import type { TfBackend } from '../models/mlp-tfjs.ts';
import { findProblem } from '../problems.ts';
import type { BatchSize } from '../sampler.ts';
import { functionProblem, type Budget, type RaceProblem } from './race-problem.ts';

interface Plan {
  epochs: number;
  batchSize: BatchSize;
  gridPoints?: number;
}

// Run lengths per budget. Test functions are cheap, so they get many steps and half-decade grids;
// the data sets sweep whole decades in the quick budget (the race refines to half decades around
// the best and extends an edge), which keeps the default suite under a minute on two cores.
const PLANS: Record<string, Record<Budget, Plan>> = {
  function: {
    quick: { epochs: 1000, batchSize: 'full' },
    full: { epochs: 3000, batchSize: 'full' },
  },
  saddle: { quick: { epochs: 500, batchSize: 'full' }, full: { epochs: 1000, batchSize: 'full' } },
  'sparse-logreg': {
    quick: { epochs: 10, batchSize: 32, gridPoints: 6 },
    full: { epochs: 30, batchSize: 32 },
  },
  'digits-logreg': {
    quick: { epochs: 10, batchSize: 32, gridPoints: 6 },
    full: { epochs: 30, batchSize: 32 },
  },
  'digits-mlp': {
    quick: { epochs: 3, batchSize: 128, gridPoints: 4 },
    full: { epochs: 10, batchSize: 32 },
  },
  'fashion-logreg': {
    quick: { epochs: 1, batchSize: 128, gridPoints: 6 },
    full: { epochs: 3, batchSize: 128, gridPoints: 6 },
  },
  'fashion-mlp': {
    quick: { epochs: 1, batchSize: 128, gridPoints: 4 },
    full: { epochs: 1, batchSize: 128, gridPoints: 6 },
  },
};

/** The default suite: test functions with a valley, a saddle and local minima, sparse and dense data. */
export const QUICK_SUITE = [
  'rosenbrock',
  'beale',
  'saddle',
  'monkey-saddle',
  'rastrigin',
  'sparse-logreg',
  'digits-logreg',
  'digits-mlp',
];

/** `--budget full` adds Fashion-MNIST when it is installed (softmax regression: an MLP epoch takes
 * about 20 s here, so `fashion-mlp` races only when named with --problem). */
export const FULL_EXTRA = ['fashion-logreg'];

export interface BuiltinOptions {
  backend?: TfBackend;
  dataDir?: string;
  /** Overrides the budget's epochs (a test function's epoch is one step). */
  epochs?: number;
  /** Overrides the budget's batch size (data sets only). */
  batchSize?: BatchSize;
}

/** A built-in problem of the lab (see `descent train --help` for the list), sized for a budget. */
export function builtinRaceProblem(
  name: string,
  budget: Budget,
  o: BuiltinOptions = {},
): RaceProblem {
  const builtin = { name, budget, ...o };
  const fn = testFunction(name);
  if (fn) {
    const escape = !Number.isFinite(fn.minValue);
    const plan = (PLANS[escape ? 'saddle' : 'function'] as Record<Budget, Plan>)[budget];
    return functionProblem(fn, { steps: o.epochs ?? plan.epochs, builtin });
  }
  const problem = findProblem(name);
  const plan = PLANS[name]?.[budget] ?? {
    epochs: problem.defaults.epochs,
    batchSize: problem.defaults.batchSize,
  };
  // MLPs race on tfjs's wasm backend unless told otherwise: it is several times faster here.
  const backend = o.backend ?? 'wasm';
  return {
    name,
    description: problem.description,
    kind: 'dataset',
    epochs: o.epochs ?? plan.epochs,
    batchSize: o.batchSize ?? plan.batchSize,
    objective: 'loss',
    ...(plan.gridPoints ? { gridPoints: plan.gridPoints } : {}),
    create: (seed) =>
      problem.create({ seed, backend, ...(o.dataDir ? { dataDir: o.dataDir } : {}) }),
    builtin: { ...builtin, backend },
  };
}

/**
 * The batch-size race the default suite adds: batch (full), stochastic (1) and mini-batch GD on
 * the digits softmax regression. Short in the quick budget (5 epochs, Momentum, batches 1, 32 and
 * full) so the whole suite stays under a minute on two cores; wider in the full budget.
 */
export const BATCH_SUITE: Record<
  Budget,
  { problem: string; batchSizes: BatchSize[]; optimizers: string[]; epochs: number }
> = {
  quick: {
    problem: 'digits-logreg',
    batchSizes: [1, 32, 'full'],
    optimizers: ['momentum'],
    epochs: 5,
  },
  full: {
    problem: 'digits-logreg',
    batchSizes: [1, 8, 32, 128, 'full'],
    optimizers: ['momentum', 'adam'],
    epochs: 10,
  },
};
