import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { rosenbrock } from '../packages/lab/src/lab/browser.ts';
import { FASHION_MNIST_DIR } from '../packages/lab/src/lab/node/fashion.ts';

// The CLI is tested as users run it: the built bin (npm test builds first).
const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'train', ...args], { encoding: 'utf8' });

function runJson(...args: string[]) {
  const r = cli(...args, '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object');
  return JSON.parse(lines[0]!);
}

describe('descent train --json', () => {
  for (const args of [
    ['--problem', 'digits-mlp', '--optimizer', 'adam', '--epochs', '1', '--seed', '3'],
    ['--problem', 'sparse-logreg', '--optimizer', 'adagrad', '--lr', '0.1', '--epochs', '2'],
  ]) {
    test(`is deterministic: ${args.join(' ')}`, () => {
      const a = runJson(...args);
      const b = runJson(...args);
      assert.deepEqual(a.final, b.final);
      assert.deepEqual(a.steps.loss, b.steps.loss);
      assert.match(a.final.paramsHash, /^[0-9a-f]{16}$/);
      for (const key of Object.keys(a.final)) assert.doesNotMatch(key, /time|second|Ms$/i);
      assert.equal(a.steps.loss.length, a.stepsPerEpoch * a.config.epochs);
      assert.equal(a.epochs.testAccuracy.length, a.config.epochs);
      assert.equal(typeof a.final.testAccuracy, 'number');
      const c = runJson(...args.map((x) => (x === '3' ? '4' : x)), '--seed', '5');
      assert.notEqual(c.final.paramsHash, a.final.paramsHash, 'another seed, other parameters');
    });
  }

  test('a test function records its trajectory from the default start, one step per epoch', () => {
    const out = runJson(
      '--problem',
      'rosenbrock',
      '--optimizer',
      'nesterov',
      '--lr',
      '1e-4',
      '--epochs',
      '25',
    );
    assert.equal(out.steps.params.length, 25);
    assert.deepEqual(out.steps.params[0], rosenbrock.start);
    assert.equal(out.final.testAccuracy, null);
    assert.equal(out.final.steps, 25);
  });

  test('divergence is reported in the JSON, and the command still succeeds', () => {
    const out = runJson(
      '--problem',
      'rosenbrock',
      '--optimizer',
      'sgd',
      '--lr',
      '1',
      '--epochs',
      '50',
    );
    assert.equal(out.final.diverged, true);
    assert.ok(out.divergence.step < 50);
    assert.equal(out.final.trainLoss, null);
  });
});

const FASHION_FIXTURE = fileURLToPath(new URL('fixtures/fashion-mnist/', import.meta.url));
/** `base` in `dir`, gzipped or raw, as the loader looks for it; undefined when neither is there. */
const idxFile = (dir: string, base: string) =>
  [join(dir, base + '.gz'), join(dir, base)].find((p) => existsSync(p));
// The training images present count as installed: a partial install then fails, never skips.
const FULL_FASHION = idxFile(FASHION_MNIST_DIR, 'train-images-idx3-ubyte') !== undefined;

/** The record count in the header of the training images in `dir`, read here rather than typed. */
function trainCount(dir: string): number {
  const path = idxFile(dir, 'train-images-idx3-ubyte')!;
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).readUInt32BE(4);
}

