import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FloatBuffer } from '../packages/optim/src/core/types.ts';
import {
  functionModel,
  loadDigits,
  makeSparseLogreg,
  mlpModel,
  Rng,
  softmaxModel,
  sparseLogisticModel,
  testFunction,
  tfjsModel,
  type Model,
} from '../packages/lab/src/lab/index.ts';

const gradsFor = (m: Model): FloatBuffer[] =>
  m.params.map((p) =>
    p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length),
  );

/** Checks sampled coordinates of a float64 model's gradient against central differences. */
function checkGradient(m: Model, batch: Uint32Array, coords: [number, number][]) {
  const g = gradsFor(m);
  m.lossAndGrad(batch, g);
  const scratch = gradsFor(m);
  for (const [b, i] of coords) {
    const p = m.params[b]!;
    const x = p[i]!;
    const h = 1e-6;
    p[i] = x + h;
    const up = m.lossAndGrad(batch, scratch);
    p[i] = x - h;
    const down = m.lossAndGrad(batch, scratch);
    p[i] = x;
    const fd = (up - down) / (2 * h);
    assert.ok(
      Math.abs(g[b]![i]! - fd) <= 1e-6 * Math.max(1, Math.abs(fd)),
      `param ${b}[${i}]: analytic ${g[b]![i]}, finite difference ${fd}`,
    );
  }
}

/** Moves the parameters to a random point so the check is not at the zero start. */
function jitter(m: Model, rng: Rng, scale: number) {
  for (const p of m.params) for (let i = 0; i < p.length; i++) p[i] = scale * rng.normal();
}

describe('shapes', () => {
  test('softmax regression: W is [features, classes] row-major, b is [classes]', () => {
    const { train, test: tst } = loadDigits();
    const m = softmaxModel(train, tst);
    assert.deepEqual(m.shapes, [[64, 10], [10]]);
    // Row j, column c of W (index j·10 + c) weighs feature j into class c's logit: a large
    // weight on a pixel the sample lights, in the column of its label, makes it near certain.
    const r = 5;
    const j = Array.from(train.x.subarray(r * 64, r * 64 + 64)).findIndex((v) => v > 0);
    const W = m.params[0]!;
    W[j * 10 + train.y[r]!] = 1000;
    const g = gradsFor(m);
    assert.ok(m.lossAndGrad(Uint32Array.of(r), g) < 1e-9);
  });

  test('vectors only: no shapes (sparse logistic regression, a test function)', () => {
    const { train, test: tst } = makeSparseLogreg({ seed: 2 });
    assert.equal(sparseLogisticModel(train, tst).shapes, undefined);
    assert.equal(functionModel(testFunction('rosenbrock')!).shapes, undefined);
  });

  test("tfjsModel: the variables' shapes, a scalar as [1]", async () => {
    const { tf, useBackend } = await import('./tfjs-setup.ts');
    await useBackend('cpu');
    const vars = [
      tf.variable(tf.zeros([2, 3])),
      tf.variable(tf.scalar(1)),
      tf.variable(tf.zeros([4])),
    ];
    const m = tfjsModel(tf, {
      variables: vars,
      trainSize: 1,
      loss: () => tf.addN(vars.map((v) => tf.sum(v))) as ReturnType<typeof tf.scalar>,
    });
    assert.deepEqual(m.shapes, [[2, 3], [1], [4]]);
    m.dispose?.();
  });
});

describe('exact gradients against finite differences', () => {
  test('softmax regression on digits', () => {
    const { train, test: tst } = loadDigits();
    const m = softmaxModel(train, tst);
    const rng = new Rng(1);
    jitter(m, rng, 0.3);
    const batch = Uint32Array.from([0, 17, 400, 1000, 1437]);
    const coords: [number, number][] = [];
    for (let k = 0; k < 40; k++) coords.push([0, rng.int(m.params[0]!.length)]);
    for (let c = 0; c < 10; c++) coords.push([1, c]);
    checkGradient(m, batch, coords);
  });

  test('sparse logistic regression', () => {
    const { train, test: tst } = makeSparseLogreg({ seed: 2 });
    const m = sparseLogisticModel(train, tst);
    const rng = new Rng(2);
    jitter(m, rng, 0.5);
    const batch = Uint32Array.from([3, 50, 999, 1500]);
    // The batch's own features (non-zero gradient) and random ones (mostly zero gradient).
    const coords: [number, number][] = [[1, 0]];
    for (const r of batch) {
      for (let k = train.rowPtr[r]!; k < train.rowPtr[r + 1]!; k++) coords.push([0, train.col[k]!]);
    }
    for (let k = 0; k < 20; k++) coords.push([0, rng.int(train.features)]);
    checkGradient(m, batch, coords);
  });
});

