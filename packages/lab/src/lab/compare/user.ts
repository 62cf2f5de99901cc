import type { Model } from '../model.ts';
import type { BatchSize } from '../sampler.ts';
import type { RaceProblem } from './race-problem.ts';
import { checkInteger } from 'descent-optim/internal/core/validate';

/** An objective on a typed array, with its gradient: the simplest problem to race on. */
export interface ObjectiveSpec {
  name: string;
  description?: string;
  /** The starting point for a seed (the same for every optimizer). */
  start: (seed: number) => ArrayLike<number>;
  /** Writes the gradient at `x` into `grad` and returns the value. */
  valueAndGradient: (x: Float64Array, grad: Float64Array) => number;
  /** Steps per run. */
  steps: number;
}

/** A deterministic objective as a race problem (each step uses the exact gradient). */
export function objectiveProblem(spec: ObjectiveSpec): RaceProblem {
  checkInteger('objectiveProblem', 'steps', spec.steps);
  return {
    name: spec.name,
    description: spec.description ?? spec.name,
    kind: 'custom',
    epochs: spec.steps,
    batchSize: 'full',
    objective: 'loss',
    create: async (seed): Promise<Model> => {
      const x = Float64Array.from(spec.start(seed));
      const probe = new Float64Array(x.length);
      return {
        params: [x],
        trainSize: 1,
        lossAndGrad: (_batch, grads) => spec.valueAndGradient(x, grads[0] as Float64Array),
        trainLoss: () => spec.valueAndGradient(x.slice(), probe),
        test: () => null,
      };
    },
  };
}

/** A model with data (a `Model`, e.g. a tfjs network wrapped by the lab) as a race problem. */
export interface ModelSpec {
  name: string;
  description?: string;
  /** Builds the model with its initial weights for a seed (the same for every optimizer). */
  create: (seed: number) => Model | Promise<Model>;
  epochs: number;
  batchSize: BatchSize;
}

export function modelProblem(spec: ModelSpec): RaceProblem {
  checkInteger('modelProblem', 'epochs', spec.epochs);
  return {
    name: spec.name,
    description: spec.description ?? spec.name,
    kind: 'dataset',
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    objective: 'loss',
    create: async (seed) => spec.create(seed),
  };
}
