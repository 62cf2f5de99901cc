import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  advise,
  decide,
  guidance,
  TRIAL_ALTERNATIVES,
  type TrialOptimizer,
  type TrialProblem,
} from '../packages/lab/src/lab/compare/advise.ts';
import { builtinRaceProblem } from '../packages/lab/src/lab/compare/builtin.ts';
import { inspectProblem } from '../packages/lab/src/lab/compare/inspect.ts';
import { loadCsvSplit } from '../packages/lab/src/lab/node/csv.ts';

describe('inspect', () => {
  test('sparse logistic regression has sparse gradients and rare coordinates; digits do not', async () => {
    const sparse = await inspectProblem(builtinRaceProblem('sparse-logreg', 'quick'));
    const dense = await inspectProblem(builtinRaceProblem('digits-logreg', 'quick'));
    assert.ok(sparse.gradientZeroFraction > 0.5, String(sparse.gradientZeroFraction));
    assert.ok(dense.gradientZeroFraction < 0.5, String(dense.gradientZeroFraction));
    assert.ok(sparse.rareCoordinates > dense.rareCoordinates);
    assert.ok(sparse.noiseScale > 0 && dense.noiseScale > 0);
    // The guidance explains its pick and names no fixed runner-up: the trial finds that.
    assert.match(guidance(sparse).reason, /^Sparse gradients/);
    assert.match(guidance(dense).reason, /^Dense gradients/);
    assert.ok(!('runnerUp' in guidance(sparse)) && !('runnerUp' in guidance(dense)));
  });

  test('a test function is deterministic: zero noise, full batch', async () => {
    const p = await inspectProblem(builtinRaceProblem('beale', 'quick'));
    assert.equal(p.noiseScale, 0);
    assert.equal(guidance(p).batchSize, 'full');
  });

  test('the noise scale follows its definition: tr(Σ)/|G|² from batch gradients', async () => {
    // With batches of the whole set every batch gradient equals G, so the scale is 0.
    const p = await inspectProblem(builtinRaceProblem('digits-logreg', 'quick'), 4, 1_000_000);
    assert.ok(p.noiseScale < 1e-9, String(p.noiseScale));
  });
});

/** One raced optimizer of a synthetic trial: its per-seed scores (Infinity: a failed seed). */
interface Row {
  name: string;
  rank: number;
  scores: number[];
  within?: boolean;
  /** Its interval against the best, as a ratio [low, high] (none: the best, or one seed). */
  vs?: [number, number];
  lr?: number;
  edge?: 'low' | 'high' | 'cap';
  accuracy?: number;
}

/** A failed seed counts as no progress: the untrained loss of these synthetic problems. */
const NO_PROGRESS = 10;
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs: number[]) =>
  xs.length < 2
    ? 0
    : Math.sqrt(xs.reduce((a, x) => a + (x - meanOf(xs)) ** 2, 0) / (xs.length - 1));
const SEPARATION = 'paired bootstrap interval over the seeds (synthetic)';

/** A `compare`-like result for one problem, ranked by the rows' ranks (ties in input order). */
function trial(rows: Row[], objective: 'loss' | 'escape' = 'loss'): TrialProblem {
  const optimizers = rows.map((r): TrialOptimizer => {
    const capped = r.scores.map((x) => (Number.isFinite(x) ? x : NO_PROGRESS));
    return {
      name: r.name,
      label: r.name.toUpperCase(),
      rank: r.rank,
      withinNoiseOfBest: r.within ?? false,
      vsBest: r.vs
        ? {
            low: Math.log(r.vs[0]),
            high: Math.log(r.vs[1]),
            log: true,
            separated: !(r.vs[0] <= 1 && r.vs[1] >= 1),
          }
        : null,
      bestLr: r.lr ?? 0.01,
      lrAtEdge: r.edge !== undefined,
      lrEdge: r.edge ?? null,
      summary: {
        scores: r.scores,
        meanScore: meanOf(capped),
        sdScore: sdOf(capped),
        failedSeeds: r.scores.filter((x) => !Number.isFinite(x)).length,
        meanTestAccuracy: r.accuracy ?? null,
        sdTestAccuracy: r.accuracy === undefined ? null : 0,
      },
    };
  });
  const ranked = rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.rank - b.r.rank || a.i - b.i)
    .map((x) => x.r);
  return {
    objective,
    ranking: ranked.map((r) => r.name),
    leaders: ranked.filter((r) => r.within).map((r) => r.name),
    separation: SEPARATION,
    optimizers,
  };
}

/** The verdict's rendering of a mean (three significant digits). */
const shown = (xs: number[]) =>
  String(Number(meanOf(xs.map((x) => (Number.isFinite(x) ? x : NO_PROGRESS))).toPrecision(3)));

