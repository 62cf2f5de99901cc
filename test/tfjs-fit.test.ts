import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOptimizer } from '../packages/optim/src/node.ts';
import { loadDigits } from '../packages/lab/src/lab/node/digits.ts';
import type { Dataset } from '../packages/lab/src/lab/dataset.ts';
import { tfOptimizer } from '../packages/optim/src/tfjs/index.ts';
import { randomArray, seeded, tf, tfl, useBackend } from './tfjs-setup.ts';

function tensors(d: Dataset): [tf.Tensor2D, tf.Tensor2D] {
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(d.y), 'int32'), d.classes) as tf.Tensor2D;
  return [tf.tensor2d(d.x, [d.size, d.features]), y];
}

// On wasm this also shows that the forward pass sees every update (XNNPACK caches packed matmul
// weights by tensor, so weights written in place would leave training stalled).
for (const [backend, path] of [
  ['cpu', 'cpu-in-place'],
  ['wasm', 'copy'],
] as const) {
  test(`a digits MLP trained by model.fit with descent Adam reaches >= 0.93 test accuracy (${backend})`, async () => {
    await useBackend(backend);
    const { train, test: held } = loadDigits();
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          units: 32,
          inputShape: [train.features],
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.dense({
          units: train.classes,
          activation: 'softmax',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        }),
      ],
    });
    const optimizer = tfOptimizer('adam', { lr: 1e-2 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const [x, y] = tensors(train);
    await model.fit(x, y, { epochs: 15, batchSize: 32, shuffle: false, verbose: 0 });
    const [tx, ty] = tensors(held);
    const accuracy = tf.tidy(
      () =>
        tf
          .mean(
            tf.cast(
              tf.equal(tf.argMax(model.predict(tx) as tf.Tensor, 1), tf.argMax(ty, 1)),
              'float32',
            ),
          )
          .dataSync()[0],
    ) as number;
    assert.equal(optimizer.lastPath, path);
    assert.ok(accuracy >= 0.93, `test accuracy ${accuracy} < 0.93`);
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y, tx, ty]);
  });
}

/** The least-squares minimum of mean((A·w − b)²), from the normal equations in float64. */
function leastSquaresMinimum(A: Float32Array, b: Float32Array, rows: number, cols: number): number {
  const M = Array.from({ length: cols }, (_, i) =>
    Array.from({ length: cols + 1 }, (_, j) => {
      let s = 0;
      for (let r = 0; r < rows; r++) {
        s +=
          (A[r * cols + i] as number) * (j < cols ? (A[r * cols + j] as number) : (b[r] as number));
      }
      return s;
    }),
  );
  for (let k = 0; k < cols; k++) {
    for (let i = k + 1; i < cols; i++) {
      const f = (M[i]![k] as number) / (M[k]![k] as number);
      for (let j = k; j <= cols; j++) M[i]![j]! -= f * (M[k]![j] as number);
    }
  }
  const w = new Float64Array(cols);
  for (let i = cols - 1; i >= 0; i--) {
    let s = M[i]![cols] as number;
    for (let j = i + 1; j < cols; j++) s -= (M[i]![j] as number) * (w[j] as number);
    w[i] = s / (M[i]![i] as number);
  }
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let e = -(b[r] as number);
    for (let j = 0; j < cols; j++) e += (A[r * cols + j] as number) * (w[j] as number);
    loss += e * e;
  }
  return loss / rows;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`minimize in a custom loop reaches the least-squares minimum (${backend}, radam)`, async () => {
    await useBackend(backend);
    const rand = seeded(5);
    const [rows, cols] = [40, 8];
    const A = randomArray(rand, rows * cols);
    const b = randomArray(rand, rows);
    const a = tf.tensor2d(A, [rows, cols]);
    const bt = tf.tensor2d(b, [rows, 1]);
    const w = tf.variable(tf.zeros([cols, 1]));
    const opt = tfOptimizer('radam', { lr: 0.05 });
    const loss = () => tf.tidy(() => tf.mean(tf.square(tf.sub(tf.matMul(a, w), bt))) as tf.Scalar);
    for (let i = 0; i < 400; i++) opt.minimize(loss, true)?.dispose();
    const last = loss().dataSync()[0] as number;
    const best = leastSquaresMinimum(A, b, rows, cols);
    assert.ok(last <= best * (1 + 1e-3), `loss ${last}, least-squares minimum ${best}`);
    opt.dispose();
    tf.dispose([a, bt, w]);
  });
}

