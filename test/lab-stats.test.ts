import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  averageRanks,
  chiSquareSf,
  friedmanTest,
  nemenyiCriticalDifference,
  performanceProfile,
  studentizedRangeQuantile,
} from '../packages/lab/src/lab/compare/stats.ts';
import { mulberry32 } from './helpers/rng.ts';

function close(actual: number, expected: number, tol: number, label = '') {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${label} expected ${expected} ± ${tol}, got ${actual} (off by ${Math.abs(actual - expected)})`,
  );
}

/** The tests' seeded generator, for the brute-force cross-checks. */
const rng = mulberry32;

describe('averageRanks', () => {
  const cases: { name: string; keys: number[][]; ranks: number[] }[] = [
    { name: 'ties share the mean position', keys: [[1], [0], [1], [2]], ranks: [2.5, 1, 2.5, 4] },
    { name: 'no ties', keys: [[3], [1], [2]], ranks: [3, 1, 2] },
    { name: 'all tied', keys: [[5], [5], [5]], ranks: [2, 2, 2] },
    { name: 'Infinity equals Infinity', keys: [[Infinity], [1], [Infinity]], ranks: [2.5, 1, 2.5] },
    {
      name: 'NaN is worst and equals NaN',
      keys: [[NaN], [Infinity], [NaN], [-Infinity]],
      ranks: [3.5, 2, 3.5, 1],
    },
    {
      name: 'second component breaks ties of the first',
      keys: [
        [1, 5],
        [1, 2],
        [0, 9],
        [1, 2],
      ],
      ranks: [4, 2.5, 1, 2.5],
    },
    { name: 'empty', keys: [], ranks: [] },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(averageRanks(c.keys), c.ranks));
  }

  test('matches rank = #better + (#equal + 1) / 2 on random tuples with many ties', () => {
    const next = rng(7);
    const pick = [0, 1, 2, Infinity, NaN];
    const less = (x: number, y: number) =>
      Number.isNaN(x) ? false : Number.isNaN(y) ? true : x < y;
    const same = (x: number, y: number) => (Number.isNaN(x) ? Number.isNaN(y) : x === y);
    for (let trial = 0; trial < 50; trial++) {
      const keys = Array.from({ length: 1 + Math.floor(next() * 12) }, () => [
        pick[Math.floor(next() * pick.length)],
        pick[Math.floor(next() * 3)],
      ]);
      const better = (u: number[], v: number[]) =>
        less(u[0], v[0]) || (same(u[0], v[0]) && less(u[1], v[1]));
      const equal = (u: number[], v: number[]) => same(u[0], v[0]) && same(u[1], v[1]);
      const expected = keys.map(
        (v) =>
          keys.filter((u) => better(u, v)).length +
          (keys.filter((u) => equal(u, v)).length + 1) / 2,
      );
      assert.deepEqual(averageRanks(keys), expected);
    }
  });
});

describe('studentized range and the Nemenyi critical difference', () => {
  // Demšar 2006, Table 5(a): q_α = q_{1-α; k, ∞} / √2 for the Nemenyi test, k = 2..10. The entries
  // look like 3-decimal studentized range values divided by √2 and rounded again (k = 3: 3.314/√2
  // = 2.3433 is printed 2.343, though q itself is 3.3145, i.e. 2.3437), so each may be off by
  // 5e-4/√2 + 5e-4 < 8.6e-4; hence 1e-3 rather than the 5e-4 of a single rounding.
  const DEMSAR_Q05 = [1.96, 2.343, 2.569, 2.728, 2.85, 2.949, 3.031, 3.102, 3.164];
  const DEMSAR_Q10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.78, 2.855, 2.92];
  for (const [alpha, row] of [
    [0.05, DEMSAR_Q05],
    [0.1, DEMSAR_Q10],
  ] as const) {
    test(`Demšar Table 5(a), α = ${alpha}`, () => {
      row.forEach((q, i) => {
        const k = i + 2;
        close(studentizedRangeQuantile(k, 1 - alpha) / Math.SQRT2, q, 1e-3, `k=${k}`);
      });
    });
  }

  test('k = 2: the range is √2 |Z|, so q/√2 = Φ^{-1}(1 - α/2)', () => {
    // z table values to 6 decimals.
    close(studentizedRangeQuantile(2, 0.95) / Math.SQRT2, 1.959964, 1e-5);
    close(studentizedRangeQuantile(2, 0.9) / Math.SQRT2, 1.644854, 1e-5);
    close(studentizedRangeQuantile(2, 0.99) / Math.SQRT2, 2.575829, 1e-5);
  });

  test('CD = q_α √(k(k+1)/(6n))', () => {
    // Demšar 2006 §3.2.2 works k = 4 classifiers on n = 14 data sets: CD = 2.569 √(20/84) = 1.25,
    // printed to 2 decimals, hence the 5e-3.
    close(nemenyiCriticalDifference(4, 14), 1.25, 5e-3);
    const q = studentizedRangeQuantile(5, 0.9) / Math.SQRT2;
    close(nemenyiCriticalDifference(5, 20, 0.1), q * Math.sqrt(30 / 120), 1e-12);
  });

  test('refuses bad k, n, alpha, p', () => {
    assert.throws(() => nemenyiCriticalDifference(1, 10), {
      name: 'RangeError',
      message: 'nemenyiCriticalDifference: k must be an integer >= 2, got 1',
    });
    assert.throws(() => nemenyiCriticalDifference(3.5, 10), /k must be an integer >= 2, got 3.5/);
    assert.throws(() => nemenyiCriticalDifference(3, 0), /n must be an integer >= 1, got 0/);
    assert.throws(() => nemenyiCriticalDifference(3, 5, 1), /alpha must be in \(0, 1\), got 1/);
    assert.throws(() => studentizedRangeQuantile(3, 0), /p must be in \(0, 1\), got 0/);
  });
});

describe('chiSquareSf', () => {
  test('df = 2 is exp(-x/2)', () => {
    for (const x of [0, 0.01, 0.5, 2, 3.9, 10, 40]) {
      close(chiSquareSf(x, 2), Math.exp(-x / 2), 1e-14, `x=${x}`);
    }
  });

  test('even df = 2m: e^{-x/2} Σ_{j<m} (x/2)^j / j!', () => {
    for (const m of [2, 3, 6, 15]) {
      for (const x of [0.3, 4, 11, 30, 70]) {
        let term = 1;
        let sum = 0;
        for (let j = 0; j < m; j++) {
          sum += term;
          term *= x / 2 / (j + 1);
        }
        close(chiSquareSf(x, 2 * m), Math.exp(-x / 2) * sum, 1e-13, `df=${2 * m} x=${x}`);
      }
    }
  });

  // χ²_{0.95} from a standard table, 3 decimals: a rounding of 5e-4 moves the tail by at most
  // 5e-4 times the chi-square density there, which is below 0.03 at these three points, so 1.5e-5.
  const table: [df: number, x: number][] = [
    [1, 3.841],
    [5, 11.07],
    [10, 18.307],
  ];
  for (const [df, x] of table) {
    test(`table: P(χ²_${df} > ${x}) = 0.05`, () => close(chiSquareSf(x, df), 0.05, 1.5e-5));
  }

  test('edges and refusals', () => {
    assert.equal(chiSquareSf(-1, 3), 1);
    assert.equal(chiSquareSf(Infinity, 3), 0);
    assert.throws(() => chiSquareSf(1, 0), {
      name: 'RangeError',
      message: 'chiSquareSf: df must be finite and > 0, got 0',
    });
  });
});

describe('friedmanTest', () => {
  test('every problem ranks the optimizers alike: χ² = N(k-1)', () => {
    for (const [n, k] of [
      [5, 4],
      [10, 3],
      [3, 7],
    ]) {
      const ranks = Array.from({ length: n }, () => Array.from({ length: k }, (_, j) => j + 1));
      const r = friedmanTest(ranks);
      close(r.chi2, n * (k - 1), 1e-12);
      assert.equal(r.df, k - 1);
      close(r.p, chiSquareSf(n * (k - 1), k - 1), 1e-15);
    }
  });

  test('all ranks equal: χ² = 0, p = 1', () => {
    const r = friedmanTest([
      [2, 2, 2],
      [2, 2, 2],
    ]);
    assert.deepEqual(r, { chi2: 0, df: 2, p: 1 });
  });

  test('matches the rank-sum form 12/(Nk(k+1)) Σ S_j² - 3N(k+1) on random tied data', () => {
    const next = rng(5);
    for (let trial = 0; trial < 10; trial++) {
      const n = 2 + Math.floor(next() * 10);
      const k = 2 + Math.floor(next() * 6);
      const ranks = Array.from({ length: n }, () =>
        averageRanks(Array.from({ length: k }, () => [Math.floor(next() * 3)])),
      );
      const sums = Array.from({ length: k }, (_, j) => ranks.reduce((s, row) => s + row[j], 0));
      const expected =
        (12 / (n * k * (k + 1))) * sums.reduce((s, x) => s + x * x, 0) - 3 * n * (k + 1);
      close(friedmanTest(ranks).chi2, Math.max(0, expected), 1e-9);
    }
  });

  test('refuses ragged or too-small input', () => {
    assert.throws(() => friedmanTest([]), /needs at least 1 problem, got 0/);
    assert.throws(() => friedmanTest([[1]]), /needs at least 2 optimizers per problem, got 1/);
    assert.throws(() => friedmanTest([[1, 2], [1]]), {
      name: 'RangeError',
      message: 'friedmanTest: ranks[1] must have 2 entries like ranks[0], got 1',
    });
  });
});

describe('performanceProfile', () => {
  const cases: {
    name: string;
    costs: number[][];
    taus: number[];
    rho: number[][];
  }[] = [
    {
      // Ratios: problem 0 (1, 2), problem 1 (3, 1), problem 2 (1, 1), problem 3 (1, ∞).
      name: 'wins, ties and a failure',
      costs: [
        [1, 2],
        [6, 2],
        [5, 5],
        [4, Infinity],
      ],
      taus: [1, 2, 3, Infinity],
      rho: [
        [3 / 4, 3 / 4, 1, 1],
        [2 / 4, 3 / 4, 3 / 4, 3 / 4],
      ],
    },
    {
      name: 'a problem every solver failed counts for none',
      costs: [
        [Infinity, Infinity],
        [1, 4],
      ],
      taus: [1, 4, 1e9],
      rho: [
        [1 / 2, 1 / 2, 1 / 2],
        [0, 1 / 2, 1 / 2],
      ],
    },
    {
      name: 'a best cost of 0: ratio 1 for 0, ∞ for anything else',
      costs: [
        [0, 0, 3],
        [2, 1, 1],
      ],
      taus: [1, 2, 1e9, Infinity],
      rho: [
        [1 / 2, 1, 1, 1],
        [1, 1, 1, 1],
        [1 / 2, 1 / 2, 1 / 2, 1],
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(performanceProfile(c.costs, c.taus), c.rho));
  }

  test('refuses negative or NaN costs and ragged rows', () => {
    assert.throws(() => performanceProfile([[1, -1]], [1]), {
      name: 'RangeError',
      message: 'performanceProfile: costs[0][1] must be >= 0 or Infinity, got -1',
    });
    assert.throws(() => performanceProfile([[NaN]], [1]), /costs\[0\]\[0\]/);
    assert.throws(() => performanceProfile([[1, 2], [1]], [1]), /costs\[1\] must have 2 entries/);
    assert.throws(() => performanceProfile([], [1]), /needs at least 1 problem, got 0/);
  });
});
