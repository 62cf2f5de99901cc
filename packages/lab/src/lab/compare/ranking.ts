import type { RaceProblem } from './race-problem.ts';
import type {
  OptimizerResult,
  OverallRow,
  OverallTest,
  PerformanceProfileResult,
  ProblemResult,
  Standing,
} from './results.ts';
import { pairedInterval } from './bootstrap.ts';
import { convergedRun, seedValue } from './scores.ts';
import {
  averageRanks,
  friedmanTest,
  nemenyiCriticalDifference,
  performanceProfile,
} from './stats.ts';
import { mean } from './tuning.ts';

/** Significance level of the Friedman and Nemenyi tests (and 1 − the bootstrap's level). */
export const ALPHA = 0.05;

type Ranked = Pick<OptimizerResult, 'name' | 'summary' | 'tuned'>;

/** Scores are compared to this many significant digits: closer ones are the same result. */
export const RANK_DIGITS = 4;

/** Each tuned seed's value for the comparisons ({@link seedValue}). */
export function seedValues(p: Pick<RaceProblem, 'objective'>, o: Pick<Ranked, 'tuned'>): number[] {
  return o.tuned.map((r) => seedValue(p, r));
}

/**
 * Ranks one problem's optimizers: fewest failed seeds (diverged, never escaped, or ended above
 * the start) first, so a row with a failure is never placed ahead of one without; then those
 * converged on every seed (loss within CONVERGED of the start's), among them the fastest to the
 * target; then the lowest mean score over seeds. Scores equal to RANK_DIGITS significant digits
 * share a rank. Then each optimizer is compared with the best by the 95% paired bootstrap
 * interval of the mean per-seed difference ({@link pairedInterval}; the seeds pair the runs:
 * same start, same data order): where the interval holds 0, the two are within the seeds' noise.
 */
export function rankProblem(
  p: Pick<RaceProblem, 'objective'>,
  optimizers: readonly Ranked[],
): { standings: Standing[]; order: number[]; leaders: number[]; separation: string } {
  const keys = optimizers.map((o) => {
    const converged = o.tuned.length > 0 && o.tuned.every((r) => convergedRun(p, r));
    return [
      o.summary.failedSeeds,
      converged ? 0 : 1,
      converged
        ? (o.summary.stepsToTarget ?? Infinity)
        : Number(mean(seedValues(p, o)).toPrecision(RANK_DIGITS)),
    ];
  });
  const ranks = averageRanks(keys);
  const order = ranks.map((r, i) => ({ r, i })).sort((a, b) => a.r - b.r || a.i - b.i);
  const best = order[0]!.i;
  const seeds = optimizers[best]!.tuned.length;
  const standings: Standing[] = optimizers.map((_, i) => ({
    rank: ranks[i]!,
    withinNoiseOfBest: ranks[i] === ranks[best],
    vsBest: null,
  }));
  let separation: string;
  if (seeds < 2 || optimizers.length < 2) {
    separation = 'one seed: no test of the noise between seeds; only exact ties share a place';
  } else {
    const b = seedValues(p, optimizers[best]!);
    for (const { i } of order.slice(1)) {
      const vs = pairedInterval(seedValues(p, optimizers[i]!), b);
      standings[i]!.vsBest = vs;
      if (!vs.separated) standings[i]!.withinNoiseOfBest = true;
    }
    separation =
      `95% paired bootstrap interval of the mean per-seed difference from the best, over the ` +
      `${seeds} seeds (of the log of the scores when all are positive; a failed seed counts as ` +
      `no progress); an optimizer is within noise when the interval holds 0` +
      (seeds <= 3 ? `, which with ${seeds} seeds means: unless it is behind on every seed` : '');
  }
  const leaders = order.map((x) => x.i).filter((i) => standings[i]!.withinNoiseOfBest);
  return { standings, order: order.map((x) => x.i), leaders, separation };
}

/** Mean rank over problems, best first, with the Friedman/Nemenyi test where it can run. */
export function overallRanking(problems: readonly ProblemResult[]): {
  rows: OverallRow[];
  test: OverallTest | null;
  profile: PerformanceProfileResult;
} {
  const first = problems[0]!;
  const rows = first.optimizers.map((o0, j) => {
    const ranks: Record<string, number> = {};
    const failedOn: string[] = [];
    for (const p of problems) {
      const o = p.optimizers[j]!;
      ranks[p.name] = o.rank;
      if (o.summary.failedSeeds > 0) failedOn.push(p.name);
    }
    return {
      optimizer: o0.name,
      label: o0.label,
      meanRank: mean(Object.values(ranks)),
      rank: 0,
      ranks,
      failedOn,
    };
  });
  const places = averageRanks(rows.map((r) => [Number(r.meanRank.toPrecision(9))]));
  rows.forEach((r, i) => (r.rank = places[i]!));
  const sorted = rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.rank - b.r.rank || a.i - b.i)
    .map((x) => x.r);
  const k = rows.length;
  const n = problems.length;
  const test =
    k >= 2 && n >= 2
      ? {
          problems: n,
          friedman: friedmanTest(problems.map((p) => p.optimizers.map((o) => o.rank))),
          criticalDifference: nemenyiCriticalDifference(k, n, ALPHA),
          alpha: ALPHA,
        }
      : null;
  const taus = Array.from({ length: 65 }, (_, i) => 2 ** (i / 8));
  const costs = problems.map((p) =>
    p.optimizers.map(
      (o) =>
        (p.objective === 'escape' ? o.summary.escapeStep : o.summary.stepsToTarget) ?? Infinity,
    ),
  );
  const rho = performanceProfile(costs, taus);
  return {
    rows: sorted,
    test,
    profile: {
      measure: 'median steps to the target (loss problems) or to escape (saddles) over seeds',
      taus,
      rho: Object.fromEntries(first.optimizers.map((o, j) => [o.name, rho[j]!])),
    },
  };
}