test('cpu in place: clones keep their values, outside assignments are picked up', async () => {
  await useBackend('cpu');
  const rand = seeded(9);
  const init = randomArray(rand, 10);
  const v = tf.variable(tf.tensor1d(init.slice()));
  const ref = init.slice();
  const core = createOptimizer('adam', [ref], { lr: 0.1 });
  const opt = tfOptimizer('adam', { lr: 0.1 });
  const step = () => {
    const g = randomArray(rand, 10);
    const t = tf.tensor1d(g);
    opt.applyGradients({ [v.name]: t });
    t.dispose();
    core.step([g]);
  };
  step();
  const snapshot = tf.clone(v);
  const seen = Float32Array.from(snapshot.dataSync());
  step();
  assert.equal(opt.lastPath, 'cpu-in-place');
  assert.deepEqual(snapshot.dataSync(), seen, 'a clone taken before the step keeps its values');
  assert.deepEqual(v.dataSync(), ref);
  const outside = randomArray(rand, 10);
  v.assign(tf.tensor1d(outside));
  ref.set(outside);
  step();
  assert.deepEqual(v.dataSync(), ref, 'the step starts from the assigned values');
  snapshot.dispose();
  opt.dispose();
  v.dispose();
});

test('cpu in place: a gradient that is the weight itself (same memory) is read before the write', async () => {
  await useBackend('cpu');
  const w = tf.variable(tf.tensor1d([1, -2, 3]));
  // d/dx of this custom op is x itself: tfjs hands back the weight's own tensor data.
  const f = tf.customGrad((x) => ({
    value: tf.sum(x as tf.Tensor),
    gradFunc: () => [x as tf.Tensor],
  }));
  const ref = Float32Array.from([1, -2, 3]);
  const core = createOptimizer('sgd', [ref], { lr: 0.5, momentum: 0.9 });
  const opt = tfOptimizer('sgd', { lr: 0.5, momentum: 0.9 });
  for (let i = 0; i < 3; i++) {
    const { value, grads } = tf.variableGrads(() => f(w) as tf.Scalar, [w]);
    opt.applyGradients(grads);
    core.step([ref.slice()]);
    // The gradient may be the variable object itself: dispose only what is not the weight.
    tf.dispose([value, ...Object.values(grads).filter((g) => g !== w)]);
    assert.deepEqual(w.dataSync(), ref);
  }
  assert.equal(opt.lastPath, 'cpu-in-place');
  opt.dispose();
  w.dispose();
});

test('clear errors for unknown names, unknown or out-of-range options and misuse', async () => {
  await useBackend('cpu');
  assert.throws(
    () => tfOptimizer('adamm'),
    /unknown optimizer "adamm"; known: sgd, momentum, .*radam, .*swats/,
  );
  assert.throws(
    () => tfOptimizer('adam', { learningRate: 0.1 }),
    /Adam: unknown option "?learningRate"?/,
  );
  assert.throws(
    () => tfOptimizer('adam', { betas: [1.2, 0.999] }),
    /Adam: betas\[0\] must be in \[0, 1\), got 1.2/,
  );
  assert.throws(() => tfOptimizer('sgd', { lr: -1 }), /SGD: lr .*got -1/);
  assert.throws(() => tfOptimizer('adam', null as never), /options must be an object/);
  assert.throws(() => tfOptimizer(() => ({}) as never), /factory must return a descent optimizer/);
  assert.throws(
    () =>
      tfOptimizer((params) =>
        createOptimizer(
          'adam',
          params.map((p) => p.slice()),
        ),
      ),
    /over exactly the parameter buffers it is given/,
  );
  assert.throws(
    () => tfOptimizer('swats', { schedule: () => 1 }).getConfig(),
    /cannot save the optimizer: options.schedule is a function, not plain data/,
  );
  const unnamed = tfOptimizer((params) => createOptimizer('adam', params));
  assert.throws(() => unnamed.getConfig(), /unnamed factory cannot be saved.*registerTfOptimizer/);

  const a = tf.variable(tf.zeros([2]));
  const b = tf.variable(tf.zeros([2]));
  const opt = tfOptimizer('sgd', { lr: 0.1 });
  opt.applyGradients({ [a.name]: tf.ones([2]) });
  assert.throws(
    () => opt.applyGradients({ [b.name]: tf.ones([2]) }),
    new RegExp(
      `gradient for variable "${b.name}", but this optimizer was built for \\[${a.name}\\]`,
    ),
  );
  tf.dispose([a, b]);
});

test('dispose() frees the slots and refuses further steps', async () => {
  await useBackend('cpu');
  const v = tf.variable(tf.ones([1000]));
  const opt = tfOptimizer('adam');
  opt.applyGradients({ [v.name]: tf.ones([1000]) });
  const state = opt.stateDict().optimizer as { state: { slots: Record<string, Float32Array> }[] };
  assert.deepEqual(Object.keys(state.state[0]?.slots ?? {}).sort(), ['exp_avg', 'exp_avg_sq']);
  const weights = await opt.getWeights();
  const before = tf.memory().numTensors;
  opt.dispose();
  assert.equal(opt.descent, null);
  assert.equal(opt.stateDict().optimizer, null);
  // The saved weights handed out by getWeights are freed with the optimizer (not the iteration scalar).
  assert.equal(tf.memory().numTensors, before - (weights.length - 1));
  assert.throws(() => opt.applyGradients({ [v.name]: tf.ones([1000]) }), /has been disposed/);
  v.dispose();
});