const decisions: {
  what: string;
  pick: string;
  rows: Row[];
  objective?: 'loss' | 'escape';
  want: { optimizer: string; source: 'guidance' | 'trial'; runnerUp: string; within: boolean };
  verdict: RegExp[];
}[] = [
  {
    what: 'the pick ranks first: it stands, the runner-up within noise',
    pick: 'adam',
    rows: [
      { name: 'adam', rank: 1, scores: [0.1, 0.12, 0.11], within: true },
      { name: 'rmsprop', rank: 2, scores: [0.11, 0.12, 0.12], within: true, vs: [0.8, 1.4] },
      { name: 'nesterov', rank: 3, scores: [0.5, 0.6, 0.7], vs: [2, 3] },
    ],
    want: { optimizer: 'adam', source: 'guidance', runnerUp: 'rmsprop', within: true },
    verdict: [
      /^The trial agrees with the guidance/,
      /within the seeds' noise of it \(ratio 0\.8 to 1\.4 against the best\)/,
    ],
  },
  {
    what: 'the pick ranks first, the runner-up outside noise',
    pick: 'adam',
    rows: [
      { name: 'nesterov', rank: 2, scores: [0.5, 0.6, 0.7], vs: [2, 3] },
      { name: 'adam', rank: 1, scores: [0.1, 0.12, 0.11], within: true },
    ],
    want: { optimizer: 'adam', source: 'guidance', runnerUp: 'nesterov', within: false },
    verdict: [
      /^The trial agrees/,
      /outside the seeds' noise of it \(ratio 2 to 3 against the best\)/,
    ],
  },
  {
    what: 'the pick within noise of a better best: it stands, the best is the runner-up',
    pick: 'adam',
    rows: [
      { name: 'adam', rank: 2, scores: [0.12, 0.13, 0.11], within: true, vs: [0.8, 1.4] },
      { name: 'adagrad', rank: 1, scores: [0.1, 0.12, 0.11], within: true },
      { name: 'rmsprop', rank: 3, scores: [0.4, 0.5, 0.45], vs: [2, 3] },
    ],
    want: { optimizer: 'adam', source: 'guidance', runnerUp: 'adagrad', within: true },
    verdict: [
      /^The guidance's pick stands/,
      /best, ADAGRAD \(ratio 0\.8 to 1\.4 against the best\)/,
    ],
  },
  {
    what: 'an exact tie for first, the pick listed second: it stands',
    pick: 'adam',
    rows: [
      { name: 'nesterov', rank: 1.5, scores: [0.2, 0.2, 0.2], within: true },
      { name: 'adam', rank: 1.5, scores: [0.2, 0.2, 0.2], within: true, vs: [0.8, 1.4] },
      { name: 'adagrad', rank: 3, scores: [0.9, 0.8, 0.7], vs: [2, 3] },
    ],
    want: { optimizer: 'adam', source: 'guidance', runnerUp: 'nesterov', within: true },
    verdict: [/^The guidance's pick stands/],
  },
  {
    what: "the pick outside the leaders: the trial's best wins, the runner-up is the next by rank",
    pick: 'adam',
    rows: [
      { name: 'adam', rank: 3, scores: [20, 21, 22], vs: [2, 3] },
      { name: 'nesterov', rank: 4, scores: [20, 22, 23], vs: [2, 3] },
      { name: 'adagrad', rank: 1, scores: [1, 1.01, 1.02], within: true, lr: 5.6 },
      { name: 'rmsprop', rank: 2, scores: [12, 13, 14], vs: [2, 3] },
    ],
    want: { optimizer: 'adagrad', source: 'trial', runnerUp: 'rmsprop', within: false },
    verdict: [
      /^The trial disagreed with the guidance: ADAGRAD ranks first and ADAM is not within/,
      /\(ratio 2 to 3 against the best\), so the recommendation is ADAGRAD at lr 5\.6, not ADAM/,
      new RegExp(`ADAGRAD ${shown([1, 1.01, 1.02])} ± [\\d.e-]+, ADAM ${shown([20, 21, 22])} ±`),
      new RegExp(`Test: ${SEPARATION.replace(/[()]/g, '\\$&')}\\.$`),
    ],
  },
  {
    what: 'the best has a failed seed and its lr at the edge: both said',
    pick: 'adam',
    rows: [
      { name: 'adam', rank: 2, scores: [Infinity, Infinity, 0.3], vs: [2, 3] },
      { name: 'adagrad', rank: 1, scores: [Infinity, 0.1, 0.1], within: true, edge: 'high' },
    ],
    want: { optimizer: 'adagrad', source: 'trial', runnerUp: 'adam', within: false },
    verdict: [
      /disagreed/,
      /ADAGRAD failed \(diverged or never escaped\) on 1 of 3 seeds/,
      /ADAGRAD's tuned lr 0\.01 sits at the largest lr tried/,
    ],
  },
  {
    what: 'a standing pick with its lr at the low edge: said',
    pick: 'adam',
    rows: [
      { name: 'adam', rank: 1, scores: [0.1, 0.1, 0.2], within: true, edge: 'low', lr: 1e-5 },
      { name: 'rmsprop', rank: 2, scores: [0.4, 0.5, 0.6], vs: [2, 3] },
    ],
    want: { optimizer: 'adam', source: 'guidance', runnerUp: 'rmsprop', within: false },
    verdict: [/^The trial agrees/, /ADAM's tuned lr 1e-5 sits at the smallest lr tried/],
  },
  {
    what: 'one seed: no test, a worse pick loses',
    pick: 'adam',
    rows: [
      { name: 'adam', rank: 2, scores: [0.2] },
      { name: 'nesterov', rank: 1, scores: [0.1], within: true },
    ],
    want: { optimizer: 'nesterov', source: 'trial', runnerUp: 'adam', within: false },
    verdict: [
      /disagreed/,
      /\(one seed: no interval\)/,
      /Final training loss, one seed: NESTEROV 0\.1,/,
    ],
  },
  {
    what: 'saddles score steps to escape; test accuracy shown where present',
    pick: 'adam',
    objective: 'escape',
    rows: [
      { name: 'adam', rank: 2, scores: [90, 95, 99], vs: [2, 3], accuracy: 0.5 },
      { name: 'nesterov', rank: 1, scores: [40, 41, 42], within: true, accuracy: 0.75 },
    ],
    want: { optimizer: 'nesterov', source: 'trial', runnerUp: 'adam', within: false },
    verdict: [/Steps to escape, mean ± sd over 3 seeds: NESTEROV 41 ± 1 \(test accuracy 0\.750\)/],
  },
];

describe('decide: the recommendation follows the trial', () => {
  for (const c of decisions) {
    test(c.what, () => {
      const t = trial(c.rows, c.objective);
      const d = decide(c.pick, t);
      const rec = c.rows.find((r) => r.name === c.want.optimizer)!;
      const run = c.rows.find((r) => r.name === c.want.runnerUp)!;
      assert.deepEqual(d.recommended, {
        optimizer: c.want.optimizer,
        lr: rec.lr ?? 0.01,
        source: c.want.source,
      });
      assert.deepEqual(d.runnerUp, {
        optimizer: c.want.runnerUp,
        lr: run.lr ?? 0.01,
        withinNoiseOfRecommended: c.want.within,
      });
      assert.equal(d.held, c.want.source === 'guidance');
      assert.deepEqual(
        d.optimizers.map((o) => o.name),
        t.ranking,
      );
      for (const re of c.verdict) assert.match(d.verdict, re);
      if (!c.rows.some((r) => r.edge)) assert.doesNotMatch(d.verdict, /sits at/);
      if (!c.rows.some((r) => r.scores.some((x) => !Number.isFinite(x)))) {
        assert.doesNotMatch(d.verdict, /failed/);
      }
    });
  }

  const bad: [string, string, Row[], RegExp][] = [
    [
      'a pick that was not raced',
      'sgd',
      [
        { name: 'adam', rank: 1, scores: [1], within: true },
        { name: 'nesterov', rank: 2, scores: [2] },
      ],
      /decide: pick must be one of the raced optimizers \(adam, nesterov\), got sgd/,
    ],
    [
      'a trial of one optimizer',
      'adam',
      [{ name: 'adam', rank: 1, scores: [1], within: true }],
      /decide: the trial must race at least 2 optimizers, got adam/,
    ],
  ];
  for (const [what, pick, rows, message] of bad) {
    test(`refuses ${what}`, () => assert.throws(() => decide(pick, trial(rows)), message));
  }
});

test('advise on Rastrigin: the guidance stands only within noise of the tuned trial', async () => {
  const a = await advise(builtinRaceProblem('rastrigin', 'quick', { epochs: 300 }), { seeds: 3 });
  const t = a.trial;
  assert.equal(t.seeds, 3);
  assert.deepEqual(
    new Set(t.optimizers.map((o) => o.name)),
    new Set([a.guidance.optimizer, ...TRIAL_ALTERNATIVES]),
  );
  const ranks = t.optimizers.map((o) => o.rank);
  assert.deepEqual(
    ranks,
    [...ranks].sort((x, y) => x - y),
  );
  const pick = t.optimizers.find((o) => o.name === a.guidance.optimizer)!;
  const expected = pick.withinNoiseOfBest ? pick : t.optimizers[0]!;
  assert.equal(a.recommended.optimizer, expected.name);
  assert.equal(a.recommended.lr, expected.bestLr);
  assert.equal(a.recommended.source, pick.withinNoiseOfBest ? 'guidance' : 'trial');
  assert.equal(t.held, pick.withinNoiseOfBest);
  assert.match(t.verdict, pick.withinNoiseOfBest ? /agrees|stands/ : /disagreed with the guidance/);
  const runner = t.optimizers.find((o) => o.name !== expected.name)!;
  assert.equal(a.runnerUp.optimizer, runner.name);
  assert.equal(a.runnerUp.lr, runner.bestLr);
  assert.match(a.guidance.reason, /deterministic objective with 2 parameters/);
  assert.match(t.verdict, /Test: 95% paired bootstrap interval/);
});

describe('CSV data files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-csv-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('reads features and labels, skips a header, splits 80/20', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 3}`);
    const split = loadCsvSplit(write('ok.csv', ['a,b,label', ...rows].join('\n')));
    assert.equal(split.train.size, 40);
    assert.equal(split.test.size, 10);
    assert.equal(split.train.features, 2);
    assert.equal(split.train.classes, 3);
  });

  const bad: [string, string, RegExp][] = [
    ['too few rows', '1,0\n2,1\n', /needs at least 5 data rows, got 2/],
    ['a ragged row', '1,2,0\n1,2,1\n1,0\n1,2,0\n3,4,1\n', /:3: expected 3 columns, got 2/],
    [
      'a non-numeric cell',
      '1,2,0\n1,x,1\n1,2,0\n1,2,0\n3,4,1\n',
      /:2: column 2 is not a number: "x"/,
    ],
    [
      'a fractional label',
      '1,2,0\n1,2,1.5\n1,2,0\n1,2,0\n3,4,1\n',
      /:2: the label must be an integer in \[0, 255\], got 1.5/,
    ],
  ];
  for (const [what, text, message] of bad) {
    test(`refuses ${what}`, () =>
      assert.throws(() => loadCsvSplit(write(`${what}.csv`, text)), message));
  }
  test('a missing file is named', () =>
    assert.throws(
      () => loadCsvSplit('/nonexistent.csv'),
      /data file \/nonexistent.csv does not exist/,
    ));

  test('descent advise --data-file works end to end; bad arguments are one line', () => {
    const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
    const rows = Array.from({ length: 120 }, (_, i) => {
      const a = Math.sin(i);
      const b = Math.cos(i * 1.7);
      return `${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 1 : 0}`;
    });
    const path = write('blobs.csv', rows.join('\n'));
    const r = spawnSync(process.execPath, [BIN, 'advise', '--data-file', path, '--seeds', '2'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^recommended: [a-z-]+ at lr [\d.e-]+, batch size \d+ \(/m);
    assert.match(r.stdout, /^runner-up: +[a-z-]+ at lr [\d.e-]+ \((within|outside) the seeds'/m);
    assert.match(r.stdout, /^The trial (agrees|disagreed)|^The guidance's pick stands/m);
    // One table row per raced optimizer: rank, name, lr, mean ± sd, failed seeds.
    const tableRows = r.stdout
      .split('\n')
      .filter((l) => /^ *[\d.]+ {2}\S+ +[\d.e-]+\*? {2}\S+ ± /.test(l));
    assert.equal(tableRows.length, TRIAL_ALTERNATIVES.length);
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, line);

    const j = spawnSync(
      process.execPath,
      [BIN, 'advise', '--data-file', path, '--seeds', '2', '--json'],
      { encoding: 'utf8' },
    );
    assert.equal(j.status, 0, j.stderr);
    const advice = JSON.parse(j.stdout) as {
      recommended: { optimizer: string; lr: number; source: string };
      runnerUp: { optimizer: string; lr: number };
      trial: {
        optimizers: { name: string; meanScore: number; vsBest: { low: number } | null }[];
      };
    };
    assert.equal(advice.trial.optimizers[0]!.vsBest, null);
    assert.equal(typeof advice.trial.optimizers[1]!.vsBest?.low, 'number');
    const raced = advice.trial.optimizers.map((o) => o.name);
    assert.equal(raced.length, TRIAL_ALTERNATIVES.length);
    assert.ok(raced.includes(advice.recommended.optimizer));
    assert.ok(raced.includes(advice.runnerUp.optimizer));
    assert.notEqual(advice.runnerUp.optimizer, advice.recommended.optimizer);
    assert.equal(typeof advice.recommended.lr, 'number');
    for (const o of advice.trial.optimizers) assert.equal(typeof o.meanScore, 'number');
    const none = spawnSync(process.execPath, [BIN, 'advise'], { encoding: 'utf8' });
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /advise needs exactly one of --problem NAME or --data-file FILE/);
  });
});
