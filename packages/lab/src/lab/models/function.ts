import type { TestFunction } from '../functions.ts';
import type { Model } from '../model.ts';
import { Rng } from '../rng.ts';

/** Options of {@link functionModel}. */
export interface FunctionModelOptions {
  /** Starting point (default: the function's own). */
  start?: readonly number[];
  /** Standard deviation of Gaussian noise added to each gradient coordinate (default 0). */
  gradNoise?: number;
  /** Seed of the gradient noise (default 0). */
  seed?: number;
}

/**
 * A test function as a {@link Model}: one float64 parameter buffer (the point), no data (one
 * "sample", so an epoch is one step), and optional seeded gradient noise to mimic stochastic
 * gradients.
 */
export function functionModel(fn: TestFunction, options: FunctionModelOptions = {}): Model {
  const start = options.start ?? fn.start;
  if (start.length !== fn.dim) {
    throw new RangeError(`${fn.name}: start must have ${fn.dim} coordinates, got ${start.length}`);
  }
  const noise = options.gradNoise ?? 0;
  if (!(noise >= 0) || !Number.isFinite(noise)) {
    throw new RangeError(`gradNoise must be a finite number >= 0, got ${noise}`);
  }
  const rng = new Rng(options.seed ?? 0);
  const x = Float64Array.from(start);
  return {
    params: [x],
    trainSize: 1,
    lossAndGrad(_batch, grads) {
      const g = grads[0]!;
      const loss = fn.gradient(x, g);
      if (noise > 0) for (let i = 0; i < g.length; i++) g[i]! += noise * rng.normal();
      return loss;
    },
    trainLoss: () => fn.value(x),
    test: () => null,
  };
}
