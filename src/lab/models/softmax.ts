import type { Dataset } from '../dataset.ts';
import type { Model, TestResult } from '../model.ts';

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

const allRows = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/**
 * Multinomial logistic (softmax) regression on a dense data set, in pure TypeScript with the
 * exact gradient: parameters W (features × classes) and b, float64, starting at zero (the loss
 * is convex, so no random start is needed). Loss: mean cross-entropy.
 */
export function softmaxModel(train: Dataset, test: Dataset | null): Model {
  const W = new Float64Array(train.features * train.classes);
  const b = new Float64Array(train.classes);
  const trainRows = allRows(train.size);
  const testRows = test ? allRows(test.size) : null;
  return {
    params: [W, b],
    trainSize: train.size,
    lossAndGrad(batch, grads) {
      const gW = grads[0] as Float64Array;
      const gb = grads[1] as Float64Array;
      gW.fill(0);
      gb.fill(0);
      return crossEntropy(train, W, b, batch, gW, gb);
    },
    trainLoss: () => crossEntropy(train, W, b, trainRows),
    test(): TestResult | null {
      if (!test || !testRows) return null;
      const correct = { n: 0 };
      const loss = crossEntropy(test, W, b, testRows, undefined, undefined, correct);
      return { loss, accuracy: correct.n / test.size };
    },
  };
}
