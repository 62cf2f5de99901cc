import type { Model } from '../model.ts';
import type { SparseDataset } from '../sparse.ts';
import { linearModel } from './linear.ts';

/** log(1 + e^z), without overflow for large |z|. */
function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/**
 * Mean logistic loss of sigmoid(x·w + b) over `rows`; adds its gradient into gw, gb when given.
 */
function logisticLoss(
  d: SparseDataset,
  w: Float64Array,
  b: Float64Array,
  rows: ArrayLike<number>,
  gw?: Float64Array,
  gb?: Float64Array,
  correct?: { n: number },
): number {
  const inv = 1 / rows.length;
  let total = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    const lo = d.rowPtr[i]!;
    const hi = d.rowPtr[i + 1]!;
    let z = b[0]!;
    for (let k = lo; k < hi; k++) z += d.val[k]! * w[d.col[k]!]!;
    const label = d.y[i]!;
    total += softplus(z) - label * z;
    if (correct && (z > 0 ? 1 : 0) === label) correct.n++;
    if (!gw || !gb) continue;
    const res = (1 / (1 + Math.exp(-z)) - label) * inv;
    gb[0]! += res;
    for (let k = lo; k < hi; k++) gw[d.col[k]!]! += d.val[k]! * res;
  }
  return total * inv;
}

/**
 * Binary logistic regression on sparse rows, in pure TypeScript with the exact gradient:
 * parameters w (features) and b (1), float64, starting at zero. Loss: mean log-loss. The
 * gradient is dense in memory but zero outside the batch's features, which is what makes
 * per-coordinate adaptive step sizes matter here.
 */
export function sparseLogisticModel(train: SparseDataset, test: SparseDataset | null): Model {
  return linearModel(train, test, train.features, 1, logisticLoss);
}
