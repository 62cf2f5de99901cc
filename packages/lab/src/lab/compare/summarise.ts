import type { Contender } from './contenders.ts';
import { lrOf, type LrGrid } from './grid.ts';
import type { RaceProblem } from './race-problem.ts';
import { rankProblem } from './ranking.ts';
import type {
  Candidate,
  OptimizerResult,
  OptimizerSummary,
  ProblemResult,
  Standing,
} from './results.ts';
import { firstStepAtOrBelow, type RunRecord } from './run.ts';
import { cappedScore, failedRun, lossTarget } from './scores.ts';
import { expectedBestOfK, goodLrs, mean, median, medianOrNull, sd } from './tuning.ts';

// From the runs a race made to what it reports: the chosen lr, the target, the summaries, ranks.

/** One optimizer's tuning on one problem: its grid and the points tried. */
export interface Tuning {
  pi: number;
  c: Contender;
  grid: LrGrid;
  cap: number;
  refined: number[];
  extended: number;
  /** The fixed learning rate of an untuned race. */
  fixed: number | null;
  /** Smaller learning rates tried on every seed because every candidate failed one. */
  fallbacks: number[];
}

function candidate(p: RaceProblem, lr: number, runs: RunRecord[]): Candidate {
  const capped = runs.map((r) => cappedScore(p, r));
  return {
    lr,
    scores: runs.map((r) => r.score),
    failedSeeds: runs.filter((r) => failedRun(p, r)).length,
    meanScore: mean(capped),
  };
}

export function summariseProblem(
  p: RaceProblem,
  tunings: Tuning[],
  seeds: number,
  record: (c: Contender, lr: number, seed: number) => RunRecord,
  lrs: (t: Tuning) => number[],
  candidateLrs: (t: Tuning) => number[],
): ProblemResult {
  const runsAt = (c: Contender, lr: number) =>
    Array.from({ length: seeds }, (_, seed) => record(c, lr, seed));
  const chosen = tunings.map((t) => {
    const cands = candidateLrs(t).map((lr) => candidate(p, lr, runsAt(t.c, lr)));
    const best = [...cands].sort(
      (a, b) => a.failedSeeds - b.failedSeeds || a.meanScore - b.meanScore || a.lr - b.lr,
    )[0];
    return { cands, lr: best?.lr ?? null };
  });
  const tunedRuns = tunings.map((t, i) => runsAt(t.c, chosen[i]!.lr ?? t.c.defaultLr));
  const target = problemTarget(p, tunedRuns.flat());
  const reference =
    p.objective === 'escape' ? p.epochs + 1 : median(tunedRuns.flat().map((r) => r.initialLoss));
  const optimizers = tunings.map((t, ti): Omit<OptimizerResult, keyof Standing> => {
    const coarse = new Set(t.fixed !== null ? [t.fixed] : t.grid.exponents.map(lrOf));
    const sweep = lrs(t)
      .sort((a, b) => a - b)
      .map((lr) => {
        const r = record(t.c, lr, 0);
        const point = {
          lr,
          score: r.score,
          finalTrainLoss: r.finalTrainLoss,
          diverged: r.diverged,
        };
        return { ...point, coarse: coarse.has(lr) };
      });
    const coarsePoints = sweep.filter((s) => s.coarse);
    const good = goodLrs(coarsePoints, reference);
    const bestLr = chosen[ti]!.lr;
    const tried = sweep.map((s) => s.lr);
    const atLow = bestLr !== null && tried.length > 1 && bestLr === Math.min(...tried);
    const atHigh = bestLr !== null && tried.length > 1 && bestLr === Math.max(...tried);
    const lrEdge: OptimizerResult['lrEdge'] = atLow
      ? 'low'
      : atHigh
        ? lrOf(Math.log10(bestLr) + t.grid.spacing) > t.cap
          ? 'cap'
          : 'high'
        : null;
    // Keep one trajectory (seed 0 at the chosen lr) and drop the record lows once used; what
    // the optimizer was on this problem is said once, by the result (every run has its shapes).
    const strip = (r: RunRecord, keepPath: boolean): RunRecord => {
      const copy: RunRecord = keepPath ? { ...r } : { ...r, trajectory: null };
      delete copy.lows;
      delete copy.degenerateAs;
      return copy;
    };
    const tuned = tunedRuns[ti]!;
    const defaults = runsAt(t.c, t.c.defaultLr);
    const degenerateAs = tuned[0]?.degenerateAs;
    return {
      name: t.c.name,
      label: t.c.label,
      family: t.c.family,
      era: t.c.era,
      selfTuning: t.c.selfTuning,
      defaultLr: t.c.defaultLr,
      sweep,
      grid: {
        spacing: t.grid.spacing,
        resolution: t.refined.length > 0 ? t.grid.spacing / 2 : t.grid.spacing,
        lo: tried.length ? Math.min(...tried) : NaN,
        hi: tried.length ? Math.max(...tried) : NaN,
        extended: t.extended,
      },
      bestLr,
      lrAtEdge: lrEdge !== null,
      lrEdge,
      candidates: chosen[ti]!.cands,
      expectedBest: expectedBestOfK(
        coarsePoints.map((s) => s.score),
        reference,
      ),
      goodLrs: good,
      goodDecades: good.length * t.grid.spacing,
      summary: summarise(p, tuned, target),
      defaultSummary: summarise(p, defaults, target),
      tuned: tuned.map((r, i) => strip(r, i === 0)),
      defaults: defaults.map((r) => strip(r, false)),
      ...(degenerateAs ? { degenerateAs } : {}),
    };
  });
  const times = tunedRuns.flat().map((r) => r.timeMs);
  const standings = rankProblem(p, optimizers);
  const first = tunedRuns[0]?.[0];
  return {
    name: p.name,
    description: p.description,
    kind: p.kind,
    objective: p.objective,
    epochs: p.epochs,
    batchSize: p.batchSize,
    target,
    targetResolution: p.kind === 'dataset' && p.batchSize !== 'full' ? 'epoch' : 'step',
    stepsPerEpoch: first?.stepsPerEpoch ?? 1,
    timesMeaningful: median(times) >= 1000,
    fn:
      p.fn && p.fn.dim === 2
        ? {
            name: p.fn.name,
            window: p.fn.window.map((w) => [...w]),
            minima: p.fn.minima.map((m) => [...m]),
            contour: p.fn.contour,
          }
        : null,
    optimizers: optimizers.map((o, i) => ({ ...o, ...standings.standings[i]! })),
    ranking: standings.order.map((i) => optimizers[i]!.name),
    leaders: standings.leaders.map((i) => optimizers[i]!.name),
    separation: standings.separation,
  };
}

