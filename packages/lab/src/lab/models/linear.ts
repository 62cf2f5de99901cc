import type { Shape } from 'descent-optim/internal/core/types';
import type { Model, TestResult } from '../model.ts';

/**
 * The mean loss of a linear model (weights w, bias b) over `rows` of `d`; adds its gradient
 * (already divided by `rows.length`) into gw, gb when given, and counts correct predictions into
 * `correct` when given.
 */
export type LinearLoss<D> = (
  d: D,
  w: Float64Array,
  b: Float64Array,
  rows: ArrayLike<number>,
  gw?: Float64Array,
  gb?: Float64Array,
  correct?: { n: number },
) => number;

const allRows = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/**
 * A `Model` over float64 weights and bias starting at zero (the losses here are convex, so no
 * random start is needed), trained and tested through `loss`. `weightShape`, where the weights
 * are a matrix, gives the model its `shapes` (the weights', then `[biases]`).
 */
export function linearModel<D extends { readonly size: number }>(
  train: D,
  test: D | null,
  weights: number,
  biases: number,
  loss: LinearLoss<D>,
  weightShape?: Shape,
): Model {
  const w = new Float64Array(weights);
  const b = new Float64Array(biases);
  const trainRows = allRows(train.size);
  const testRows = test ? allRows(test.size) : null;
  return {
    params: [w, b],
    ...(weightShape ? { shapes: [weightShape, [biases]] } : {}),
    trainSize: train.size,
    lossAndGrad(batch, grads) {
      const gw = grads[0] as Float64Array;
      const gb = grads[1] as Float64Array;
      gw.fill(0);
      gb.fill(0);
      return loss(train, w, b, batch, gw, gb);
    },
    trainLoss: () => loss(train, w, b, trainRows),
    test(): TestResult | null {
      if (!test || !testRows) return null;
      const correct = { n: 0 };
      const value = loss(test, w, b, testRows, undefined, undefined, correct);
      return { loss: value, accuracy: correct.n / test.size };
    },
  };
}
