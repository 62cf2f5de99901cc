import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinRaceProblem } from '../packages/lab/src/lab/compare/builtin.ts';
import { fastestBatch, measureThroughput } from '../packages/lab/src/lab/compare/throughput.ts';
import type { BatchSize } from '../packages/lab/src/lab/sampler.ts';

describe('the fastest batch to a given loss: (1 + b / noise scale) / throughput(b)', () => {
  const sizes: BatchSize[] = [8, 16, 32, 64, 128, 256];
  const cases: [string, number, (b: number) => number, BatchSize][] = [
    // Flat throughput: every extra sample per batch is waste, so the smallest batch wins.
    ['flat throughput', 1000, () => 5000, 8],
    // Throughput doubling with the batch up to 64, flat after: (1 + b/1000)/(c·b) falls to 64,
    // then (1 + b/1000)/(64c) rises.
    ['parallel up to 64', 1000, (b) => 100 * Math.min(b, 64), 64],
    // Linear throughput and a small noise scale: (1 + b/16)/(c·b) = 1/(c·b) + 1/(16c), so larger
    // is always a little better: the largest raced.
    ['linear throughput', 16, (b) => 100 * b, 256],
  ];
  for (const [what, noise, thr, want] of cases) {
    test(what, () => {
      const measured = sizes.map((b) => ({ batchSize: b, samplesPerSecond: thr(b as number) }));
      const r = fastestBatch(noise, 10000, measured);
      assert.equal(r.chosen, want);
      assert.equal(Math.min(...r.speeds.map((s) => s.relativeTime)), 1);
    });
  }

  test('no sampling noise: the full batch', () => {
    assert.equal(fastestBatch(0, 100, [{ batchSize: 8, samplesPerSecond: 1 }]).chosen, 'full');
  });

  test('measures positive throughputs, one per distinct batch', async () => {
    const m = await measureThroughput(
      builtinRaceProblem('digits-logreg', 'quick'),
      [1, 32, 4096, 'full'],
      10,
    );
    // 4096 exceeds the training set: it is the full batch, timed once.
    assert.deepEqual(
      m.map((x) => x.batchSize),
      [1, 32, 4096],
    );
    assert.ok(m.every((x) => x.samplesPerSecond > 0));
  });
});