describe('descent train on Fashion-MNIST', () => {
  test('trains on the fixture (--data test/fixtures/fashion-mnist)', () => {
    const n = trainCount(FASHION_FIXTURE);
    const out = runJson(
      '--problem',
      'fashion-logreg',
      '--optimizer',
      'adam',
      '--lr',
      '0.01',
      '--epochs',
      '3',
      '--batch-size',
      '60',
      '--data',
      FASHION_FIXTURE,
    );
    assert.equal(out.stepsPerEpoch, Math.ceil(n / 60));
    // The fixture's test split is small (its count is in its header), so three epochs rather than
    // one give the accuracy a margin over the bar the full set meets in one; chance is 0.1.
    assert.ok(out.final.testAccuracy > 0.5, `test accuracy ${out.final.testAccuracy}`);
    assert.ok(out.final.trainLoss < out.steps.loss[0], 'the training loss went down');
  });

  if (FULL_FASHION) {
    test(`reads Debian's full set in ${FASHION_MNIST_DIR} by default`, () => {
      const n = trainCount(FASHION_MNIST_DIR);
      const out = runJson(
        '--problem',
        'fashion-logreg',
        '--optimizer',
        'adam',
        '--lr',
        '0.01',
        '--epochs',
        '1',
        '--batch-size',
        '6000',
      );
      assert.equal(out.stepsPerEpoch, Math.ceil(n / 6000));
      assert.ok(out.final.testAccuracy > 0.5, `test accuracy ${out.final.testAccuracy}`);
    });
  } else {
    test(`Debian's full set: not installed in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`, (t) => {
      t.diagnostic(
        `Fashion-MNIST full set not installed in ${FASHION_MNIST_DIR}: only the fixture was trained on; ` +
          'apt-get install -y dataset-fashion-mnist tests the default directory too',
      );
      const r = cli('--problem', 'fashion-logreg', '--optimizer', 'adam');
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /apt-get install -y dataset-fashion-mnist/);
      assert.ok(r.stderr.includes(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte')), r.stderr);
    });
  }

  test('reads the four IDX files from --data DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-fashion-'));
    const idx = (dims: number[], data: number[]) => {
      const head = Buffer.alloc(4 + 4 * dims.length);
      head.writeUInt8(0x08, 2);
      head.writeUInt8(dims.length, 3);
      dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
      return Buffer.concat([head, Buffer.from(data)]);
    };
    const pixels = (n: number) => Array.from({ length: n * 4 }, (_, i) => (i * 37) % 256);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([6, 2, 2], pixels(6)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([6], [0, 1, 2, 0, 1, 2]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([2, 2, 2], pixels(2)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([2], [1, 2]));
    const out = runJson(
      '--problem',
      'fashion-logreg',
      '--optimizer',
      'sgd',
      '--data',
      dir,
      '--epochs',
      '2',
      '--batch-size',
      '4',
    );
    assert.equal(out.stepsPerEpoch, 2); // 6 samples in batches of 4
    assert.equal(out.steps.loss.length, 4);
    // Softmax regression from zero over 10 classes: the first loss is ln 10.
    assert.ok(Math.abs(out.steps.loss[0] - Math.log(10)) < 1e-12);
  });
});

describe('descent train: bad input gives one clear line and a non-zero exit', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'unknown problem',
      ['--problem', 'mnist', '--optimizer', 'adam'],
      /--problem: unknown problem "mnist"; known: digits-logreg, .*rosenbrock/,
    ],
    [
      'unknown optimizer',
      ['--problem', 'beale', '--optimizer', 'adamx'],
      /--optimizer: unknown optimizer "adamx"; known: sgd, /,
    ],
    [
      'bad --batch-size',
      ['--problem', 'beale', '--optimizer', 'adam', '--batch-size', 'half'],
      /--batch-size.*'half' is invalid.*'full' or an integer >= 1/,
    ],
    [
      'zero --batch-size',
      ['--problem', 'beale', '--optimizer', 'adam', '--batch-size', '0'],
      /--batch-size.*'0' is invalid/,
    ],
    [
      'bad --lr',
      ['--problem', 'beale', '--optimizer', 'adam', '--lr', '-0.1'],
      /--lr.*'-0.1' is invalid.*finite number > 0/,
    ],
    [
      'non-numeric --lr',
      ['--problem', 'beale', '--optimizer', 'adam', '--lr', 'fast'],
      /--lr.*'fast' is invalid/,
    ],
    [
      'bad --epochs',
      ['--problem', 'beale', '--optimizer', 'adam', '--epochs', '1.5'],
      /--epochs.*'1.5' is invalid.*integer >= 1/,
    ],
    [
      'bad --backend',
      ['--problem', 'digits-mlp', '--optimizer', 'adam', '--backend', 'gpu'],
      /--backend.*'gpu' is invalid/,
    ],
    [
      'missing Fashion-MNIST',
      ['--problem', 'fashion-logreg', '--optimizer', 'adam', '--data', '/nonexistent'],
      /apt-get install -y dataset-fashion-mnist/,
    ],
  ];
  for (const [label, args, message] of cases) {
    test(label, () => {
      const r = cli(...args);
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, message);
    });
  }
});
