import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bootstrapMeanInterval,
  pairedInterval,
} from '../packages/lab/src/lab/compare/bootstrap.ts';

/**
 * The percentile interval from every one of the n^n ordered resamples, each of probability
 * n^-n: an independent brute force of the definition.
 */
function bruteForce(d: number[], level = 0.95): [number, number] {
  const n = d.length;
  const means: number[] = [];
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < n ** n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[idx[i]!]!;
    means.push(s / n);
    for (let i = 0; i < n && ++idx[i]! === n; i++) idx[i] = 0;
  }
  means.sort((a, b) => a - b);
  const at = (q: number) => means[Math.max(0, Math.ceil(q * means.length - 1e-9) - 1)]!;
  return [at((1 - level) / 2), at((1 + level) / 2)];
}

describe('bootstrap interval of a mean', () => {
  const cases: [string, number[]][] = [
    ['two seeds', [0.3, -1.2]],
    ['three seeds', [1.41, 1.25, 2.63]],
    ['three seeds, mixed signs', [-0.5, 0.2, 0.9]],
    ['four seeds', [0.1, 0.4, -0.3, 2]],
    ['five seeds with a repeat', [1, 1, 2, 3, -4]],
  ];
  for (const [what, d] of cases) {
    test(`${what}: exact enumeration equals the n^n brute force`, () => {
      const [lo, hi] = bootstrapMeanInterval(d);
      const [blo, bhi] = bruteForce(d);
      assert.ok(Math.abs(lo - blo) < 1e-12, `${lo} vs ${blo}`);
      assert.ok(Math.abs(hi - bhi) < 1e-12, `${hi} vs ${bhi}`);
    });
  }

  test('up to three seeds the 95% interval is the range of the differences', () => {
    for (const d of [[2], [3, -1], [0.2, 0.9, 0.5]]) {
      assert.deepEqual(bootstrapMeanInterval(d), [Math.min(...d), Math.max(...d)]);
    }
  });

  test('many seeds (drawn, from a fixed seed): inside the range, reproducible, near the exact', () => {
    const d = [0.3, -0.1, 0.8, 0.5, 0.2, 0.6, -0.4, 0.9, 0.1, 0.35];
    const a = bootstrapMeanInterval(d);
    assert.deepEqual(bootstrapMeanInterval(d), a);
    assert.ok(a[0] > Math.min(...d) && a[1] < Math.max(...d));
    // The normal approximation mean ± 1.96 sd/√n is close for n = 10 (sd with 1/n).
    const m = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / d.length);
    const half = (1.96 * sd) / Math.sqrt(d.length);
    assert.ok(Math.abs(a[0] - (m - half)) < 0.05 && Math.abs(a[1] - (m + half)) < 0.05, `${a}`);
  });

  test('refuses empty or non-finite input and a bad level', () => {
    assert.throws(() => bootstrapMeanInterval([]), /at least one finite number/);
    assert.throws(() => bootstrapMeanInterval([1, NaN]), /at least one finite number/);
    assert.throws(() => bootstrapMeanInterval([1], 1), /level must be in \(0, 1\), got 1/);
  });
});

describe('paired interval', () => {
  const cases: [string, number[], number[], { log: boolean; separated: boolean }][] = [
    [
      'behind on every seed (ratios 3.5 to 14)',
      [0.385, 0.328, 1.42],
      [0.094, 0.094, 0.102],
      { log: true, separated: true },
    ],
    ['ahead on one seed', [0.12, 0.35, 0.26], [0.1, 0.4, 0.2], { log: true, separated: false }],
    ['identical', [1, 2, 3], [1, 2, 3], { log: true, separated: false }],
    ['a zero score: compared raw', [0, 1, 2], [1, 2, 3], { log: false, separated: true }],
  ];
  for (const [what, a, b, want] of cases) {
    test(what, () => {
      const iv = pairedInterval(a, b);
      assert.equal(iv.log, want.log);
      assert.equal(iv.separated, want.separated);
      const d = a.map((x, i) => (want.log ? Math.log(x / b[i]!) : x - b[i]!));
      assert.ok(
        Math.abs(iv.low - Math.min(...d)) < 1e-12 && Math.abs(iv.high - Math.max(...d)) < 1e-12,
      );
    });
  }
});