describe('tfjs MLP gradient', () => {
  test('matches central differences of a float64 re-implementation of the same network', async () => {
    const { train, test: tst } = loadDigits();
    const hidden = [16, 8];
    const m = await mlpModel(train, tst, { hidden, seed: 3, backend: 'cpu' });
    const sizes = [64, ...hidden, 10];
    // The shapes are the variables' ([in, out] row-major, as the reference below reads W).
    assert.deepEqual(m.shapes, [[64, 16], [16], [16, 8], [8], [8, 10], [10]]);
    const batch = Uint32Array.from([2, 9, 300, 777, 1200, 1400]);

    // The reference network in float64: W is [in, out] row-major, ReLU between layers,
    // mean softmax cross-entropy.
    const loss64 = (params: Float64Array[]) => {
      let total = 0;
      for (const r of batch) {
        let h = Array.from(train.x.subarray(r * 64, (r + 1) * 64), Number);
        for (let l = 0; l + 1 < sizes.length; l++) {
          const W = params[2 * l]!;
          const b = params[2 * l + 1]!;
          const out = Array.from(b);
          for (let i = 0; i < sizes[l]!; i++) {
            for (let o = 0; o < sizes[l + 1]!; o++) out[o]! += h[i]! * W[i * sizes[l + 1]! + o]!;
          }
          h = l + 2 < sizes.length ? out.map((v) => Math.max(v, 0)) : out;
        }
        const max = Math.max(...h);
        const lse = Math.log(h.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
        total += lse - h[train.y[r]!]!;
      }
      return total / batch.length;
    };

    const g = gradsFor(m);
    const loss32 = m.lossAndGrad(batch, g);
    const p64 = m.params.map((p) => Float64Array.from(p));
    const l64 = loss64(p64);
    assert.ok(Math.abs(loss32 - l64) < 1e-5 * l64, `tfjs loss ${loss32}, float64 ${l64}`);
    const rng = new Rng(4);
    for (let k = 0; k < 40; k++) {
      const b = rng.int(p64.length);
      const i = rng.int(p64[b]!.length);
      const x = p64[b]![i]!;
      const h = 1e-5;
      p64[b]![i] = x + h;
      const up = loss64(p64);
      p64[b]![i] = x - h;
      const down = loss64(p64);
      p64[b]![i] = x;
      const fd = (up - down) / (2 * h);
      // tfjs computes in float32: allow its rounding (about 1e-7 relative per operation).
      assert.ok(
        Math.abs(g[b]![i]! - fd) <= 1e-5 + 1e-4 * Math.abs(fd),
        `param ${b}[${i}]: tfjs ${g[b]![i]}, finite difference ${fd}`,
      );
    }
    m.dispose?.();
  });

  test('leaks no tensors: gradients, evaluation and dispose free what they make', async () => {
    const { tf } = await import('./tfjs-setup.ts');
    const { train, test: tst } = loadDigits();
    const before = tf.memory().numTensors;
    const m = await mlpModel(train, tst, { hidden: [8], seed: 1, backend: 'cpu' });
    const afterBuild = tf.memory().numTensors;
    const g = gradsFor(m);
    for (let k = 0; k < 3; k++) m.lossAndGrad(Uint32Array.from([k, k + 10, k + 20]), g);
    m.test();
    m.trainLoss();
    assert.equal(afterBuild - before, 4, 'four variables (2 weights, 2 biases), nothing else');
    assert.equal(tf.memory().numTensors, afterBuild, 'after gradients and evaluation');
    m.dispose?.();
    assert.equal(tf.memory().numTensors, before, 'after dispose');
  });
});

describe('tfjsModel: any tfjs variables with a batch loss', () => {
  test('least squares: the gradient is the closed form 2/B · Xᵀ(Xw − y); an unused variable gets 0', async () => {
    const { tf } = await import('./tfjs-setup.ts');
    const rng = new Rng(8);
    const n = 20;
    const d = 3;
    const X = Float32Array.from({ length: n * d }, () => rng.normal());
    const Y = Float32Array.from({ length: n }, () => rng.normal());
    const w = tf.variable(tf.tensor2d([0.5, -1, 2], [d, 1]));
    const unused = tf.variable(tf.tensor1d([1, 2]));
    const m = tfjsModel(tf, {
      variables: [w, unused],
      trainSize: n,
      loss(batch) {
        const rows = Array.from(batch);
        const xb = tf.tensor2d(
          rows.flatMap((r) => Array.from(X.subarray(r * d, r * d + d))),
          [rows.length, d],
        );
        const yb = tf.tensor2d(
          rows.map((r) => Y[r]!),
          [rows.length, 1],
        );
        return tf.mean(tf.square(tf.sub(tf.matMul(xb, w), yb))) as ReturnType<typeof tf.scalar>;
      },
    });
    m.params[0]!.set([1, 0.25, -0.5]); // the optimizer's copy is what counts, not the variable
    const batch = Uint32Array.from([0, 3, 7, 19]);
    const g = gradsFor(m);
    g[1]!.fill(9);
    const loss = m.lossAndGrad(batch, g);
    const p = m.params[0]!;
    const expected = [0, 0, 0];
    let expectedLoss = 0;
    for (const r of batch) {
      let res = -Y[r]!;
      for (let j = 0; j < d; j++) res += X[r * d + j]! * p[j]!;
      expectedLoss += (res * res) / batch.length;
      for (let j = 0; j < d; j++) expected[j]! += (2 / batch.length) * X[r * d + j]! * res;
    }
    assert.ok(Math.abs(loss - expectedLoss) < 1e-5 * expectedLoss);
    expected.forEach((e, j) =>
      assert.ok(Math.abs(g[0]![j]! - e) < 1e-5 * Math.max(1, Math.abs(e))),
    );
    assert.deepEqual(Array.from(g[1]!), [0, 0]);
    assert.ok(Math.abs(m.trainLoss() - expectedLossAll(X, Y, p, n, d)) < 1e-5);
    assert.equal(m.test(), null);
    m.dispose?.();
  });
});

function expectedLossAll(X: Float32Array, Y: Float32Array, p: FloatBuffer, n: number, d: number) {
  let s = 0;
  for (let r = 0; r < n; r++) {
    let res = -Y[r]!;
    for (let j = 0; j < d; j++) res += X[r * d + j]! * p[j]!;
    s += res * res;
  }
  return s / n;
}
