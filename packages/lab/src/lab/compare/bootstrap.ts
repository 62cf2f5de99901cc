import { Rng } from '../rng.ts';
import { formatNumber } from './format.ts';

/**
 * The paired bootstrap (Efron and Tibshirani 1993) of the mean of per-seed differences: resample
 * the seeds with replacement, and read the percentile interval of the resampled means. Agarwal et
 * al. (2021, "Deep RL at the edge of the statistical precipice") recommend bootstrap intervals
 * over significance tests for the handful of seeds deep-learning comparisons can afford.
 *
 * With n seeds every resample that repeats one seed n times has probability n^-n, so for n <= 3
 * the 95% interval is exactly [min d, max d]: two optimizers are told apart only when one is
 * ahead on every seed. More seeds tighten the interval.
 */

/** Up to this many seeds the bootstrap distribution is enumerated exactly. */
const EXACT_MAX = 8;
/** Resamples drawn (from a fixed seed, so the interval is reproducible) beyond that. */
const DRAWS = 20_000;

/** Every multiset of n draws from n seeds, as counts, with its multinomial probability. */
function* compositions(n: number): Generator<{ counts: number[]; p: number }> {
  const counts = new Array<number>(n).fill(0);
  const logFact = [0];
  for (let i = 1; i <= n; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  const logTotal = n * Math.log(n);
  function* place(i: number, left: number): Generator<{ counts: number[]; p: number }> {
    if (i === n - 1) {
      counts[i] = left;
      let lp = logFact[n]! - logTotal;
      for (const c of counts) lp -= logFact[c]!;
      yield { counts, p: Math.exp(lp) };
      return;
    }
    for (let c = left; c >= 0; c--) {
      counts[i] = c;
      yield* place(i + 1, left - c);
    }
  }
  yield* place(0, n);
}

/** The bootstrap distribution of the mean: atoms (mean, probability), ascending. */
function distribution(d: readonly number[]): { mean: number; p: number }[] {
  const n = d.length;
  const atoms: { mean: number; p: number }[] = [];
  if (n <= EXACT_MAX) {
    for (const { counts, p } of compositions(n)) {
      // Weights counts/n: a resample of one seed n times has exactly that seed's value as mean.
      let mean = 0;
      for (let i = 0; i < n; i++) if (counts[i]! > 0) mean += (counts[i]! / n) * d[i]!;
      atoms.push({ mean, p });
    }
  } else {
    const rng = new Rng(1);
    for (let b = 0; b < DRAWS; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += d[rng.nextUint32() % n]!;
      atoms.push({ mean: s / n, p: 1 / DRAWS });
    }
  }
  return atoms.sort((a, b) => a.mean - b.mean);
}

/**
 * The `level` percentile interval of the mean of `d` under the bootstrap: the smallest resampled
 * means at which the cumulative probability reaches (1 − level)/2 and (1 + level)/2.
 */
export function bootstrapMeanInterval(d: readonly number[], level = 0.95): [number, number] {
  if (d.length === 0 || !d.every(Number.isFinite)) {
    throw new RangeError(
      `bootstrapMeanInterval: d must hold at least one finite number, got [${d.join(', ')}]`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`bootstrapMeanInterval: level must be in (0, 1), got ${level}`);
  }
  const atoms = distribution(d);
  const at = (q: number) => {
    let cumulative = 0;
    // A tolerance for the rounding of the summed probabilities at an exact quantile.
    for (const a of atoms) if ((cumulative += a.p) >= q - 1e-12) return a.mean;
    return atoms.at(-1)!.mean;
  };
  return [at((1 - level) / 2), at((1 + level) / 2)];
}

/** How two per-seed series compare: the interval of the mean difference a − b, and its scale. */
export interface PairedInterval {
  /** 95% bootstrap interval of mean(a − b), of log a − log b when `log`. */
  low: number;
  high: number;
  /** The values were all positive and were compared as logarithms (a ratio e^low..e^high). */
  log: boolean;
  /** The interval excludes 0: one side is ahead beyond the seeds' noise. */
  separated: boolean;
}

/**
 * Compares two per-seed series paired by seed, on the log scale when every value is positive:
 * losses and step counts spread over orders of magnitude and their noise is multiplicative, so a
 * gap of 1.3 against 1e-12 and one of 1e-3 against 1e-4 read alike (as ratios).
 */
export function pairedInterval(a: readonly number[], b: readonly number[]): PairedInterval {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(
      `pairedInterval: a and b must be non-empty and of one length, got ${a.length} and ${b.length}`,
    );
  }
  const log = [...a, ...b].every((x) => x > 0);
  const d = a.map((x, i) => (log ? Math.log(x) - Math.log(b[i]!) : x - b[i]!));
  const [low, high] = bootstrapMeanInterval(d);
  return { low, high, log, separated: low > 0 || high < 0 };
}

/**
 * An interval's ends as ratios (log scale) or differences, with two significant digits, or as
 * many more (up to 5) as it takes for two different ends not to print alike ("×1–1").
 */
export function intervalEnds(iv: PairedInterval): [string, string] {
  const [lo, hi] = iv.log ? [Math.exp(iv.low), Math.exp(iv.high)] : [iv.low, iv.high];
  let digits = 2;
  while (digits < 5 && lo !== hi && formatNumber(lo, digits) === formatNumber(hi, digits)) digits++;
  return [formatNumber(lo, digits), formatNumber(hi, digits)];
}

/** An interval in words: "ratio 1.2 to 3.4" (log scale) or "difference -0.1 to 0.3". */
export function intervalText(iv: PairedInterval | null): string {
  if (iv === null) return 'one seed: no interval';
  const [lo, hi] = intervalEnds(iv);
  return `${iv.log ? 'ratio' : 'difference'} ${lo} to ${hi}`;
}
