import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDigits, Sampler, selectRows } from '../packages/lab/src/lab/index.ts';
import { tfOptimizer } from '../packages/optim/src/tfjs/index.ts';
import { tf, tfl, useBackend } from './tfjs-setup.ts';

test('a digits MLP reaches >= 0.93 test accuracy with descent Adam through tfjs model.fit', async () => {
  await useBackend('wasm');
  const { train, test: tst } = loadDigits();
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [64],
        units: 128,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
      tfl.layers.dense({
        units: 64,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      }),
      tfl.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
      }),
    ],
  });
  const optimizer = tfOptimizer('adam', { lr: 1e-3 });
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  // The lab's sampler orders the data (seeded reshuffle every epoch); fit keeps that order.
  const sampler = new Sampler(train.size, 'full', 0);
  for (let epoch = 0; epoch < 8; epoch++) {
    const part = selectRows(train, sampler.next());
    const x = tf.tensor2d(part.x, [part.size, 64]);
    const y = tf.oneHot(tf.tensor1d(part.y, 'int32'), 10);
    await model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
  }

  const xt = tf.tensor2d(tst.x, [tst.size, 64]);
  const probabilities = model.predict(xt) as ReturnType<typeof tf.tensor2d>;
  const predicted = tf.argMax(probabilities, -1);
  const labels = predicted.dataSync();
  let correct = 0;
  for (let i = 0; i < tst.size; i++) if (labels[i] === tst.y[i]) correct++;
  const accuracy = correct / tst.size;
  tf.dispose([xt, probabilities, predicted]);
  model.dispose();
  optimizer.dispose();
  assert.ok(accuracy >= 0.93, `test accuracy ${accuracy}`);
});
