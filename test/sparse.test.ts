import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  Adagrad,
  Adam,
  createOptimizer,
  SGD,
  SparseAdam,
  type SparseGradient,
} from '../packages/optim/src/node.ts';

// Trajectories of torch.optim.SparseAdam / Adagrad / SGD on sparse_coo gradients of an
// embedding table, recorded by scripts/gen-torch-extras.py.
const REF = JSON.parse(
  readFileSync(new URL('./fixtures/torch-extras.json', import.meta.url), 'utf8'),
).sparse as {
  rows: number;
  cols: number;
  w0: number[];
  touched: number[][];
  values: number[][][];
  trajectories: Record<string, number[][]>;
  options: Record<string, Record<string, unknown>>;
};

const sparseAt = (k: number): SparseGradient => ({
  indices: REF.touched[k]!,
  values: Float64Array.from(REF.values[k]!.flat()),
  rowSize: REF.cols,
});

function denseAt(k: number): Float64Array {
  const g = new Float64Array(REF.rows * REF.cols);
  REF.touched[k]!.forEach((r, j) => g.set(REF.values[k]![j]!, r * REF.cols));
  return g;
}

describe('sparse gradients match PyTorch (float64, 1e-10)', () => {
  for (const name of ['SparseAdam', 'Adagrad', 'SGD']) {
    test(name, () => {
      const w = Float64Array.from(REF.w0);
      const opt = createOptimizer(name, [w], REF.options[name]);
      REF.trajectories[name]!.forEach((want, k) => {
        opt.step([sparseAt(k)]);
        want.forEach((x, i) =>
          assert.ok(Math.abs(w[i]! - x) <= 1e-10 * Math.max(1, Math.abs(x)), `step ${k}`),
        );
      });
    });
  }
});

describe('lazy versus dense', () => {
  for (const name of ['Adagrad', 'SGD']) {
    test(`${name}: a dense gradient that is zero off the rows gives the same result, bit for bit`, () => {
      const a = Float64Array.from(REF.w0);
      const b = Float64Array.from(REF.w0);
      const lazy = createOptimizer(name, [a], REF.options[name]);
      const dense = createOptimizer(name, [b], REF.options[name]);
      for (let k = 0; k < REF.touched.length; k++) {
        lazy.step([sparseAt(k)]);
        dense.step([denseAt(k)]);
      }
      assert.deepEqual(a, b);
    });
  }

  test('Adam: lazy (SparseAdam) differs from dense by design: untouched rows keep moving densely', () => {
    const a = Float64Array.from(REF.w0);
    const b = Float64Array.from(REF.w0);
    const lazy = new SparseAdam([a], { lr: 0.05 });
    const dense = new Adam([b], { lr: 0.05 });
    lazy.step([{ indices: [0], values: Float64Array.of(1, 1, 1), rowSize: 3 }]);
    dense.step([denseAt(0).fill(0).fill(1, 0, 3)]);
    // Step 2 touches row 1 only: the lazy row 0 stays put, the dense row 0 keeps its momentum.
    lazy.step([{ indices: [1], values: Float64Array.of(1, 1, 1), rowSize: 3 }]);
    dense.step([new Float64Array(REF.rows * REF.cols).fill(1, 3, 6)]);
    // The first lazy step moves each coordinate by lr·(1 − O(eps/|g|)), then row 0 stays put.
    a.subarray(0, 3).forEach((x, i) => assert.ok(Math.abs(x - (REF.w0[i]! - 0.05)) < 1e-7));
    assert.ok(b[0]! < a[0]! - 1e-3, 'dense Adam moved row 0 again');
    assert.deepEqual(Array.from(a.subarray(6)), REF.w0.slice(6), 'rows never touched stay put');
  });

  test('an element-sparse vector (rowSize 1)', () => {
    const w = Float32Array.of(1, 2, 3, 4);
    new SGD([w], { lr: 0.5 }).step([
      { indices: Int32Array.of(1, 3), values: Float32Array.of(2, 4) },
    ]);
    assert.deepEqual(w, Float32Array.of(1, 1, 3, 2));
  });
});

describe('bad sparse gradients are refused before anything changes', () => {
  const p = () => new Float64Array(6);
  const cases: [string, () => unknown, RegExp][] = [
    [
      'Adam (no sparse form)',
      () => new Adam([p()]).step([{ indices: [0], values: Float64Array.of(1, 1), rowSize: 2 }]),
      /Adam: gradient 0 is sparse: Adam does not take sparse gradients \(SparseAdam, Adagrad and SGD do\)/,
    ],
    [
      'SGD with momentum',
      () => new SGD([p()], { momentum: 0.9 }).step([{ indices: [0], values: Float64Array.of(1) }]),
      /SGD takes sparse gradients only with momentum 0 and weightDecay 0, got momentum 0.9/,
    ],
    [
      'Adagrad with weight decay',
      () =>
        new Adagrad([p()], { weightDecay: 0.1 }).step([
          { indices: [0], values: Float64Array.of(1) },
        ]),
      /Adagrad takes sparse gradients only with weightDecay 0, got 0.1/,
    ],
    [
      'an index out of range',
      () => new SGD([p()]).step([{ indices: [3], values: Float64Array.of(1, 1), rowSize: 2 }]),
      /sparse gradient 0: index 3 at position 0 is outside \[0, 3\)/,
    ],
    [
      'duplicate indices',
      () => new SGD([p()]).step([{ indices: [1, 1], values: Float64Array.of(1, 1) }]),
      /indices must be strictly increasing \(coalesce duplicates by summing them\), got 1 after 1/,
    ],
    [
      'a row size not dividing the length',
      () =>
        new SGD([p()]).step([{ indices: [0], values: Float64Array.of(1, 1, 1, 1), rowSize: 4 }]),
      /rowSize must be an integer >= 1 dividing the parameter length 6, got 4/,
    ],
    [
      'too few values',
      () => new SGD([p()]).step([{ indices: [0, 1], values: Float64Array.of(1, 1), rowSize: 2 }]),
      /has 2 indices of 2 values, so 4 values, got 2/,
    ],
    [
      'values of the wrong dtype',
      () => new SGD([p()]).step([{ indices: [0], values: Float32Array.of(1) }]),
      /values must be a Float64Array, got Float32Array/,
    ],
  ];
  for (const [what, run, message] of cases) {
    test(what, () => assert.throws(run, message));
  }

  test('the parameter is unchanged after a refused sparse step', () => {
    const w = Float64Array.of(1, 2);
    const opt = new SGD([w], { lr: 1 });
    assert.throws(() => opt.step([{ indices: [0, 5], values: Float64Array.of(1, 1) }]));
    assert.deepEqual(w, Float64Array.of(1, 2));
  });
});
