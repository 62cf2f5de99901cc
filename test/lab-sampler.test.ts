import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FloatBuffer } from '../packages/optim/src/core/types.ts';
import {
  Rng,
  Sampler,
  Trainer,
  type BatchSize,
  type Model,
} from '../packages/lab/src/lab/browser.ts';

/** The batches of `epochs` epochs, each copied. */
function drawEpochs(s: Sampler, epochs: number): number[][][] {
  const out: number[][][] = [];
  for (let e = 0; e < epochs; e++) {
    const batches: number[][] = [];
    for (let k = 0; k < s.stepsPerEpoch; k++) batches.push(Array.from(s.next()));
    out.push(batches);
  }
  return out;
}

const N = 103; // prime: no batch size below divides it, so every mode has a short last batch
const MODES: [string, BatchSize, number][] = [
  ['batch (full)', 'full', N],
  ['stochastic (1)', 1, 1],
  ['mini-batch (8)', 8, 8],
  ['mini-batch (32)', 32, 32],
];

describe('samplers: every sample exactly once per epoch, in a seeded order', () => {
  for (const [label, batchSize, b] of MODES) {
    test(label, () => {
      const s = new Sampler(N, batchSize, 42);
      assert.equal(s.stepsPerEpoch, Math.ceil(N / b));
      const epochs = drawEpochs(s, 4);
      const identity = Array.from({ length: N }, (_, i) => i);
      for (const batches of epochs) {
        const all = batches.flat();
        assert.deepEqual(
          all.slice().sort((x, y) => x - y),
          identity,
          'each index once per epoch',
        );
        batches.slice(0, -1).forEach((batch) => assert.equal(batch.length, b));
        assert.equal(batches.at(-1)!.length, N - b * (s.stepsPerEpoch - 1));
      }
      const orders = epochs.map((e) => e.flat().join());
      assert.equal(new Set(orders).size, orders.length, 'reshuffled every epoch');
      assert.notEqual(orders[0], identity.join(), 'shuffled, not in file order');

      assert.deepEqual(drawEpochs(new Sampler(N, batchSize, 42), 4), epochs, 'same seed');
      const other = drawEpochs(new Sampler(N, batchSize, 43), 4);
      other.forEach((e, i) =>
        assert.notEqual(e.flat().join(), orders[i], `other seed, epoch ${i}`),
      );
    });
  }

  test('a batch larger than the data set is the full batch', () => {
    const s = new Sampler(10, 64, 0);
    assert.equal(s.stepsPerEpoch, 1);
    assert.equal(s.next().length, 10);
  });

  test('bad batch sizes and seeds are refused with the value and the allowed range', () => {
    assert.throws(
      () => new Sampler(10, 0, 0),
      /batchSize must be 'full' or an integer >= 1, got 0/,
    );
    assert.throws(() => new Sampler(10, 2.5, 0), /got 2.5/);
    assert.throws(() => new Sampler(10, 'half' as never, 0), /got "half"/);
    assert.throws(
      () => new Sampler(10, 1, -1),
      /seed must be an integer in \[0, 4294967295\], got -1/,
    );
  });
});

describe('sampler state', () => {
  test('is plain data, and a sampler restored from it continues with the same batches', () => {
    for (const cut of [0, 5, 13, 26, 40]) {
      const a = new Sampler(N, 8, 9);
      for (let k = 0; k < cut; k++) a.next();
      const state = JSON.parse(JSON.stringify(a.state()));
      const b = Sampler.fromState(state);
      for (let k = 0; k < 50; k++) assert.deepEqual(Array.from(b.next()), Array.from(a.next()));
      assert.equal(b.epoch, a.epoch);
    }
  });

  test('records epoch and position', () => {
    const s = new Sampler(10, 4, 1);
    s.next();
    s.next();
    assert.deepEqual([s.state().epoch, s.state().position], [0, 8]);
    s.next();
    s.next();
    assert.deepEqual([s.state().epoch, s.state().position], [1, 4]);
  });
});

describe('Rng (xoshiro128**)', () => {
  test('state round-trips and the stream continues identically', () => {
    const a = new Rng(123);
    for (let i = 0; i < 10; i++) a.nextUint32();
    const b = Rng.fromState(JSON.parse(JSON.stringify(a.state())));
    for (let i = 0; i < 100; i++) assert.equal(b.nextUint32(), a.nextUint32());
  });

  test('uniforms are in [0, 1) with mean 1/2 and variance 1/12; int(n) is uniform', () => {
    const r = new Rng(5);
    const n = 100000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      s += u;
      s2 += u * u;
    }
    // Standard errors: sqrt(1/12/n) ≈ 9e-4 for the mean; allow 5 of them.
    assert.ok(Math.abs(s / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
    assert.ok(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12) < 2e-3);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[r.int(7)]!++;
    // Chi-square with 6 degrees of freedom: 22.5 is its 0.999 quantile.
    const chi2 = counts.reduce((acc, c) => acc + (c - 10000) ** 2 / 10000, 0);
    assert.ok(chi2 < 22.5, `chi2 ${chi2}`);
  });

  test('normals have mean 0 and variance 1', () => {
    const r = new Rng(11);
    const n = 100000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    assert.ok(Math.abs(s / n) < 5 / Math.sqrt(n));
    assert.ok(Math.abs(s2 / n - 1) < 5 * Math.sqrt(2 / n));
  });

  test('nearby seeds give unrelated streams; a bad state is refused', () => {
    const a = new Rng(0).nextUint32();
    const b = new Rng(1).nextUint32();
    assert.notEqual(a, b);
    assert.throws(() => Rng.fromState({ s: [0, 0, 0, 0] }), /not all zero/);
    assert.throws(() => Rng.fromState({ s: [1, 2, 3] } as never), /4 uint32 words/);
  });
});

describe('the training loop visits every sample once per epoch, in the same order for every optimizer', () => {
  const seen = (optimizer: string, batchSize: BatchSize, seed: number) => {
    const batches: number[][] = [];
    const x = new Float64Array(1);
    const model: Model = {
      params: [x],
      trainSize: 50,
      lossAndGrad(batch: Uint32Array, grads: FloatBuffer[]) {
        batches.push(Array.from(batch));
        grads[0]![0] = x[0]! - 1;
        return 0.5 * (x[0]! - 1) ** 2;
      },
      trainLoss: () => 0.5 * (x[0]! - 1) ** 2,
      test: () => null,
    };
    new Trainer(model, { optimizer, epochs: 3, batchSize, seed }).run();
    return batches;
  };
  for (const [label, batchSize, b] of [
    ['batch', 'full', 50],
    ['stochastic', 1, 1],
    ['mini-batch', 7, 7],
  ] as const) {
    test(label, () => {
      const sgd = seen('sgd', batchSize, 17);
      const perEpoch = Math.ceil(50 / b);
      assert.equal(sgd.length, 3 * perEpoch);
      for (let e = 0; e < 3; e++) {
        const epoch = sgd.slice(e * perEpoch, (e + 1) * perEpoch).flat();
        assert.deepEqual(
          epoch.slice().sort((p, q) => p - q),
          Array.from({ length: 50 }, (_, i) => i),
        );
      }
      for (const name of ['adam', 'adagrad', 'nesterov', 'radam']) {
        assert.deepEqual(seen(name, batchSize, 17), sgd, name);
      }
      assert.notDeepEqual(seen('sgd', batchSize, 18), sgd, 'another seed, another order');
    });
  }
});
