import assert from 'node:assert/strict';
import type { Optimizer } from '../packages/optim/src/core/optimizer.ts';
import type { CommonOptions } from '../packages/optim/src/core/types.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { builtinRaceProblem } from '../packages/lab/src/lab/compare/builtin.ts';
import { evaluateClaims } from '../packages/lab/src/lab/compare/claims.ts';
import {
  contendersFor,
  DEFAULT_CONTENDERS,
  findContender,
} from '../packages/lab/src/lab/compare/contenders.ts';
import { lrGrid } from '../packages/lab/src/lab/compare/grid.ts';
import { workerExecutor } from '../packages/lab/src/lab/compare/worker-pool.ts';
import { compare } from '../packages/lab/src/lab/compare/race.ts';
import type { CompareResults } from '../packages/lab/src/lab/compare/results.ts';
import { renderReport } from '../packages/lab/src/lab/compare/report/html.ts';
import { expectedBestOfK, goodLrs } from '../packages/lab/src/lab/compare/tuning.ts';
import { summary } from '../packages/lab/src/cli/compare-summary.ts';
import {
  findTrainOptimizer,
  TRAIN_OPTIMIZERS,
  trainerOptimizer,
} from '../packages/lab/src/cli/train-optimizer.ts';
import { loadDigits } from '../packages/lab/src/lab/node/digits.ts';
import { softmaxModel } from '../packages/lab/src/lab/models/softmax.ts';
import { Trainer } from '../packages/lab/src/lab/trainer.ts';
import { AdamW } from '../packages/optim/src/rules/adam.ts';
import { Muon } from '../packages/optim/src/rules/muon.ts';
import { Partition } from '../packages/optim/src/wrappers/partition.ts';

describe('tuning statistics', () => {
  test('expected best of k equals brute-force enumeration of all k-draws', () => {
    const scores = [0.5, 2, 0.1, 7, 3];
    const worst = 10;
    const n = scores.length;
    for (const { trials, score } of expectedBestOfK(scores, worst)) {
      // Enumerate all n^k ordered draws with replacement.
      let total = 0;
      let count = 0;
      const draw = (k: number, best: number) => {
        if (k === 0) {
          total += best;
          count++;
          return;
        }
        for (const s of scores) draw(k - 1, Math.min(best, s));
      };
      draw(trials, Infinity);
      assert.ok(Math.abs(score - total / count) < 1e-12, `k=${trials}`);
      assert.equal(count, n ** trials);
    }
  });

  test('diverged and worse-than-untrained runs count as no progress', () => {
    assert.deepEqual(expectedBestOfK([Infinity, 50], 10), [
      { trials: 1, score: 10 },
      { trials: 2, score: 10 },
    ]);
  });

  test('good learning rates are those within 10% of the best improvement', () => {
    const sweep = [
      { lr: 0.01, score: 0.5 },
      { lr: 0.1, score: 0.1 },
      { lr: 1, score: 0.18 },
      { lr: 10, score: Infinity },
    ];
    // reference 1: bar = 0.1 + 0.1·0.9 = 0.19
    assert.deepEqual(goodLrs(sweep, 1), [0.1, 1]);
  });

  test('the grid is half-decades; thinned grids keep whole decades', () => {
    assert.deepEqual(
      lrGrid(findContender('adam')),
      [1e-4, 3.2e-4, 1e-3, 3.2e-3, 1e-2, 3.2e-2, 0.1, 0.32, 1, 3.2],
    );
    assert.deepEqual(lrGrid(findContender('sgd'), 4), [1e-3, 1e-2, 0.1, 1]);
  });
});

