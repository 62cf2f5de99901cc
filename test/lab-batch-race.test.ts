import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchRace, variantName } from '../packages/lab/src/lab/compare/batch-race.ts';
import { builtinRaceProblem } from '../packages/lab/src/lab/compare/builtin.ts';
import { Sampler, type BatchSize } from '../packages/lab/src/lab/sampler.ts';
import { median } from '../packages/lab/src/lab/compare/tuning.ts';

describe('batch sizes see the same data in the same order', () => {
  test('one seed: the same permutation per epoch whatever the batch size', () => {
    const order = (b: BatchSize) => {
      const s = new Sampler(103, b, 7);
      const out: number[] = [];
      for (let e = 0; e < 2; e++) for (let k = 0; k < s.stepsPerEpoch; k++) out.push(...s.next());
      return out;
    };
    assert.deepEqual(order(1), order(8));
    assert.deepEqual(order(8), order('full'));
  });
});

describe('batchRace', () => {
  test('tunes each batch size, times all to one target, counts updates per epoch', async () => {
    const sizes: BatchSize[] = [16, 128, 'full'];
    const problem = {
      name: 'digits-logreg',
      at: (b: BatchSize) =>
        builtinRaceProblem('digits-logreg', 'quick', { epochs: 3, batchSize: b }),
    };
    const r = await batchRace({
      problems: [problem],
      batchSizes: sizes,
      optimizers: ['sgd', 'adam'],
      seeds: 2,
    });
    const n = (await problem.at('full').create(0)).trainSize;
    assert.equal(r.entries.length, sizes.length * 2);
    assert.deepEqual(
      r.race.problems.map((p) => p.name),
      sizes.map((b) => variantName('digits-logreg', b)),
    );
    // The shared target, recomputed from its definition over every batch size's tuned runs.
    const runs = r.race.problems.flatMap((p) => p.optimizers.flatMap((o) => o.tuned));
    const best = Math.min(...runs.filter((x) => !x.diverged).map((x) => x.finalTrainLoss!));
    const initial = median(runs.map((x) => x.initialLoss));
    assert.ok(Math.abs(r.targets['digits-logreg']! - (best + 0.1 * (initial - best))) < 1e-12);
    for (const e of r.entries) {
      const b = e.batchSize === 'full' ? n : e.batchSize;
      assert.equal(e.updatesPerEpoch, Math.ceil(n / b));
      assert.equal(e.trainSize, n);
      const v = r.race.problems.find((p) => p.name === variantName(e.problem, e.batchSize))!;
      const o = v.optimizers.find((x) => x.name === e.optimizer)!;
      assert.equal(e.lr, o.bestLr, 'the lr tuned for this batch size');
      assert.ok(o.sweep.length > 1, 'swept at this batch size');
      assert.ok(e.samplesPerSecond! > 0);
      // Reached the target exactly when the median final loss is at or below it (3 epochs,
      // 2 seeds: the final loss is the last epoch's, so the two statements must agree).
      if (
        e.finalTrainLoss !== null &&
        o.tuned.every((x) => x.finalTrainLoss! <= r.targets[e.problem]!)
      )
        assert.notEqual(e.timeToTargetMs, null);
    }
    // Every run of the underlying race is labelled with its batch size's problem.
    for (const p of r.race.problems)
      for (const o of p.optimizers) for (const x of o.tuned) assert.equal(x.problem, p.name);
  });

  const bad: [string, BatchSize[], RegExp][] = [
    ['no batch sizes', [], /batchSizes must hold at least one/],
    ['a zero batch', [0], /'full' or an integer >= 1, got 0/],
    ['a repeated batch', [8, 8], /must not repeat, got 8,8/],
  ];
  for (const [what, sizes, message] of bad) {
    test(`refuses ${what}`, async () => {
      await assert.rejects(
        batchRace({
          problems: [
            {
              name: 'x',
              at: (b) => builtinRaceProblem('digits-logreg', 'quick', { batchSize: b }),
            },
          ],
          batchSizes: sizes,
        }),
        message,
      );
    });
  }
});

describe('batch-size claims', () => {
  const problem = {
    name: 'digits-logreg',
    at: (b: BatchSize) => builtinRaceProblem('digits-logreg', 'quick', { epochs: 3, batchSize: b }),
  };
  test('four claims, each judged or saying what it lacks', async () => {
    const { evaluateBatchClaims } =
      await import('../packages/lab/src/lab/compare/claims/batch-sizes.ts');
    const r = await batchRace({
      problems: [problem],
      batchSizes: [1, 32, 'full'],
      optimizers: ['momentum'],
      seeds: 2,
    });
    const claims = evaluateBatchClaims(r);
    assert.deepEqual(
      claims.map((c) => c.id),
      ['batch-gd-slow-per-update', 'sgd-fluctuates', 'minibatch-fastest', 'best-batch-in-8-256'],
    );
    for (const c of claims) assert.notEqual(c.verdict, 'not enough evidence', c.id);
    const one = evaluateBatchClaims(
      await batchRace({
        problems: [problem],
        batchSizes: [32, 'full'],
        optimizers: ['momentum'],
        seeds: 1,
      }),
    );
    for (const c of one) assert.equal(c.verdict, 'not enough evidence', c.id);
  });
});
