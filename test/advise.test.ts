import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { advise, guidance } from '../src/lab/compare/advise.ts';
import { builtinRaceProblem } from '../src/lab/compare/builtin.ts';
import { inspectProblem } from '../src/lab/compare/inspect.ts';
import { loadCsvSplit } from '../src/lab/node/csv.ts';

describe('inspect', () => {
  test('sparse logistic regression has sparse gradients and rare coordinates; digits do not', async () => {
    const sparse = await inspectProblem(builtinRaceProblem('sparse-logreg', 'quick'));
    const dense = await inspectProblem(builtinRaceProblem('digits-logreg', 'quick'));
    assert.ok(sparse.gradientZeroFraction > 0.5, String(sparse.gradientZeroFraction));
    assert.ok(dense.gradientZeroFraction < 0.5, String(dense.gradientZeroFraction));
    assert.ok(sparse.rareCoordinates > dense.rareCoordinates);
    assert.ok(sparse.noiseScale > 0 && dense.noiseScale > 0);
    assert.equal(guidance(sparse).runnerUp, 'adagrad');
    assert.equal(guidance(dense).runnerUp, 'adam-sgd');
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

test('advise: a recommendation, a reason and a trial race on the built-in problems', async () => {
  const a = await advise(builtinRaceProblem('rosenbrock', 'quick', { epochs: 200 }), { seeds: 1 });
  assert.equal(a.recommended.optimizer, 'adam');
  assert.equal(a.runnerUp.optimizer, 'nesterov');
  assert.ok(a.recommended.lr! > 0);
  assert.match(a.reason, /deterministic objective with 2 parameters/);
  assert.match(a.trial.verdict, /^The trial race (agrees|disagrees|is a tie)/);
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
    const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
    const rows = Array.from({ length: 120 }, (_, i) => {
      const a = Math.sin(i);
      const b = Math.cos(i * 1.7);
      return `${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 1 : 0}`;
    });
    const path = write('blobs.csv', rows.join('\n'));
    const r = spawnSync(process.execPath, [BIN, 'advise', '--data-file', path, '--seeds', '1'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /recommended: adam at lr [\d.e-]+, batch size \d+/);
    const none = spawnSync(process.execPath, [BIN, 'advise'], { encoding: 'utf8' });
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /advise needs exactly one of --problem NAME or --data-file FILE/);
  });
});