const tiny = () => [
  builtinRaceProblem('rosenbrock', 'quick', { epochs: 120 }),
  builtinRaceProblem('saddle', 'quick', { epochs: 60 }),
  builtinRaceProblem('digits-logreg', 'quick', { epochs: 2, batchSize: 256 }),
];
const withoutTimes = (r: CompareResults) =>
  JSON.parse(
    JSON.stringify(r, (k, v) =>
      k === 'timeMs' || k === 'meanTimeMs' || k === 'timeToTargetMs' || k === 'samplesPerSecond'
        ? undefined
        : v,
    ),
  );

describe('compare', () => {
  test('is deterministic, races every optimizer asked for, and ranks them', async () => {
    const options = {
      problems: tiny(),
      optimizers: ['sgd', 'adam', 'adam-sgd', 'radam'],
      seeds: 2,
    };
    const a = await compare(options);
    const b = await compare({ ...options, executor: workerExecutor(2) });
    assert.deepEqual(withoutTimes(a), withoutTimes(b), 'inline and worker runs agree');
    for (const p of a.problems) {
      assert.deepEqual(
        p.optimizers.map((o) => o.name),
        options.optimizers,
      );
      assert.equal(p.ranking.length, 4);
      for (const o of p.optimizers) {
        assert.equal(o.tuned.length, 2);
        assert.equal(o.defaults.length, 2);
        assert.ok(o.sweep.length > 1);
        // The same seed gives the same start to every optimizer.
        assert.equal(o.tuned[0]!.initialLoss, p.optimizers[0]!.tuned[0]!.initialLoss);
      }
    }
    const rosen = a.problems[0]!;
    const best = rosen.optimizers.find((o) => o.name === rosen.ranking[0])!;
    const clean = rosen.optimizers.filter((o) => o.summary.failedSeeds === 0);
    if (clean.length > 0) {
      assert.equal(best.summary.failedSeeds, 0);
      assert.ok(best.summary.meanScore <= Math.min(...clean.map((o) => o.summary.meanScore)));
    }
    assert.equal(a.overall.length, 4);
  });

  test('the saddle is scored by escape steps, capped learning rates, and a trajectory', async () => {
    const r = await compare({
      problems: [builtinRaceProblem('saddle', 'quick', { epochs: 80 })],
      optimizers: ['sgd', 'adam'],
      seeds: 1,
    });
    const p = r.problems[0]!;
    assert.equal(p.objective, 'escape');
    for (const o of p.optimizers) {
      assert.ok(o.sweep.every((s) => s.lr <= 0.1));
      const run = o.tuned[0]!;
      if (run.escapeStep !== null) assert.ok(run.curve.loss.some((l) => l <= -1));
      assert.ok(run.trajectory && run.trajectory.length > 1);
      assert.deepEqual(run.trajectory[0], [1, 0.001]);
    }
  });

  test('a fixed lr skips tuning', async () => {
    const r = await compare({
      problems: [builtinRaceProblem('beale', 'quick', { epochs: 50 })],
      optimizers: ['adam'],
      lr: 0.01,
      seeds: 1,
    });
    assert.deepEqual(
      r.problems[0]!.optimizers[0]!.sweep.map((s) => s.lr),
      [0.01],
    );
    assert.equal(r.config.tuned, false);
  });

  test('bad options are named', async () => {
    await assert.rejects(
      compare({ problems: tiny(), optimizers: ['adamm'] }),
      /unknown optimizer "adamm"/,
    );
    await assert.rejects(
      compare({ problems: tiny(), seeds: 0 }),
      /seeds must be an integer in \[1, 100\], got 0/,
    );
    await assert.rejects(
      compare({ problems: tiny(), lr: -1 }),
      /lr must be a finite number > 0, got -1/,
    );
    await assert.rejects(compare({ problems: [] }), /problems must hold at least one problem/);
  });

  test('claims: every one has a verdict, evidence and a figure in the report', async () => {
    const r = await compare({ problems: tiny(), optimizers: DEFAULT_CONTENDERS, seeds: 2 });
    const claims = evaluateClaims(r);
    assert.equal(claims.length, 8);
    const html = renderReport(r, claims, { command: 'test', machine: 'test' });
    for (const c of claims) {
      assert.ok(['supported', 'not supported', 'mixed', 'not enough evidence'].includes(c.verdict));
      assert.ok(c.evidence.length > 20);
      assert.ok(html.includes(`id="claim-${c.id}"`));
    }
    // Claims this suite can judge are judged.
    for (const id of [
      'adaptive-faster',
      'sgd-escapes-saddles',
      'prefer-adam',
      'radam-robust',
      'adam-then-sgd',
    ]) {
      assert.notEqual(claims.find((c) => c.id === id)!.verdict, 'not enough evidence', id);
    }
    assert.equal(claims.find((c) => c.id === 'adaptive-sparse')!.verdict, 'not enough evidence');
    // The default race has no new optimizer: that claim cannot be judged, and says why.
    const fresh = claims.find((c) => c.id === 'new-beat-adamw')!;
    assert.equal(fresh.verdict, 'not enough evidence');
    assert.match(fresh.evidence, /Adam\(W\) and a new optimizer raced on 0 problem/);
    assert.ok((html.match(/<svg/g) ?? []).length > 10, 'the report draws its figures');
    assert.ok(!/<script/i.test(html), 'the report needs no script');
  });
});

