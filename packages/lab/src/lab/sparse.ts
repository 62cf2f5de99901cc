import { checkInteger } from 'descent-optim/internal/core/validate';
import { checkSeed, Rng } from './rng.ts';

/**
 * A binary classification data set with sparse rows in CSR form: the features of row i are
 * `col[rowPtr[i] .. rowPtr[i+1])` with values `val[...]`; labels are 0 or 1.
 */
export interface SparseDataset {
  readonly size: number;
  readonly features: number;
  readonly rowPtr: Uint32Array;
  readonly col: Uint32Array;
  readonly val: Float32Array;
  readonly y: Uint8Array;
}

/** Options of {@link makeSparseLogreg}; every one has a default. */
export interface SparseLogregOptions {
  /** Training samples (default 2000). */
  trainSize?: number;
  /** Test samples (default 1000). */
  testSize?: number;
  /** Number of features (default 1000). */
  features?: number;
  /** Feature draws per sample (default 10; repeats add up, like word counts). */
  draws?: number;
  /** Zipf exponent s: feature j is drawn with probability ∝ (j + 1)^−s (default 1.1). */
  zipf?: number;
  /** Seed of the data, the true weights and the labels (default 0). */
  seed?: number;
}

/** A synthetic sparse problem: training and test sets and the weights that generated them. */
export interface SparseLogreg {
  readonly train: SparseDataset;
  readonly test: SparseDataset;
  /** The true weights w* (float64). */
  readonly weights: Float64Array;
  /** How often each feature occurs in the training set. */
  readonly counts: Uint32Array;
}

function checkInt(name: string, v: number, min: number): number {
  checkInteger('sparse-logreg', name, v, min);
  return v;
}

/**
 * Generates a seeded sparse logistic-regression problem in the regime where adaptive methods are
 * said to win (Duchi et al. 2011; Kingma and Ba 2015, Sec. 6.1): features follow a Zipf law, so
 * a few are frequent and most are rare, and the rare ones carry the signal. Each sample sums
 * `draws` Zipf-distributed feature draws (bag-of-words counts). The true weight of feature j is
 * w*_j ~ N(0, σ_j²) with σ_j = 4·sqrt((j + 1) / features): the most frequent features are
 * almost uninformative, the rarest have σ = 4. Labels are Bernoulli(sigmoid(x·w*)), so even w*
 * makes mistakes.
 */
export function makeSparseLogreg(options: SparseLogregOptions = {}): SparseLogreg {
  const trainSize = checkInt('trainSize', options.trainSize ?? 2000, 1);
  const testSize = checkInt('testSize', options.testSize ?? 1000, 1);
  const features = checkInt('features', options.features ?? 1000, 1);
  const draws = checkInt('draws', options.draws ?? 10, 1);
  const s = options.zipf ?? 1.1;
  if (!(s >= 0) || !Number.isFinite(s)) {
    throw new RangeError(`sparse-logreg: zipf must be a finite number >= 0, got ${s}`);
  }
  const rng = new Rng(checkSeed(options.seed ?? 0));

  const cdf = new Float64Array(features);
  let acc = 0;
  for (let j = 0; j < features; j++) cdf[j] = acc += (j + 1) ** -s;
  for (let j = 0; j < features; j++) cdf[j]! /= acc;
  const drawFeature = () => {
    const u = rng.next();
    let lo = 0;
    let hi = features - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  const weights = new Float64Array(features);
  for (let j = 0; j < features; j++) weights[j] = rng.normal() * 4 * Math.sqrt((j + 1) / features);

  const make = (size: number): SparseDataset => {
    const rowPtr = new Uint32Array(size + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    const y = new Uint8Array(size);
    const row = new Map<number, number>();
    for (let i = 0; i < size; i++) {
      row.clear();
      for (let k = 0; k < draws; k++) {
        const j = drawFeature();
        row.set(j, (row.get(j) ?? 0) + 1);
      }
      const sorted = [...row.keys()].sort((a, b) => a - b);
      let z = 0;
      for (const j of sorted) {
        cols.push(j);
        vals.push(row.get(j)!);
        z += row.get(j)! * weights[j]!;
      }
      rowPtr[i + 1] = cols.length;
      y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    return {
      size,
      features,
      rowPtr,
      col: Uint32Array.from(cols),
      val: Float32Array.from(vals),
      y,
    };
  };
  const train = make(trainSize);
  const test = make(testSize);
  const counts = new Uint32Array(features);
  for (const j of train.col) counts[j]!++;
  return { train, test, weights, counts };
}
