import type { Dataset } from '../dataset.ts';
import type { Model } from '../model.ts';
import { linearModel } from './linear.ts';

/**
 * The mean cross-entropy of softmax(xW + b) over `rows` of `d`, and its gradient added into
 * gW, gb (scaled by 1 / rows.length) when given. W is features × classes, row-major.
 */
function crossEntropy(
  d: Dataset,
  W: Float64Array,
  b: Float64Array,
  rows: ArrayLike<number>,
  gW?: Float64Array,
  gb?: Float64Array,
  correct?: { n: number },
): number {
  const C = d.classes;
  const F = d.features;
  const z = new Float64Array(C);
  const inv = 1 / rows.length;
  let total = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    const xo = i * F;
    z.set(b);
    for (let j = 0; j < F; j++) {
      const xj = d.x[xo + j]!;
      if (xj === 0) continue; // images are mostly background: skipping zeros halves the work
      const wo = j * C;
      for (let c = 0; c < C; c++) z[c]! += xj * W[wo + c]!;
    }
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++) {
      if (z[c]! > max) {
        max = z[c]!;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - max);
    const label = d.y[i]!;
    total += Math.log(sum) + max - z[label]!;
    if (correct && arg === label) correct.n++;
    if (!gW || !gb) continue;
    for (let c = 0; c < C; c++) z[c] = (Math.exp(z[c]! - max) / sum - (c === label ? 1 : 0)) * inv;
    for (let c = 0; c < C; c++) gb[c]! += z[c]!;
    for (let j = 0; j < F; j++) {
      const xj = d.x[xo + j]!;
      if (xj === 0) continue;
      const wo = j * C;
      for (let c = 0; c < C; c++) gW[wo + c]! += xj * z[c]!;
    }
  }
  return total * inv;
}

/**
 * Multinomial logistic (softmax) regression on a dense data set, in pure TypeScript with the
 * exact gradient: parameters W (features × classes, row-major: shape `[features, classes]`) and
 * b, float64, starting at zero (the loss is convex, so no random start is needed). Loss: mean
 * cross-entropy.
 */
export function softmaxModel(train: Dataset, test: Dataset | null): Model {
  const F = train.features;
  const C = train.classes;
  return linearModel(train, test, F * C, C, crossEntropy, [F, C]);
}