describe('the new optimizers in the race', () => {
  test('--budget full races every default contender and the new methods, all of them known', () => {
    const full = contendersFor('full');
    for (const name of full) findContender(name);
    assert.ok(DEFAULT_CONTENDERS.every((n) => full.includes(n)));
    const newer = full.filter((n) => findContender(n).era === 'new');
    assert.deepEqual(newer, ['lion', 'schedulefree-adamw', 'prodigy', 'ademamix', 'muon']);
    assert.deepEqual(contendersFor('quick'), DEFAULT_CONTENDERS);
  });

  test('are marked new, Prodigy runs untuned at its own lr, and the claim judges them against Adam(W)', async () => {
    const r = await compare({
      problems: tiny().slice(0, 2),
      optimizers: ['adam', 'adamw', 'lion', 'prodigy'],
      seeds: 2,
    });
    for (const p of r.problems) {
      const prodigy = p.optimizers.find((o) => o.name === 'prodigy')!;
      assert.equal(prodigy.selfTuning, true);
      assert.equal(prodigy.era, 'new');
      // One lr on seed 0 (its default, 1), no sweep, no extension, no refinement.
      assert.deepEqual(
        prodigy.sweep.map((x) => x.lr),
        [1],
      );
      assert.equal(prodigy.bestLr, 1);
      const adam = p.optimizers.find((o) => o.name === 'adam')!;
      assert.equal(adam.era, 'classic');
      assert.ok(adam.sweep.length >= 4, 'Adam is swept');
    }
    const claim = evaluateClaims(r).find((c) => c.id === 'new-beat-adamw')!;
    assert.notEqual(claim.verdict, 'not enough evidence');
    assert.match(claim.evidence, /of 4 comparisons on 2 problems/);
    assert.match(claim.evidence, /Lion: /);
    assert.match(claim.evidence, /Prodigy: /);
    const html = renderReport(r, evaluateClaims(r), { command: 'test', machine: 'test' });
    assert.match(html, /Prodigy<span class="era"|Prodigy <span class="era"/);
    assert.match(html, /Prodigy was not tuned \(it sets its own step size\)/);
  });
});

test('Adafactor in the race gets the model shapes and factors the MLP matrices', async () => {
  const model = await builtinRaceProblem('digits-mlp', 'quick', { epochs: 1 }).create(0);
  try {
    const opt = findContender('adafactor').build(
      model.params,
      0.01,
      10,
      model.shapes,
    ) as Optimizer<CommonOptions>;
    assert.deepEqual(opt.paramShapes, model.shapes);
    const grads = model.params.map((p) => new Float32Array(p.length));
    model.lossAndGrad(Uint32Array.of(0, 1, 2, 3), grads);
    opt.step(grads);
    // W1 is 64×128: one value per row and one per column, not 64·128.
    const slots = opt.paramState(0)!.slots;
    const sizes = Object.values(slots)
      .map((b) => b.length)
      .sort((a, b) => a - b);
    assert.deepEqual(sizes, [64, 128]);
  } finally {
    model.dispose?.();
  }
});

