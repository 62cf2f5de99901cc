import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  averageRanks,
  chiSquareSf,
  friedmanTest,
  holm,
  nemenyiCriticalDifference,
  pairedTTest,
  performanceProfile,
  regularizedIncompleteBeta,
  studentizedRangeQuantile,
  studentTCdf,
} from '../src/lab/compare/stats.ts';

function close(actual: number, expected: number, tol: number, label = '') {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${label} expected ${expected} ± ${tol}, got ${actual} (off by ${Math.abs(actual - expected)})`,
  );
}

/** A small deterministic generator (xorshift32) for the brute-force cross-checks. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

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

describe('regularizedIncompleteBeta', () => {
  const xs = [0, 1e-6, 0.05, 0.3, 0.5, 0.77, 0.999, 1];
  const shapes = [0.5, 1, 2.5, 7, 30];

  test('closed forms: I_x(1,1) = x, I_x(a,1) = x^a, I_x(1,b) = 1 - (1-x)^b', () => {
    for (const x of xs) {
      close(regularizedIncompleteBeta(x, 1, 1), x, 1e-14, `I_${x}(1,1)`);
      for (const s of shapes) {
        close(regularizedIncompleteBeta(x, s, 1), x ** s, 1e-13, `I_${x}(${s},1)`);
        close(regularizedIncompleteBeta(x, 1, s), 1 - (1 - x) ** s, 1e-13, `I_${x}(1,${s})`);
      }
    }
  });

  test('symmetry I_x(a,b) = 1 - I_{1-x}(b,a)', () => {
    for (const x of xs) {
      for (const a of shapes) {
        for (const b of shapes) {
          const lhs = regularizedIncompleteBeta(x, a, b);
          const rhs = 1 - regularizedIncompleteBeta(1 - x, b, a);
          close(lhs, rhs, 1e-13, `x=${x} a=${a} b=${b}`);
        }
      }
    }
  });

  test('integer a, b: the binomial tail Σ_{j>=a} C(a+b-1, j) x^j (1-x)^(a+b-1-j)', () => {
    const choose = (n: number, r: number) => {
      let c = 1;
      for (let i = 1; i <= r; i++) c = (c * (n - r + i)) / i;
      return c;
    };
    for (const x of [0.1, 0.35, 0.5, 0.8]) {
      for (const [a, b] of [
        [2, 3],
        [5, 5],
        [3, 12],
        [15, 4],
      ]) {
        const n = a + b - 1;
        let tail = 0;
        for (let j = a; j <= n; j++) tail += choose(n, j) * x ** j * (1 - x) ** (n - j);
        close(regularizedIncompleteBeta(x, a, b), tail, 1e-13, `x=${x} a=${a} b=${b}`);
      }
    }
  });

  test('refuses x outside [0, 1] and non-positive shapes', () => {
    assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), {
      name: 'RangeError',
      message: 'regularizedIncompleteBeta: x must be in [0, 1], got 1.5',
    });
    assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), /a must be finite and > 0, got 0/);
    assert.throws(() => regularizedIncompleteBeta(0.5, 1, NaN), /b must be finite and > 0/);
  });
});

/** Two-sided 5% critical values t_{0.975, df} from a standard t table (3 decimals). */
const T_TABLE: [df: number, t: number][] = [
  [1, 12.706],
  [2, 4.303],
  [3, 3.182],
  [4, 2.776],
  [5, 2.571],
  [10, 2.228],
  [30, 2.042],
];
// The table rounds t to within 5e-4, which moves the CDF by at most 5e-4 times the t density
// there; that density is below 0.06 at all these points (it is below the normal's φ(1.96) ≈ 0.058
// and highest for df = 30, about 0.052), so the CDF must be within 5e-4 · 0.06 = 3e-5 of 0.975.
const T_TABLE_TOL = 3e-5;

describe('studentTCdf', () => {
  for (const [df, t] of T_TABLE) {
    test(`t table: CDF(${t}; df ${df}) = 0.975`, () => {
      close(studentTCdf(t, df), 0.975, T_TABLE_TOL);
      close(studentTCdf(-t, df), 0.025, T_TABLE_TOL);
    });
  }

  test('df = 1 is the Cauchy distribution: 1/2 + atan(t)/π', () => {
    for (const t of [-50, -3, -1, -0.2, 0, 1e-8, 0.5, 1, 2, 7, 1e3]) {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-10, `t=${t}`);
    }
  });

  test('df = 2 has the closed form 1/2 + t / (2√(2 + t²))', () => {
    for (const t of [-6, -1, 0, 0.3, 2, 10]) {
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `t=${t}`);
    }
  });

  test('df = Infinity is the normal: Φ(1.959964) = 0.975 (z table, 6 decimals)', () => {
    // Rounding z by 5e-7 moves Φ by 5e-7 · φ(1.96) < 3e-8.
    close(studentTCdf(1.959964, Infinity), 0.975, 3e-8);
  });

  test('infinite t, and df must be positive', () => {
    assert.equal(studentTCdf(Infinity, 3), 1);
    assert.equal(studentTCdf(-Infinity, 3), 0);
    assert.throws(() => studentTCdf(1, 0), {
      name: 'RangeError',
      message: 'studentTCdf: df must be > 0, got 0',
    });
  });
});

describe('pairedTTest', () => {
  test('t and meanDiff match the definition on random data; p = 2 CDF(-|t|)', () => {
    const next = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 2 + Math.floor(next() * 15);
      const a = Array.from({ length: n }, () => next() * 10);
      const b = a.map((x) => x - 0.5 + next() * (1 + (trial % 3)));
      const d = a.map((x, i) => x - b[i]);
      const mean = d.reduce((s, x) => s + x, 0) / n;
      const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
      const t = mean / (sd / Math.sqrt(n));
      const r = pairedTTest(a, b);
      assert.equal(r.n, n);
      close(r.meanDiff, mean, 1e-12);
      close(r.t, t, 1e-9 * Math.max(1, Math.abs(t)));
      close(r.p, 2 * studentTCdf(-Math.abs(t), n - 1), 1e-12);
    }
  });

  // Differences m + e_i with e_i evenly spaced, mean 0 and sample sd 1 give t = m√n exactly, so
  // m = t_table / √n must give p = 0.05 up to twice the one-sided table tolerance.
  for (const [df, tCrit] of T_TABLE) {
    test(`data built to have t = ${tCrit} on ${df + 1} pairs gives p = 0.05`, () => {
      const n = df + 1;
      const raw = Array.from({ length: n }, (_, i) => i - (n - 1) / 2);
      const scale = Math.sqrt(raw.reduce((s, x) => s + x * x, 0) / (n - 1));
      const m = tCrit / Math.sqrt(n);
      const a = raw.map((e) => 3 + m + e / scale);
      const b = raw.map(() => 3);
      const r = pairedTTest(a, b);
      close(r.t, tCrit, 1e-9);
      close(r.p, 0.05, 2 * T_TABLE_TOL);
    });
  }

  test('n = 2 is Cauchy: p = 1 - 2 atan(|t|)/π', () => {
    const r = pairedTTest([5, 2], [0, 0]); // d = (5, 2): t = 7 / 3
    close(r.t, 7 / 3, 1e-12);
    close(r.p, 1 - (2 * Math.atan(7 / 3)) / Math.PI, 1e-10);
  });

  test('zero spread: p = 1 when a = b, p = 0 and t = ±∞ otherwise', () => {
    assert.deepEqual(pairedTTest([1, 2, 3], [1, 2, 3]), { n: 3, meanDiff: 0, t: 0, p: 1 });
    const up = pairedTTest([0.3, 0.3, 0.3], [0.2, 0.2, 0.2]);
    assert.equal(up.t, Infinity);
    assert.equal(up.p, 0);
    const down = pairedTTest([0, 0], [4, 4]);
    assert.deepEqual(down, { n: 2, meanDiff: -4, t: -Infinity, p: 0 });
  });

  test('refuses mismatched, short or non-finite input', () => {
    assert.throws(() => pairedTTest([1, 2], [1]), {
      name: 'RangeError',
      message: 'pairedTTest: a and b must have the same length, got 2 and 1',
    });
    assert.throws(() => pairedTTest([1], [2]), /needs at least 2 pairs, got 1/);
    assert.throws(() => pairedTTest([1, NaN], [2, 3]), /a\[1\] must be finite, got NaN/);
    assert.throws(() => pairedTTest([1, 2], [Infinity, 3]), /b\[0\] must be finite, got Infinity/);
  });
});

describe('holm', () => {
  // By hand from the definition, m = 4: sorted p = 0.005, 0.01, 0.03, 0.04 get multipliers
  // 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04; the running maximum makes the last 0.06.
  // Second case, m = 3: 0.2·3 = 0.6, 0.7·2 = 1.4 -> capped at 1, 0.9·1 = 0.9 -> running max 1.
  const cases: { p: number[]; adjusted: number[] }[] = [
    { p: [0.01, 0.04, 0.03, 0.005], adjusted: [0.03, 0.06, 0.06, 0.02] },
    { p: [0.7, 0.9, 0.2], adjusted: [1, 1, 0.6] },
    { p: [0.04], adjusted: [0.04] },
    { p: [], adjusted: [] },
  ];
  for (const c of cases) {
    test(`[${c.p.join(', ')}]`, () => {
      const got = holm(c.p);
      assert.equal(got.length, c.adjusted.length);
      got.forEach((x, i) => close(x, c.adjusted[i], 1e-15));
    });
  }

  test('matches min(1, max over p_j <= p_i of (m - #{l : p_l < p_j}) p_j), ties included', () => {
    const next = rng(3);
    for (let trial = 0; trial < 30; trial++) {
      const m = 1 + Math.floor(next() * 10);
      const p = Array.from({ length: m }, () => Math.round(next() * 20) / 40);
      const expected = p.map((pi) => {
        let best = 0;
        for (const pj of p) {
          if (pj > pi) continue;
          const smaller = p.filter((pl) => pl < pj).length;
          best = Math.max(best, (m - smaller) * pj);
        }
        return Math.min(1, best);
      });
      assert.deepEqual(holm(p), expected);
    }
  });

  test('refuses values outside [0, 1]', () => {
    assert.throws(() => holm([0.1, 1.2]), {
      name: 'RangeError',
      message: 'holm: pValues[1] must be in [0, 1], got 1.2',
    });
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