/** The target loss (see {@link lossTarget}); saddles have none. */
function problemTarget(p: RaceProblem, runs: RunRecord[]): number | null {
  return p.objective === 'escape' ? null : lossTarget(runs);
}

function summarise(p: RaceProblem, runs: RunRecord[], target: number | null): OptimizerSummary {
  const finite = (xs: (number | null)[]) =>
    xs.filter((x): x is number => x !== null && Number.isFinite(x));
  const losses = finite(runs.filter((r) => !r.diverged).map((r) => r.finalTrainLoss));
  const acc = finite(runs.map((r) => r.testAccuracy));
  const capped = runs.map((r) => cappedScore(p, r));
  const bySeed = runs.map((r) =>
    target === null || !r.lows ? null : firstStepAtOrBelow(r.lows, target),
  );
  const reached = bySeed.filter((s): s is number => s !== null);
  const half = reached.length > 0 && reached.length * 2 >= runs.length;
  const medianOf = (f: (s: number, r: RunRecord) => number) =>
    half ? median(runs.map((r, i) => (bySeed[i] === null ? Infinity : f(bySeed[i]!, r)))) : null;
  const escapes = runs.filter((r) => r.escapeStep !== null).length;
  return {
    scores: runs.map((r) => r.score),
    failedSeeds: runs.filter((r) => failedRun(p, r)).length,
    meanScore: mean(capped),
    sdScore: sd(capped),
    medianScore: median(runs.map((r) => r.score)),
    meanFinalLoss: losses.length ? mean(losses) : null,
    sdFinalLoss: losses.length ? sd(losses) : null,
    finalLossSeeds: losses.length,
    meanTestAccuracy: acc.length ? mean(acc) : null,
    sdTestAccuracy: acc.length ? sd(acc) : null,
    stepsToTargetBySeed: bySeed,
    stepsToTarget: medianOf((s) => s),
    epochsToTarget: p.kind === 'dataset' ? medianOf((s, r) => s / r.stepsPerEpoch) : null,
    timeToTargetMs: medianOf((s, r) => timeAtStep(r, s)),
    divergedSeeds: runs.filter((r) => r.diverged).length,
    escapeStep:
      p.objective === 'escape' && escapes > 0 && escapes * 2 >= runs.length
        ? median(runs.map((r) => r.escapeStep ?? Infinity))
        : null,
    meanTimeMs: mean(runs.map((r) => r.timeMs)),
    samplesPerSecond: medianOrNull(runs.map((r) => r.samplesPerSecond)),
    lossNoise: medianOrNull(runs.map((r) => r.lossNoise)),
  };
}

/** Training time when a run had taken `step` steps: from the epoch clock, else pro rata. */
function timeAtStep(r: RunRecord, step: number): number {
  if (step === 0) return 0;
  const e = step / r.stepsPerEpoch;
  if (r.stepsPerEpoch > 1 && Number.isInteger(e)) return r.epochs.timeMs[e - 1] ?? NaN;
  return (r.timeMs * step) / Math.max(1, r.steps);
}