describe('Muon+AdamW (contender muon)', () => {
  test('on the MLP, Muon steps the three weight matrices and AdamW the biases, at one lr', async () => {
    const c = findContender('muon');
    const adamw = findContender('adamw');
    assert.equal(c.label, 'Muon+AdamW');
    assert.equal(c.era, 'new');
    assert.equal(c.family, 'adaptive');
    assert.deepEqual(c.lrDecades, adamw.lrDecades);
    assert.equal(c.defaultLr, adamw.defaultLr);
    const model = await builtinRaceProblem('digits-mlp', 'quick', { epochs: 1 }).create(0);
    try {
      assert.equal(c.degenerateAs!(model.params, model.shapes), null);
      const opt = c.build(model.params, 0.01, 10, model.shapes);
      assert.ok(opt instanceof Partition);
      const [muon, rest] = opt.parts;
      assert.ok(muon instanceof Muon && rest instanceof AdamW);
      const at = (is: number[]) => is.map((i) => model.params[i]);
      assert.ok(muon.params.every((p, k) => p === at([0, 2, 4])[k]));
      assert.ok(rest.params.every((p, k) => p === at([1, 3, 5])[k]));
      assert.deepEqual(muon.paramShapes, [
        [64, 128],
        [128, 64],
        [64, 10],
      ]);
      const h = muon.paramGroups[0]!;
      assert.equal(h.adjustLrFn, 'match_rms_adamw');
      assert.equal(h.lr, 0.01);
      assert.equal(h.weightDecay, rest.paramGroups[0]!.weightDecay);
      assert.equal(rest.paramGroups[0]!.lr, 0.01);
      const grads = model.params.map((p) => new Float32Array(p.length));
      model.lossAndGrad(
        Uint32Array.from({ length: 32 }, (_, i) => i),
        grads,
      );
      opt.step(grads);
      for (let i = 0; i < 3; i++) {
        assert.ok(muon.paramState(i)?.slots.momentum_buffer, `Muon stepped matrix ${i}`);
        assert.ok(rest.paramState(i)?.slots.exp_avg, `AdamW stepped bias ${i}`);
      }
    } finally {
      model.dispose?.();
    }
  });

  test('races: Muon on the matrices, exactly AdamW on a test function, said per problem and left out of the claim', async () => {
    const r = await compare({
      problems: [
        builtinRaceProblem('rosenbrock', 'quick', { epochs: 120 }),
        builtinRaceProblem('digits-logreg', 'quick', { epochs: 2, batchSize: 256 }),
        builtinRaceProblem('digits-mlp', 'quick', { epochs: 1 }),
      ],
      optimizers: ['adamw', 'muon'],
      seeds: 2,
    });
    const [rosen, logreg, mlp] = r.problems.map((p) => ({
      adamw: p.optimizers.find((o) => o.name === 'adamw')!,
      muon: p.optimizers.find((o) => o.name === 'muon')!,
    }));
    // A test function has no matrix: Muon+AdamW is AdamW there, run for run.
    assert.deepEqual(rosen!.muon.degenerateAs, {
      optimizer: 'adamw',
      label: 'AdamW',
      reason: 'no matrix parameters',
    });
    assert.equal(rosen!.adamw.degenerateAs, undefined);
    assert.deepEqual(rosen!.muon.sweep, rosen!.adamw.sweep);
    assert.deepEqual(
      rosen!.muon.tuned.map((x) => x.score),
      rosen!.adamw.tuned.map((x) => x.score),
    );
    // Where there are matrices (the softmax's W, the MLP's weights), Muon steps them.
    for (const p of [logreg!, mlp!]) {
      assert.equal(p.muon.degenerateAs, undefined);
      const same = p.muon.sweep.filter((s) =>
        p.adamw.sweep.some((a) => a.lr === s.lr && a.score === s.score),
      );
      assert.equal(same.length, 0, 'no lr gives AdamW’s result');
    }
    // Said once per problem, not per run.
    for (const p of r.problems) {
      for (const o of p.optimizers) assert.ok(o.tuned.every((x) => !('degenerateAs' in x)));
    }
    const claims = evaluateClaims(r);
    const claim = claims.find((c) => c.id === 'new-beat-adamw')!;
    assert.notEqual(claim.verdict, 'not enough evidence');
    assert.match(claim.evidence, /of 2 comparisons on 2 problems\./);
    assert.match(claim.evidence, /Muon\+AdamW: .*\(digits-logreg .*; digits-mlp .*\)\./);
    assert.match(
      claim.evidence,
      /Muon\+AdamW is left out where it was AdamW \(no matrix parameters\): rosenbrock\.$/,
    );
    const html = renderReport(r, claims, { command: 'test', machine: 'test' });
    assert.match(
      html,
      /Muon\+AdamW <span class="same" title="no matrix parameters: Muon\+AdamW is AdamW here">= AdamW<\/span>/,
    );
    assert.match(html, /= AdamW: Muon\+AdamW was exactly AdamW here \(no matrix parameters\)/);
    assert.equal(
      (html.match(/class="same"/g) ?? []).length,
      2,
      'its row on rosenbrock and its cell',
    );
    const text = summary(r, claims).replace(/\s+/g, ' ');
    assert.match(
      text,
      /= exactly another optimizer there: Muon\+AdamW was AdamW \(no matrix parameters\) on rosenbrock\./,
    );
  });

  test("descent train takes muon as compare does: Muon+AdamW over the model's shapes", () => {
    assert.deepEqual(TRAIN_OPTIMIZERS.slice(-2), ['adam-sgd', 'muon']);
    assert.equal(TRAIN_OPTIMIZERS.filter((n) => n === 'muon').length, 1);
    const o = findTrainOptimizer('Muon');
    assert.equal(o.composed, findContender('muon'));
    const { train, test: tst } = loadDigits();
    const trainer = new Trainer(softmaxModel(train, tst), {
      ...trainerOptimizer(o, 0.01, 10),
      epochs: 1,
    });
    const opt = trainer.optimizer as Partition;
    assert.ok(opt instanceof Partition);
    assert.ok(opt.parts[0] instanceof Muon);
    assert.deepEqual((opt.parts[0] as Muon).paramShapes, [[64, 10]]);
  });
});

