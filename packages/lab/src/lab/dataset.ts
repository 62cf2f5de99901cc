/**
 * A dense classification data set: `size` samples of `features` float32 values each (row-major in
 * `x`), with integer labels in [0, classes).
 */
export interface Dataset {
  readonly size: number;
  readonly features: number;
  readonly classes: number;
  readonly x: Float32Array;
  readonly y: Uint8Array;
}

/** A training set and its held-out test set. */
export interface Split {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** The rows `indices` of a data set, copied, in that order. */
export function selectRows(d: Dataset, indices: ArrayLike<number>): Dataset {
  const x = new Float32Array(indices.length * d.features);
  gatherRows(d, indices, x);
  const y = new Uint8Array(indices.length);
  for (let r = 0; r < indices.length; r++) y[r] = d.y[indices[r]!]!;
  return { size: indices.length, features: d.features, classes: d.classes, x, y };
}

/** Copies the rows `indices` of `d` into `out` (length ≥ indices.length · features). */
export function gatherRows(d: Dataset, indices: ArrayLike<number>, out: Float32Array): void {
  const f = d.features;
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    out.set(d.x.subarray(i * f, (i + 1) * f), r * f);
  }
}
