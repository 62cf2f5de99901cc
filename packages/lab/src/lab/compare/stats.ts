/**
 * Statistics for comparing optimizers across problems: ranks, the Friedman test with the Nemenyi
 * critical difference, and performance profiles (the per-problem comparison over seeds is the
 * bootstrap of bootstrap.ts).
 *
 * Pure functions in float64 with no dependencies, so they run in the browser and in Node alike.
 * The special functions (log-gamma, the incomplete gamma, erfc) are evaluated here rather than
 * imported; each is accurate to about 1e-13 in the ranges these tests use.
 */

const EPS = 1e-15;
/** Stand-in for zero in Lentz's method, so a vanishing partial denominator cannot divide by 0. */
const TINY = 1e-300;
const MAX_ITER = 10_000;
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function fail(owner: string, what: string, got: unknown): never {
  throw new RangeError(`${owner}: ${what}, got ${String(got)}`);
}

// ---------------------------------------------------------------------------------------------
// Ranks
// ---------------------------------------------------------------------------------------------

/** NaN sorts last and equals NaN, so a diverged run ranks below every finite or infinite one. */
function compareNumbers(x: number, y: number): number {
  const xNaN = Number.isNaN(x);
  const yNaN = Number.isNaN(y);
  if (xNaN || yNaN) return xNaN === yNaN ? 0 : xNaN ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareKeys(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compareNumbers(x[i], y[i]);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/**
 * Fractional ("mid") ranks, 1 = best, of items keyed by tuples compared lexicographically (smaller
 * is better; NaN is worse than anything, a proper prefix comes first). Items with equal tuples
 * share the mean of the positions they occupy, as in the Friedman test (Demšar 2006, §3.2.2).
 *
 * @example averageRanks([[1], [0], [1], [2]]) // [2.5, 1, 2.5, 4]
 */
export function averageRanks(keys: readonly (readonly number[])[]): number[] {
  const order = keys.map((_, i) => i).sort((i, j) => compareKeys(keys[i], keys[j]));
  const ranks = new Array<number>(keys.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && compareKeys(keys[order[start]], keys[order[end]]) === 0) end++;
    // Positions start+1 .. end (1-based) are tied; their mean is the midpoint.
    const mid = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]] = mid;
    start = end;
  }
  return ranks;
}

// ---------------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------------

/** Lanczos coefficients for g = 7, n = 9 (Godfrey's set), good to ~1e-15 for Re z >= 1/2. */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 by the Lanczos approximation, with the reflection formula below 1/2. */
function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (x + i);
  const t = x + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * b0 + a1/(b1 + a2/(b2 + ...)) by the modified Lentz method (Thompson & Barnett 1986), which
 * needs no guess of the depth: it multiplies in one convergent ratio per term until it is 1.
 */
function continuedFraction(b0: number, a: (j: number) => number, b: (j: number) => number): number {
  let f = b0 === 0 ? TINY : b0;
  let c = f;
  let d = 0;
  for (let j = 1; j <= MAX_ITER; j++) {
    const aj = a(j);
    const bj = b(j);
    d = bj + aj * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = bj + aj / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) return f;
  }
  return f;
}

/**
 * Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function: the power series of
 * P = 1 - Q below x = a + 1 (A&S 6.5.29), the continued fraction of Q above it (A&S 6.5.31),
 * each on the side where it converges quickly and without cancellation.
 */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  const logFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // P(a, x) = e^-x x^a / Γ(a+1) · Σ_n x^n / ((a+1)...(a+n)).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n <= MAX_ITER; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * EPS) break;
    }
    return 1 - sum * Math.exp(logFront);
  }
  // Q(a, x) = e^-x x^a / Γ(a) · 1/(x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...))).
  const g = continuedFraction(
    x + 1 - a,
    (j) => -j * (j - a),
    (j) => x + 2 * j + 1 - a,
  );
  return Math.exp(logFront) / g;
}

/**
 * The complementary error function. Below 3 it is 1 - erf with erf from its all-positive series
 * 2/√π e^{-x²} Σ 2^n x^{2n+1} / (1·3···(2n+1)) (A&S 7.1.6), which has no cancellation; above 3,
 * where that subtraction would cost relative digits, the Laplace continued fraction (A&S 7.1.14).
 */
