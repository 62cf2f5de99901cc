import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync } from 'node:zlib';
import {
  FASHION_MNIST_DIR,
  loadDigits,
  loadFashionMnist,
  makeSparseLogreg,
  parseIdx,
} from '../packages/lab/src/lab/index.ts';
import type { Split } from '../packages/lab/src/lab/dataset.ts';

const DIGITS_FILE = fileURLToPath(new URL('../packages/lab/data/digits.csv.gz', import.meta.url));

describe('UCI digits (embedded)', () => {
  // The reference: the shipped file, read here independently of the lab's parser.
  const rows = gunzipSync(readFileSync(DIGITS_FILE))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number));

  test('is the shared data set, byte for byte', () => {
    const shared = '/work/shared/data/digits.csv.gz';
    let original: Buffer | null = null;
    try {
      original = readFileSync(shared);
    } catch {
      // shared/ sits beside the repository only on the team's machines and CI
    }
    if (original) assert.ok(original.equals(readFileSync(DIGITS_FILE)));
    assert.equal(rows.length, 1797);
  });

  test('the split: within each class every fifth row in file order is a test row', () => {
    const { train, test: tst } = loadDigits();
    const expectTrain: number[][] = [];
    const expectTest: number[][] = [];
    const seen = new Map<number, number>();
    for (const r of rows) {
      const k = seen.get(r[64]!) ?? 0;
      seen.set(r[64]!, k + 1);
      (k % 5 === 4 ? expectTest : expectTrain).push(r);
    }
    assert.equal(train.size + tst.size, 1797);
    for (const [set, expected] of [
      [train, expectTrain],
      [tst, expectTest],
    ] as const) {
      assert.equal(set.size, expected.length);
      assert.equal(set.features, 64);
      expected.forEach((r, i) => {
        assert.equal(set.y[i], r[64]);
        for (let j = 0; j < 64; j++) assert.equal(set.x[i * 64 + j], r[j]! / 16);
      });
    }
    const perClass = new Array<number>(10).fill(0);
    for (const y of tst.y) perClass[y]!++;
    for (const [c, n] of seen) assert.equal(perClass[c], Math.floor(n / 5));
  });
});

/** An IDX file of unsigned bytes with the given dimensions. */
function idx(dims: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt8(0x08, 2);
  head.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

const FASHION_FIXTURE = fileURLToPath(new URL('fixtures/fashion-mnist/', import.meta.url));
const FASHION_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
] as const;
// Any of Debian's files present counts as installed: a partial install then fails, never skips.
const FULL_FASHION = FASHION_FILES.some((b) =>
  [b, b + '.gz'].some((f) => existsSync(join(FASHION_MNIST_DIR, f))),
);

/** An IDX file read here independently of the lab's parser: its dimensions and its bytes. */
function rawIdx(dir: string, base: string): { dims: number[]; data: Buffer } {
  const gz = join(dir, base + '.gz');
  const b = existsSync(gz) ? gunzipSync(readFileSync(gz)) : readFileSync(join(dir, base));
  const dims = Array.from({ length: b[3]! }, (_, i) => b.readUInt32BE(4 + 4 * i));
  return { dims, data: b.subarray(4 + 4 * dims.length) };
}

/** Checks a loaded split against the raw files in `dir`: sizes from the headers, every label and pixel. */
function checkAgainstRaw(dir: string, split: Split): void {
  const [trainX, trainY, testX, testY] = FASHION_FILES.map((b) => rawIdx(dir, b));
  for (const [set, images, labels] of [
    [split.train, trainX!, trainY!],
    [split.test, testX!, testY!],
  ] as const) {
    assert.equal(set.size, images.dims[0]);
    assert.equal(labels.dims[0], images.dims[0]);
    assert.equal(set.features, images.dims[1]! * images.dims[2]!);
    assert.ok(Buffer.from(set.y).equals(labels.data), 'labels');
    assert.ok(
      set.y.every((y) => y < set.classes),
      `labels in [0, ${set.classes})`,
    );
    let differ = 0;
    for (let i = 0; i < images.data.length; i++) {
      if (set.x[i] !== Math.fround(images.data[i]! / 255)) differ++;
    }
    assert.equal(differ, 0, 'pixels / 255');
  }
}