describe('descent compare (CLI)', () => {
  const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

  test('writes index.html and results.json, prints the ranking', () => {
    const out = mkdtempSync(join(tmpdir(), 'descent-compare-'));
    const r = cli(
      'compare',
      '--problem',
      'beale,saddle',
      '--optimizers',
      'sgd,adam',
      '--epochs',
      '40',
      '--seeds',
      '1',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /rank\s+optimizer/);
    assert.match(
      r.stdout,
      /\[(supported|not supported|mixed|not enough evidence)\] SGD, Momentum and Nesterov escape/,
    );
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(results.schema, 'descent/compare');
    assert.deepEqual(results.config.optimizers, ['sgd', 'adam']);
    assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /^<!doctype html>/);
  });

  test('without --optimizers it races the budget list: the default 11, the new methods only with --budget full', () => {
    const out = mkdtempSync(join(tmpdir(), 'descent-compare-'));
    const args = [
      'compare',
      '--problem',
      'saddle',
      '--epochs',
      '3',
      '--seeds',
      '1',
      '--lr',
      '0.01',
    ];
    const quick = cli(...args, '--out', out);
    assert.equal(quick.status, 0, quick.stderr);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(results.config.optimizers, DEFAULT_CONTENDERS);
    const full = cli(...args, '--budget', 'full', '--out', out);
    assert.equal(full.status, 0, full.stderr);
    const fuller = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(fuller.config.optimizers, contendersFor('full'));
  });

  test('--batch-sizes races each batch size and records batchRace', () => {
    const out = mkdtempSync(join(tmpdir(), 'descent-batch-'));
    const r = cli(
      'compare',
      '--problem',
      'digits-logreg',
      '--batch-sizes',
      '32,full',
      '--optimizers',
      'sgd',
      '--epochs',
      '2',
      '--seeds',
      '2',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /problem\s+optimizer\s+batch\s+lr/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(typeof results.batchRaceTargets['digits-logreg'], 'number');
    assert.deepEqual(
      results.batchRace.map((e: { batchSize: number | string }) => e.batchSize),
      [32, 'full'],
    );
    assert.deepEqual(
      results.problems.map((p: { name: string }) => p.name),
      ['digits-logreg@32', 'digits-logreg@full'],
    );
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, line);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown problem', ['--problem', 'rosenbrok'], /unknown: rosenbrok; known:/],
    ['an unknown optimizer', ['--optimizers', 'sgd,adamm'], /unknown: adamm; known:/],
    ['zero seeds', ['--seeds', '0'], /must be an integer >= 1/],
    ['a bad budget', ['--budget', 'huge'], /argument 'huge' is invalid/],
    ['a negative lr', ['--lr', '-1'], /must be a finite number > 0/],
    ['a zero batch size', ['--batch-sizes', '0,8'], /must be 'full' or an integer >= 1/],
    ['a repeated batch size', ['--batch-sizes', '8,8'], /must not repeat a batch size, got 8,8/],
    [
      'both batch options',
      ['--batch-sizes', '8,full', '--batch-size', '8'],
      /--batch-sizes and --batch-size exclude each other/,
    ],
    [
      'batch sizes on test functions only',
      ['--batch-sizes', '8,full', '--problem', 'beale'],
      /--batch-sizes races data problems \(a test function has no batches\); none among: beale/,
    ],
  ];
  for (const [what, args, message] of bad) {
    test(`${what}: one clear line, exit non-zero`, () => {
      const r = cli('compare', ...args);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }
});

test("compare on the user's own objective: one problem, a quick budget", async () => {
  const { objectiveProblem } = await import('../packages/lab/src/lab/compare/user.ts');
  // f(x) = Σ (i+1)·xᵢ²/2, minimum 0 at the origin.
  const problem = objectiveProblem({
    name: 'my-quadratic',
    start: (seed) => [1 + seed, -2, 0.5],
    valueAndGradient: (x, g) => {
      let f = 0;
      x.forEach((v, i) => {
        g[i] = (i + 1) * v;
        f += ((i + 1) * v * v) / 2;
      });
      return f;
    },
    steps: 100,
  });
  const r = await compare({ problem, optimizers: ['sgd', 'adam'], seeds: 2, budget: 'quick' });
  const p = r.problems[0]!;
  assert.equal(p.name, 'my-quadratic');
  for (const o of p.optimizers) {
    // The quick budget's whole decades, refined to half decades around the best.
    const coarse = o.sweep.filter((s) => s.coarse).map((s) => s.lr);
    for (const lr of [1e-4, 1e-3, 1e-2, 0.1, 1]) assert.ok(coarse.includes(lr), String(lr));
    assert.equal(o.grid.spacing, 1);
    assert.equal(o.grid.resolution, 0.5);
    // At its best learning rate every optimizer ends well below the start (f = 4.875 at seed 0).
    assert.ok(o.summary.medianScore < 0.1 * 4.875, `${o.name} ${o.summary.medianScore}`);
  }
});
