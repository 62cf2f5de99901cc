import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CosineAnnealingLR, Lookahead, RAdam } from '../packages/optim/src/node.ts';
import {
  DescentOptimizer,
  registerTfOptimizer,
  tfOptimizer,
} from '../packages/optim/src/tfjs/index.ts';
import { randomArray, seeded, tf, tfl, useBackend } from './tfjs-setup.ts';

registerTfOptimizer('lookahead-radam-cosine', (params, options) => {
  const lookahead = new Lookahead(new RAdam(params, options), { k: 3 });
  return { optimizer: lookahead, schedulers: [new CosineAnnealingLR(lookahead, { tMax: 40 })] };
});

function makeModel(seed: number): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed + s });
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 12,
        inputShape: [6],
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
}

function data(): [tf.Tensor2D, tf.Tensor2D] {
  const rand = seeded(3);
  const x = tf.tensor2d(randomArray(rand, 96 * 6), [96, 6]);
  const w = tf.tensor2d(randomArray(rand, 6 * 3), [6, 3]);
  const y = tf.oneHot(tf.argMax(tf.matMul(x, w), 1), 3) as tf.Tensor2D;
  return [x, y];
}

/** Saves into memory and returns the artifacts. */
async function saveToMemory(model: tfl.LayersModel, includeOptimizer: boolean) {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer },
  );
  return saved as tf.io.ModelArtifacts;
}

const weightsOf = (m: tfl.LayersModel) =>
  m.getWeights().map((w) => Float32Array.from(w.dataSync()));
const FIT = { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 } as const;

const CASES: [string, Record<string, unknown>][] = [
  ['adam', { lr: 0.01, amsgrad: true }],
  ['nadam', { lr: 0.01 }], // float64 scalar state (mu_product)
  ['swats', { lr: 0.01 }], // a wrapper's state (phase, estimates)
  ['lookahead-radam-cosine', { lr: 0.01 }], // a registered factory with a scheduler
];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`save with includeOptimizer, load, continue (${backend})`, () => {
    for (const [name, options] of CASES) {
      test(`${name}: training continues bit for bit`, async () => {
        await useBackend(backend);
        const [x, y] = data();
        const a = makeModel(10);
        a.compile({ optimizer: tfOptimizer(name, options), loss: 'categoricalCrossentropy' });
        await a.fit(x, y, FIT);
        const withState = await saveToMemory(a, true);
        const withoutState = await saveToMemory(a, false);

        const b = await tfl.loadLayersModel(tf.io.fromMemory(withState));
        assert.ok(b.optimizer instanceof DescentOptimizer, 'the optimizer comes back as descent');
        assert.equal(b.optimizer.iterations, a.optimizer.iterations);
        // Without the optimizer's state the same continuation must differ: the test can fail.
        const c = await tfl.loadLayersModel(tf.io.fromMemory(withoutState));
        c.compile({ optimizer: tfOptimizer(name, options), loss: 'categoricalCrossentropy' });

        await a.fit(x, y, FIT);
        await b.fit(x, y, FIT);
        await c.fit(x, y, FIT);
        assert.deepEqual(weightsOf(b), weightsOf(a));
        const stateA = (a.optimizer as DescentOptimizer).stateDict();
        assert.deepEqual((b.optimizer as DescentOptimizer).stateDict(), stateA);
        assert.notDeepEqual(weightsOf(c), weightsOf(a));
        for (const m of [a, b, c]) {
          m.optimizer.dispose();
          m.dispose();
        }
        tf.dispose([x, y]);
      });
    }
  });
}

test('a state saved for other variables is refused at the first step, naming the mismatch', async () => {
  await useBackend('cpu');
  const [x, y] = data();
  const a = makeModel(1);
  a.compile({ optimizer: tfOptimizer('adam'), loss: 'categoricalCrossentropy' });
  await a.fit(x, y, { ...FIT, epochs: 1 });
  const weights = await a.optimizer.getWeights();
  const other = tfOptimizer('adam');
  await other.setWeights(weights);
  const v = tf.variable(tf.zeros([4]));
  assert.throws(
    () => other.applyGradients([{ name: v.name, tensor: tf.ones([4]) }]),
    /Adam: cannot load state dict: it has state for 4 parameters, this optimizer has 1/,
  );
  const wrongKind = tfOptimizer('sgd');
  await assert.rejects(
    wrongKind.setWeights(await a.optimizer.getWeights()),
    /cannot load state: it was saved by Adam, this optimizer is SGD/,
  );
});

test('a model saved before its first step loads and trains like a fresh one', async () => {
  await useBackend('cpu');
  const [x, y] = data();
  const a = makeModel(4);
  a.compile({ optimizer: tfOptimizer('radam', { lr: 0.02 }), loss: 'categoricalCrossentropy' });
  const b = await tfl.loadLayersModel(tf.io.fromMemory(await saveToMemory(a, true)));
  assert.equal(b.optimizer.iterations, 0);
  await a.fit(x, y, FIT);
  await b.fit(x, y, FIT);
  assert.deepEqual(weightsOf(b), weightsOf(a));
  for (const m of [a, b]) {
    m.optimizer.dispose();
    m.dispose();
  }
  tf.dispose([x, y]);
});