describe('Fashion-MNIST loader', () => {
  test('reads the fixture (test/fixtures/fashion-mnist, a cut of the full set)', () => {
    const split = loadFashionMnist(FASHION_FIXTURE);
    checkAgainstRaw(FASHION_FIXTURE, split);
    assert.equal(split.train.classes, 10);
    // The cut is only useful for training if every class is in both splits.
    for (const set of [split.train, split.test]) {
      assert.equal(new Set(set.y).size, set.classes);
    }
  });

  if (FULL_FASHION) {
    test(`reads Debian's full set in ${FASHION_MNIST_DIR}, whose first records are the fixture`, () => {
      const full = loadFashionMnist();
      assert.equal(full.train.size, 60000);
      assert.equal(full.test.size, 10000);
      assert.equal(full.train.features, 784);
      // The data set's documentation: 6,000 training and 1,000 test images per class.
      for (const [set, per] of [
        [full.train, 6000],
        [full.test, 1000],
      ] as const) {
        const counts = new Array<number>(10).fill(0);
        for (const y of set.y) counts[y]!++;
        assert.deepEqual(counts, new Array(10).fill(per));
      }
      checkAgainstRaw(FASHION_MNIST_DIR, full);
      const cut = loadFashionMnist(FASHION_FIXTURE);
      for (const [part, whole] of [
        [cut.train, full.train],
        [cut.test, full.test],
      ] as const) {
        assert.deepEqual(part.y, whole.y.subarray(0, part.size));
        assert.deepEqual(part.x, whole.x.subarray(0, part.x.length));
      }
    });
  } else {
    test(`Debian's full set: not installed in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`, (t) => {
      t.diagnostic(
        `Fashion-MNIST full set not installed in ${FASHION_MNIST_DIR}: only the fixture was read; ` +
          'apt-get install -y dataset-fashion-mnist tests the full set too',
      );
      assert.throws(
        () => loadFashionMnist(),
        (e: Error) =>
          e.message.includes(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte')) &&
          /apt-get install -y dataset-fashion-mnist/.test(e.message),
      );
    });
  }

  test('reads raw and gzipped IDX files from any directory (--data)', () => {
    for (const gz of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'descent-idx-'));
      const write = (name: string, buf: Buffer) =>
        writeFileSync(join(dir, name + (gz ? '.gz' : '')), gz ? gzipSync(buf) : buf);
      write('train-images-idx3-ubyte', idx([3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]));
      write('train-labels-idx1-ubyte', idx([3], [9, 0, 4]));
      write('t10k-images-idx3-ubyte', idx([1, 2, 2], [255, 0, 0, 255]));
      write('t10k-labels-idx1-ubyte', idx([1], [7]));
      const { train, test: tst } = loadFashionMnist(dir);
      assert.deepEqual([train.size, train.features, tst.size], [3, 4, 1]);
      assert.deepEqual(Array.from(train.y), [9, 0, 4]);
      assert.deepEqual(Array.from(train.x.subarray(0, 4)), [0, 1, 0.2, 0.4].map(Math.fround));
      assert.deepEqual(Array.from(tst.y), [7]);
    }
  });

  test('a missing directory says how to install the data', () => {
    assert.throws(
      () => loadFashionMnist('/nonexistent/fashion'),
      (e: Error) =>
        /apt-get install -y dataset-fashion-mnist/.test(e.message) &&
        /--data DIR/.test(e.message) &&
        /\/nonexistent\/fashion\/train-images-idx3-ubyte/.test(e.message),
    );
  });

  test('malformed IDX data is refused with the reason', () => {
    assert.throws(() => parseIdx(Buffer.from([1, 2, 3, 4])), /bad magic number/);
    assert.throws(() => parseIdx(Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 0])), /type 0xd/);
    assert.throws(() => parseIdx(idx([4], [1, 2])), /header says 4 = 4 bytes of data, file has 2/);
  });
});

describe('synthetic sparse logistic regression', () => {
  test('is determined by its seed', () => {
    const a = makeSparseLogreg({ seed: 5 });
    const b = makeSparseLogreg({ seed: 5 });
    const c = makeSparseLogreg({ seed: 6 });
    assert.deepEqual(a.train.col, b.train.col);
    assert.deepEqual(a.train.y, b.train.y);
    assert.deepEqual(a.weights, b.weights);
    assert.notDeepEqual(a.train.col, c.train.col);
  });

  test('feature frequencies follow the Zipf law; rare features carry larger weights', () => {
    const features = 1000;
    const draws = 10;
    const size = 20000;
    const s = 1.1;
    const p = makeSparseLogreg({ trainSize: size, testSize: 1, features, draws, zipf: s, seed: 1 });
    const H = Array.from({ length: features }, (_, j) => (j + 1) ** -s).reduce((x, y) => x + y);
    const occurrences = new Array<number>(features).fill(0);
    for (let k = 0; k < p.train.col.length; k++) occurrences[p.train.col[k]!]! += p.train.val[k]!;
    // Each of size·draws draws hits feature j with probability (j+1)^-s / H: binomial counts.
    for (const j of [0, 1, 4, 9, 99]) {
      const n = size * draws;
      const q = (j + 1) ** -s / H;
      const sd = Math.sqrt(n * q * (1 - q));
      assert.ok(Math.abs(occurrences[j]! - n * q) < 5 * sd, `feature ${j}: ${occurrences[j]}`);
    }
    // E|w_j| = σ_j·sqrt(2/π), σ_j = 4·sqrt((j+1)/features): compare the rarest and most
    // frequent tenths.
    const meanAbs = (from: number, to: number) =>
      Array.from(p.weights.subarray(from, to)).reduce((x, w) => x + Math.abs(w), 0) / (to - from);
    assert.ok(meanAbs(900, 1000) > 3 * meanAbs(0, 100));
    assert.ok(p.train.rowPtr[size]! <= size * draws);
    assert.ok(p.train.y.some((y) => y === 1) && p.train.y.some((y) => y === 0));
  });

  test('bad options name the option and the allowed range', () => {
    assert.throws(
      () => makeSparseLogreg({ features: 0 }),
      /features must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => makeSparseLogreg({ zipf: -1 }),
      /zipf must be a finite number >= 0, got -1/,
    );
  });
});
