/**
 * Seconds per Fashion-MNIST epoch: a 784-256-128-10 MLP trained with tfjs-layers `model.fit`
 * (batch 128) by descent's Adam (`descent/tfjs`) versus `tf.train.adam`, on the cpu and wasm
 * backends, plus the lab's own loop (`descent train --problem fashion-mlp`: tfjs gradients,
 * core Adam on Float32Array copies). Same initial weights and the same seeded data order in
 * every row. Prints a table, writes bench/results/fashion-epoch.json.
 * Run: `npx tsx bench/fashion-epoch.ts [--backends cpu,wasm] [--limit N]` (N training samples).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { loadFashionMnist, Sampler, selectRows, Trainer, mlpModel } from '../src/lab/index.ts';
import { tfOptimizer } from '../src/tfjs/index.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const BACKENDS = (arg('--backends') ?? 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];
const { train: full, test } = loadFashionMnist();
const LIMIT = Number(arg('--limit') ?? full.size);
const BATCH = 128;
// One seeded permutation of the training set, used by every row.
const train = selectRows(full, new Sampler(full.size, 'full', 0).next().subarray(0, LIMIT));

async function useBackend(name: 'cpu' | 'wasm') {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not start`);
  await tf.ready();
  const b = tf.backend() as { firstUse?: boolean };
  if (b.firstUse === true) b.firstUse = false;
}

function buildModel() {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [784],
        units: 256,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

function accuracy(model: tfl.LayersModel): number {
  const x = tf.tensor2d(test.x, [test.size, 784]);
  const p = model.predict(x) as tf.Tensor2D;
  const labels = tf.argMax(p, -1).dataSync();
  tf.dispose([x, p]);
  let correct = 0;
  for (let i = 0; i < test.size; i++) if (labels[i] === test.y[i]) correct++;
  return correct / test.size;
}

async function fitEpoch(optimizer: tf.Optimizer) {
  const model = buildModel();
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(train.x, [train.size, 784]);
  const y = tf.oneHot(tf.tensor1d(train.y, 'int32'), 10);
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([x, y]);
  const acc = accuracy(model);
  model.dispose();
  optimizer.dispose();
  return { seconds, accuracy: acc };
}

async function labEpoch(backend: 'cpu' | 'wasm') {
  const model = await mlpModel(train, test, { hidden: [256, 128], seed: 0, backend });
  const r = new Trainer(model, {
    optimizer: 'adam',
    optimizerOptions: { lr: 1e-3 },
    epochs: 1,
    batchSize: BATCH,
    recordSteps: false,
  }).run();
  model.dispose?.();
  return { seconds: r.timeMs / 1000, accuracy: r.final.testAccuracy ?? NaN };
}

type Row = { backend: string; optimizer: string; seconds: number; accuracy: number };
const rows: Row[] = [];
const line = (r: Row) =>
  `| ${r.backend} | ${r.optimizer} | ${r.seconds.toFixed(1)} | ${(train.size / r.seconds).toFixed(0)} | ${r.accuracy.toFixed(4)} |`;
// Other processes share the 2 cores here: the load average says how far to trust the seconds.
const loadBefore = loadavg()[0]!;
for (const backend of BACKENDS) {
  await useBackend(backend);
  const add = (r: Row) => {
    rows.push(r);
    process.stderr.write(line(r) + '\n');
  };
  const descent = tfOptimizer('adam', { lr: 1e-3 });
  add({ backend, optimizer: 'descent adam (model.fit)', ...(await fitEpoch(descent)) });
  const tfAdam = tf.train.adam(1e-3);
  add({ backend, optimizer: 'tf.train.adam (model.fit)', ...(await fitEpoch(tfAdam)) });
  add({ backend, optimizer: 'descent adam (lab loop)', ...(await labEpoch(backend)) });
}

console.log(
  `Fashion-MNIST, ${train.size} samples, MLP 784-256-128-10, batch ${BATCH}, 1 epoch; ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores), node ${process.version}, tfjs ${tf.version_core}`,
);
const loadAfter = loadavg()[0]!;
console.log(`load average (1 min) before ${loadBefore.toFixed(2)}, after ${loadAfter.toFixed(2)}`);
console.log('| backend | optimizer | seconds/epoch | samples/s | test accuracy |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(line(r));
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/fashion-epoch.json',
  JSON.stringify(
    {
      samples: train.size,
      batch: BATCH,
      node: process.version,
      cpu: cpus()[0]?.model,
      tfjs: tf.version_core,
      loadBefore,
      loadAfter,
      results: rows,
    },
    null,
    2,
  ),
);
