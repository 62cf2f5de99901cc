/**
 * Seconds per Fashion-MNIST epoch through tfjs-layers' `model.fit`: a 784-256-128-10 ReLU MLP,
 * batch 128, trained by descent's Adam (`tfOptimizer('adam')`, descent-optim/tfjs) and by
 * `tf.train.adam`, with the same hyper-parameters (lr 1e-3, betas 0.9/0.999, eps 1e-8), the same
 * initial weights and the same seeded sample order, on the cpu and wasm backends, side by side in
 * one run. Also times the optimizer's share: every `applyGradients` call is clocked.
 * Prints a table, writes bench/results/tfjs-epoch.json.
 *
 * Run: `npm run bench:tfjs -- [--epochs E] [--limit N] [--repeats R] [--backends cpu,wasm]`
 * (N training samples, default all 60,000; E epochs per row, default 1; R repeats, alternating
 * the order, keeping each row's fastest; Debian's `dataset-fashion-mnist` package provides the
 * data).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { selectRows } from '../packages/lab/src/lab/dataset.ts';
import { loadFashionMnist } from '../packages/lab/src/lab/node/fashion.ts';
import { Sampler } from '../packages/lab/src/lab/sampler.ts';
import { tfOptimizer } from '../packages/optim/src/tfjs/index.ts';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const positiveInt = (name: string, fallback: number): number => {
  const v = Number(arg(name) ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1`);
  return v;
};
const BACKENDS = (arg('--backends') ?? 'cpu,wasm').split(',');
for (const b of BACKENDS) {
  if (b !== 'cpu' && b !== 'wasm') throw new RangeError(`--backends: unknown backend "${b}"`);
}
const EPOCHS = positiveInt('--epochs', 1);
const REPEATS = positiveInt('--repeats', 1);
const { train: full, test } = loadFashionMnist();
const LIMIT = Math.min(positiveInt('--limit', full.size), full.size);
const BATCH = 128;
const LR = 1e-3;
// One seeded permutation of the training set, the same for every row.
const train = selectRows(full, new Sampler(full.size, 'full', 0).next().subarray(0, LIMIT));

async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not start`);
  await tf.ready();
  const b = tf.backend() as { firstUse?: boolean };
  if (b.firstUse === true) b.firstUse = false;
}

function buildModel(): tfl.Sequential {
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

function testAccuracy(model: tfl.LayersModel): number {
  const labels = tf.tidy(() =>
    tf.argMax(model.predict(tf.tensor2d(test.x, [test.size, 784])) as tf.Tensor2D, -1).dataSync(),
  );
  let correct = 0;
  for (let i = 0; i < test.size; i++) if (labels[i] === test.y[i]) correct++;
  return correct / test.size;
}

interface Row {
  backend: string;
  optimizer: string;
  /** Wall-clock seconds per epoch. */
  secondsPerEpoch: number;
  /** Process CPU seconds per epoch (user + system): less sensitive to other load. */
  cpuSecondsPerEpoch: number;
  samplesPerSecond: number;
  optimizerMsPerStep: number;
  optimizerShare: number;
  testAccuracy: number;
}

async function run(backend: string, label: string, make: () => tf.Optimizer): Promise<Row> {
  await useBackend(backend);
  // Built after the backend is up: tf.train.adam creates tensors in its constructor.
  const optimizer = make();
  // Clock every optimizer step (both backends run synchronously, so this is its real cost).
  let optimizerMs = 0;
  let steps = 0;
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (g) => {
    const t0 = performance.now();
    apply(g);
    optimizerMs += performance.now() - t0;
    steps++;
  };
  const model = buildModel();
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(train.x, [train.size, 784]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(train.y, 'int32'), 10));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await model.fit(x, y, { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  tf.dispose([x, y]);
  const row: Row = {
    backend,
    optimizer: label,
    secondsPerEpoch: seconds / EPOCHS,
    cpuSecondsPerEpoch: (cpu.user + cpu.system) / 1e6 / EPOCHS,
    samplesPerSecond: (train.size * EPOCHS) / seconds,
    optimizerMsPerStep: optimizerMs / steps,
    optimizerShare: optimizerMs / 1000 / seconds,
    testAccuracy: testAccuracy(model),
  };
  model.dispose();
  optimizer.dispose();
  console.error(
    `  ${backend} ${label}: ${row.secondsPerEpoch.toFixed(1)} s/epoch (cpu ${row.cpuSecondsPerEpoch.toFixed(1)} s)`,
  );
  return row;
}

const CONTENDERS: [string, () => tf.Optimizer][] = [
  ['tf.train.adam', () => tf.train.adam(LR, 0.9, 0.999, 1e-8)],
  ['descent adam (descent-optim/tfjs)', () => tfOptimizer('adam', { lr: LR })],
];
// Each repeat runs both contenders, in alternating order, so that a slow spell of the machine
// does not always hit the same one; each row keeps its fastest repeat.
const runs: Row[] = [];
for (let r = 0; r < REPEATS; r++) {
  for (const backend of BACKENDS) {
    const order = r % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
    for (const [label, make] of order) runs.push(await run(backend, label, make));
  }
}
const rows = BACKENDS.flatMap((backend) =>
  CONTENDERS.map(([label]) => {
    const mine = runs.filter((x) => x.backend === backend && x.optimizer === label);
    return mine.reduce((a, b) => (b.secondsPerEpoch < a.secondsPerEpoch ? b : a));
  }),
);

console.log(
  `Fashion-MNIST 784-256-128-10 MLP, batch ${BATCH}, ${train.size} samples x ${EPOCHS} epoch(s); ` +
    `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, tfjs ${tf.version_core}`,
);
console.log(
  '| backend | optimizer | s/epoch | cpu s/epoch | samples/s | optimizer ms/step | optimizer share | test acc |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.optimizer} | ${r.secondsPerEpoch.toFixed(1)} | ${r.cpuSecondsPerEpoch.toFixed(1)} | ${r.samplesPerSecond.toFixed(0)} | ` +
      `${r.optimizerMsPerStep.toFixed(2)} | ${(100 * r.optimizerShare).toFixed(1)}% | ${r.testAccuracy.toFixed(3)} |`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/tfjs-epoch.json',
  JSON.stringify(
    {
      model: '784-256-128-10 relu MLP, softmax, categorical cross-entropy, tfjs-layers model.fit',
      batch: BATCH,
      samples: train.size,
      epochs: EPOCHS,
      repeats: REPEATS,
      loadAverage: loadavg(),
      lr: LR,
      node: process.version,
      tfjs: tf.version_core,
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      results: rows,
      runs,
    },
    null,
    2,
  ),
);