function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n <= MAX_ITER; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
      if (term < sum * EPS) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  if (x > 27) return 0; // e^{-x²} underflows
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  const g = continuedFraction(
    x,
    (j) => j / 2,
    () => x,
  );
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * g);
}

/** Φ(x), the standard normal CDF. */
function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

// ---------------------------------------------------------------------------------------------
// Studentized range, Nemenyi and Friedman
// ---------------------------------------------------------------------------------------------

/**
 * Simpson's rule on [-8, 8]: the normal density outside holds under 1e-15 of the mass. The
 * integrand is smooth and decays like a Gaussian, so the rule converges far faster than h^4: at
 * h = 0.05 the quantiles for k up to 200 agree with h = 0.01 to the 1e-10 of the bisection.
 */
const RANGE_LIMIT = 8;
const RANGE_INTERVALS = 320;

/**
 * P(W <= w) for the range W of k iid standard normals, k ∫ φ(x) [Φ(x+w) - Φ(x)]^(k-1) dx, with
 * Φ(x) and its upper tail at the nodes precomputed by the caller.
 */
function rangeCdf(
  k: number,
  w: number,
  nodes: Float64Array,
  weights: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): number {
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) {
    const x = nodes[i];
    const y = x + w;
    // Φ(y) - Φ(x) from the upper tails when x > 0, so the difference of two numbers near 1 does
    // not lose its digits.
    const mass = x > 0 ? upper[i] - normalCdf(-y) : normalCdf(y) - lower[i];
    sum += weights[i] * mass ** (k - 1);
  }
  return Math.min(1, k * sum);
}

/**
 * The p-quantile of the range of k iid standard normals: the studentized range q_{p; k, ∞} with
 * infinite degrees of freedom. Its CDF k ∫ φ(x) [Φ(x+w) - Φ(x)]^(k-1) dx (Hartley 1942) is
 * integrated by composite Simpson on [-8, 8] and inverted by bisection.
 */
export function studentizedRangeQuantile(k: number, p: number): number {
  const owner = 'studentizedRangeQuantile';
  if (!(Number.isInteger(k) && k >= 2)) fail(owner, 'k must be an integer >= 2', k);
  if (!(p > 0 && p < 1)) fail(owner, 'p must be in (0, 1)', p);
  const count = RANGE_INTERVALS + 1;
  const h = (2 * RANGE_LIMIT) / RANGE_INTERVALS;
  const nodes = new Float64Array(count);
  const weights = new Float64Array(count);
  const lower = new Float64Array(count);
  const upper = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const x = -RANGE_LIMIT + i * h;
    const simpson = i === 0 || i === count - 1 ? 1 : i % 2 === 1 ? 4 : 2;
    nodes[i] = x;
    weights[i] = ((simpson * h) / 3) * Math.exp(-0.5 * x * x - LN_SQRT_2PI);
    lower[i] = normalCdf(x);
    upper[i] = normalCdf(-x);
  }
  const cdf = (w: number) => rangeCdf(k, w, nodes, weights, lower, upper);
  let lo = 0;
  let hi = 1;
  while (cdf(hi) < p) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1e-10 * hi) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The Nemenyi critical difference for k optimizers ranked on n problems: two mean ranks differing
 * by more are significantly different at level α. CD = q_α √(k(k+1) / (6n)) with
 * q_α = q_{1-α; k, ∞} / √2 (Demšar 2006, "Statistical comparisons of classifiers over multiple
 * data sets", JMLR 7:1-30, §3.2.2 and Table 5).
 */
export function nemenyiCriticalDifference(k: number, n: number, alpha = 0.05): number {
  const owner = 'nemenyiCriticalDifference';
  if (!(Number.isInteger(k) && k >= 2)) fail(owner, 'k must be an integer >= 2', k);
  if (!(Number.isInteger(n) && n >= 1)) fail(owner, 'n must be an integer >= 1', n);
  if (!(alpha > 0 && alpha < 1)) fail(owner, 'alpha must be in (0, 1)', alpha);
  const q = studentizedRangeQuantile(k, 1 - alpha) / Math.SQRT2;
  return q * Math.sqrt((k * (k + 1)) / (6 * n));
}

/**
 * The upper tail P(X > x) of the chi-square distribution with `df` > 0 degrees of freedom:
 * Q(df/2, x/2), the regularized upper incomplete gamma function (A&S 26.4.19).
 */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0 && Number.isFinite(df))) fail('chiSquareSf', 'df must be finite and > 0', df);
  if (Number.isNaN(x)) return NaN;
  return gammaQ(df / 2, x / 2);
}

export interface FriedmanTest {
  /** Friedman's statistic χ²_F. */
  chi2: number;
  /** k - 1. */
  df: number;
  /** P(χ²_{k-1} > χ²_F), the chi-square approximation. */
  p: number;
}

/**
 * The Friedman (1937) test that k optimizers are equivalent, from ranks[problem][optimizer] (the
 * average ranks within each of N problems): χ²_F = 12N / (k(k+1)) [Σ_j R_j² - k(k+1)²/4] with
 * R_j the mean rank of optimizer j, referred to chi-square with k - 1 df (Demšar 2006, §3.2.2).
 */
export function friedmanTest(ranks: readonly (readonly number[])[]): FriedmanTest {
  const owner = 'friedmanTest';
  const n = ranks.length;
  if (n < 1) fail(owner, 'needs at least 1 problem', n);
  const k = ranks[0].length;
  if (k < 2) fail(owner, 'needs at least 2 optimizers per problem', k);
  const meanRank = new Array<number>(k).fill(0);
  ranks.forEach((row, i) => {
    if (row.length !== k)
      fail(owner, `ranks[${i}] must have ${k} entries like ranks[0]`, row.length);
    row.forEach((r, j) => {
      if (!Number.isFinite(r)) fail(owner, `ranks[${i}][${j}] must be finite`, r);
      meanRank[j] += r / n;
    });
  });
  let sumSquares = 0;
  for (const r of meanRank) sumSquares += r * r;
  const raw = ((12 * n) / (k * (k + 1))) * (sumSquares - (k * (k + 1) ** 2) / 4);
  // Equal ranks give 0 in exact arithmetic; rounding can leave a negative ulp, which is not a
  // statistic.
  const chi2 = Math.max(0, raw);
  return { chi2, df: k - 1, p: chiSquareSf(chi2, k - 1) };
}

// ---------------------------------------------------------------------------------------------
// Performance profiles
// ---------------------------------------------------------------------------------------------

/**
 * Dolan & Moré (2002) performance profiles, "Benchmarking optimization software with performance
 * profiles", Math. Program. 91:201-213. With r_ps = cost_ps / min_s cost_ps,
 * rho[s][i] = |{p : r_ps <= taus[i]}| / (number of problems). A failed run (cost Infinity) never
 * counts, a problem every solver failed counts for none, and where the best cost is 0 a cost of 0
 * has ratio 1 and any other cost ratio ∞ (counted only at tau = ∞, as a solve).
 */
export function performanceProfile(
  costs: readonly (readonly number[])[],
  taus: readonly number[],
): number[][] {
  const owner = 'performanceProfile';
  const problems = costs.length;
  if (problems < 1) fail(owner, 'needs at least 1 problem', problems);
  const solvers = costs[0].length;
  if (solvers < 1) fail(owner, 'needs at least 1 solver per problem', solvers);
  taus.forEach((tau, i) => {
    if (Number.isNaN(tau)) fail(owner, `taus[${i}] must be a number`, tau);
  });
  const counts = Array.from({ length: solvers }, () => new Array<number>(taus.length).fill(0));
  costs.forEach((row, p) => {
    if (row.length !== solvers) {
      fail(owner, `costs[${p}] must have ${solvers} entries like costs[0]`, row.length);
    }
    row.forEach((c, s) => {
      if (!(c >= 0)) fail(owner, `costs[${p}][${s}] must be >= 0 or Infinity`, c);
    });
    const best = Math.min(...row);
    if (best === Infinity) return;
    row.forEach((c, s) => {
      // Skipped outright, not given ratio ∞: with tau = ∞ a failure must still not count as solved.
      if (c === Infinity) return;
      const ratio = best === 0 ? (c === 0 ? 1 : Infinity) : c / best;
      taus.forEach((tau, i) => {
        if (ratio <= tau) counts[s][i]++;
      });
    });
  });
  return counts.map((row) => row.map((count) => count / problems));
}
