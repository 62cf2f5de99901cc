import { DEFAULT_CONTENDERS, findContender, type Contender } from './contenders.ts';
import { baseGrid, extension, lrOf, refinement, type LrGrid } from './grid.ts';
import type { Budget, RaceProblem } from './problems.ts';
import {
  overallRanking,
  rankProblem,
  type OverallRow,
  type OverallTest,
  type PerformanceProfileResult,
  type Standing,
} from './ranking.ts';
import { firstStepAtOrBelow, runOne, type RunRecord } from './run.ts';
import { bestPoint, expectedBestOfK, goodLrs, mean, median, sd } from './tuning.ts';

/** One training run to do: the problem (by index), the optimizer, the lr and the seed. */
export interface Job {
  problem: number;
  optimizer: string;
  lr: number;
  seed: number;
}

/** Runs jobs (in this thread, or in worker threads) and reports each as it finishes. */
export type Executor = (
  problems: readonly RaceProblem[],
  jobs: readonly Job[],
  onDone: (job: Job, record: RunRecord) => void,
) => Promise<RunRecord[]>;

/** Runs every job here, one after the other. */
export const inlineExecutor: Executor = async (problems, jobs, onDone) => {
  const out: RunRecord[] = [];
  for (const job of jobs) {
    const record = await runOne(
      problems[job.problem]!,
      findContender(job.optimizer),
      job.lr,
      job.seed,
    );
    out.push(record);
    onDone(job, record);
    // Yield between runs so progress bars and pages stay live.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return out;
};

export interface CompareOptions {
  /** The problems to race on (built-in ones from `builtinRaceProblem`, or your own). */
  problems?: readonly RaceProblem[];
  /** One problem (same as `problems: [problem]`). */
  problem?: RaceProblem;
  /**
   * For problems that set no grid of their own: `quick` sweeps whole decades of learning rate,
   * `full` (default) half-decades.
   */
  budget?: Budget;
  /** Optimizer names (see `CONTENDERS`); default: the seed's optimizers plus AdamW and NAdam. */
  optimizers?: readonly string[];
  /** Seeds per optimizer at its tuned (and at its default) lr; default 3. */
  seeds?: number;
  /** A fixed learning rate for every optimizer: no tuning. */
  lr?: number;
  executor?: Executor;
  onProgress?: (p: Progress) => void;
}

/** Where the race is: `sweep` (seed 0 over the grid, its extensions and refinement), `seeds`. */
export interface Progress {
  phase: 'sweep' | 'seeds';
  done: number;
  total: number;
  problem: string;
  optimizer: string;
}

/** How many of the best learning rates of the seed-0 sweep run on every seed. */
export const CANDIDATES = 2;

export interface OptimizerSummary {
  /** Each seed's score (Infinity: diverged, or never escaped). */
  scores: number[];
  /** Seeds that diverged or (saddles) never escaped. */
  failedSeeds: number;
  /**
   * Mean score over seeds, a failed seed (or one that ended worse than it started) counted as no
   * progress: the untrained loss, or for saddles the run length + 1. The ranking key after
   * `failedSeeds`.
   */
  meanScore: number;
  /** Sample standard deviation of the same per-seed values. */
  sdScore: number;
  medianScore: number;
  /** Mean and sd of the final training loss over the seeds that did not diverge (null: none). */
  meanFinalLoss: number | null;
  sdFinalLoss: number | null;
  /** How many seeds `meanFinalLoss` is over. */
  finalLossSeeds: number;
  meanTestAccuracy: number | null;
  sdTestAccuracy: number | null;
  /** Each seed's exact step of reaching the target (null: not reached). */
  stepsToTargetBySeed: (number | null)[];
  /** Median steps to the target (null when fewer than half the seeds reach it). */
  stepsToTarget: number | null;
  /** Median epochs to the target (data sets). */
  epochsToTarget: number | null;
  /** Median wall time to the target, ms. */
  timeToTargetMs: number | null;
  divergedSeeds: number;
  /** Median escape step over seeds (saddles; null when fewer than half escape). */
  escapeStep: number | null;
  meanTimeMs: number;
}

/** One learning rate tried on every seed, and how it did. */
export interface Candidate {
  lr: number;
  scores: number[];
  failedSeeds: number;
  meanScore: number;
}

export interface OptimizerResult extends Standing {
  name: string;
  label: string;
  family: Contender['family'];
  defaultLr: number;
  /** Seed 0 at every lr tried (coarse grid, extensions, refinement), ascending in lr. */
  sweep: {
    lr: number;
    score: number;
    finalTrainLoss: number | null;
    diverged: boolean;
    /** On the coarse grid (true) or a refinement point (false). */
    coarse: boolean;
  }[];
  /** The coarse grid's spacing and the resolution near the best point, in decades. */
  grid: { spacing: number; resolution: number; lo: number; hi: number; extended: number };
  /** The learning rate chosen over every seed (null when every lr diverged). */
  bestLr: number | null;
  /** The chosen lr is the smallest or largest tried: the optimum may lie beyond the grid. */
  lrAtEdge: boolean;
  /** Which end, and why it could not move: `low`, `high`, or `cap` (the problem's lr cap). */
  lrEdge: 'low' | 'high' | 'cap' | null;
  /** The best learning rates of seed 0, each run on every seed; the chosen one among them. */
  candidates: Candidate[];
  /** Expected best score of random search over the coarse grid with k trials, k = 1..n. */
  expectedBest: { trials: number; score: number }[];
  /** The coarse learning rates within 10% of the best improvement, and their width in decades. */
  goodLrs: number[];
  goodDecades: number;
  tuned: RunRecord[];
  defaults: RunRecord[];
  summary: OptimizerSummary;
  defaultSummary: OptimizerSummary;
}

export interface ProblemResult {
  name: string;
  description: string;
  kind: RaceProblem['kind'];
  objective: RaceProblem['objective'];
  epochs: number;
  batchSize: RaceProblem['batchSize'];
  /** The loss a run must reach to count as converged: 90% of the best improvement. */
  target: number | null;
  /** `step`: the loss is known after every step (full batch); `epoch`: at every epoch's end. */
  targetResolution: 'step' | 'epoch';
  /** Steps per epoch. */
  stepsPerEpoch: number;
  /** Whether runs are long enough (median 1 s or more) for wall-time plots to mean anything. */
  timesMeaningful: boolean;
  /** Test function data for plots (2-D functions). */
  fn: { name: string; window: number[][]; minima: number[][]; contour: 'log' | 'linear' } | null;
  optimizers: OptimizerResult[];
  /** Optimizer names, best first (ties in input order; `rank` says who shares a place). */
  ranking: string[];
  /** Optimizers within the seeds' noise of the best (see `separation`). */
  leaders: string[];
  /** How the leaders were told apart from the rest. */
  separation: string;
}

export interface CompareResults {
  schema: 'descent/compare';
  version: 2;
  config: {
    optimizers: string[];
    seeds: number;
    lr: number | null;
    tuned: boolean;
    /** The tuning protocol in words. */
    protocol: string;
  };
  problems: ProblemResult[];
  /** Mean rank of each optimizer over the problems, best first. */
  overall: OverallRow[];
  /** Friedman test of the ranks and the Nemenyi critical difference (null: one problem). */
  overallTest: OverallTest | null;
  /** Performance profile: how often each optimizer is within τ of the fastest. */
  profile: PerformanceProfileResult;
}

function checkOptions(o: CompareOptions): {
  names: string[];
  seeds: number;
  problems: RaceProblem[];
} {
  const names = [...(o.optimizers ?? DEFAULT_CONTENDERS)];
  if (names.length === 0)
    throw new RangeError('compare: optimizers must name at least one optimizer');
  names.forEach(findContender);
  if (new Set(names).size !== names.length) {
    throw new RangeError(`compare: optimizers must not repeat a name, got ${names.join(',')}`);
  }
  const seeds = o.seeds ?? 3;
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 100) {
    throw new RangeError(`compare: seeds must be an integer in [1, 100], got ${String(seeds)}`);
  }
  if (o.lr !== undefined && !(o.lr > 0 && Number.isFinite(o.lr))) {
    throw new RangeError(`compare: lr must be a finite number > 0, got ${String(o.lr)}`);
  }
  const problems = [...(o.problems ?? []), ...(o.problem ? [o.problem] : [])];
  if (problems.length === 0)
    throw new RangeError('compare: problems must hold at least one problem');
  if (o.budget !== undefined && o.budget !== 'quick' && o.budget !== 'full') {
    throw new RangeError(`compare: budget must be "quick" or "full", got ${String(o.budget)}`);
  }
  const points = o.budget === 'quick' ? 6 : undefined;
  return {
    names,
    seeds,
    problems: problems.map((p) =>
      p.gridPoints === undefined && points ? { ...p, gridPoints: points } : p,
    ),
  };
}

const key = (j: Job) => `${j.problem}|${j.optimizer}|${j.lr}|${j.seed}`;

/** One optimizer's tuning on one problem: its grid and the points tried. */
interface Tuning {
  pi: number;
  c: Contender;
  grid: LrGrid;
  cap: number;
  refined: number[];
  extended: number;
  /** The end the best point still sits at after extension, if any. */
  stuck: 'low' | 'high' | 'cap' | null;
  /** The fixed learning rate of an untuned race. */
  fixed: number | null;
}

/** The protocol in words, for the report and results.json. */
function protocolText(seeds: number, lr: number | undefined): string {
  if (lr !== undefined) return `untuned: every optimizer at the fixed learning rate ${lr}`;
  return (
    `learning rate swept on seed 0 over a log grid; where the best lr sat at an end of the grid ` +
    `the grid was extended by a decade at a time, up to 2 decades; then refined to half the ` +
    `grid's spacing either side of the best; the ${CANDIDATES} best lrs of seed 0 then ran on ` +
    `all ${seeds} seed(s), and the one with the fewest failed seeds, then the lowest mean score ` +
    `(a failed seed counted as no progress) was chosen`
  );
}

/**
 * The race: every optimizer on every problem under identical conditions (same seeds, same
 * initial points and weights, same data order). Unless `lr` is fixed, each optimizer's lr is
 * tuned: swept on seed 0 (extended past an end of the grid where the best lies there, refined
 * around the best), the best few then run on every seed, and the lr that is good on every seed
 * is chosen. Each optimizer also runs at its default lr on every seed. Ranks follow the failed
 * seeds first, then the mean score; ties share a rank. Deterministic: the same options give
 * the same numbers (wall times aside).
 */
export async function compare(options: CompareOptions): Promise<CompareResults> {
  const { names, seeds, problems } = checkOptions(options);
  const executor = options.executor ?? inlineExecutor;
  const contenders = names.map(findContender);
  const done = new Map<string, RunRecord>();
  let phase: Progress['phase'] = 'sweep';
  let phaseDone = 0;
  let phaseTotal = 0;
  const run = async (jobs: Job[]) => {
    const fresh = jobs.filter(
      (j, i) => !done.has(key(j)) && jobs.findIndex((x) => key(x) === key(j)) === i,
    );
    phaseTotal += fresh.length;
    await executor(problems, fresh, (job, r) => {
      done.set(key(job), r);
      options.onProgress?.({
        phase,
        done: ++phaseDone,
        total: phaseTotal,
        problem: r.problem,
        optimizer: r.optimizer,
      });
    });
  };
  const record = (pi: number, c: Contender, lr: number, seed: number) =>
    done.get(key({ problem: pi, optimizer: c.name, lr, seed }))!;

  const tunings: Tuning[] = [];
  problems.forEach((p, pi) => {
    for (const c of contenders) {
      const cap = c.name === 'adadelta' ? Infinity : (p.maxLr ?? Infinity);
      const fixed = options.lr ?? null;
      const grid: LrGrid =
        fixed !== null ? { exponents: [], spacing: 0, base: [0, 0] } : baseGrid(c, p.gridPoints);
      grid.exponents = grid.exponents.filter((e) => lrOf(e) <= cap);
      tunings.push({ pi, c, grid, cap, refined: [], extended: 0, stuck: null, fixed });
    }
  });
  const lrs = (t: Tuning) =>
    t.fixed !== null ? [t.fixed] : [...t.grid.exponents, ...t.refined].map(lrOf);
  const sweepJobs = (t: Tuning, exps: number[]) =>
    exps.map((e) => ({ problem: t.pi, optimizer: t.c.name, lr: lrOf(e), seed: 0 }));
  // Seed 0's best coarse exponent (null when every point failed).
  const bestExponent = (t: Tuning, withRefined = false): number | null => {
    const exps = withRefined ? [...t.grid.exponents, ...t.refined] : t.grid.exponents;
    const point = bestPoint(
      exps.map((e) => ({ lr: e, score: record(t.pi, t.c, lrOf(e), 0).score })),
    );
    return point ? point.lr : null;
  };

  // 1. Seed 0 over the base grid (or the fixed lr).
  await run(
    options.lr !== undefined
      ? tunings.map((t) => ({ problem: t.pi, optimizer: t.c.name, lr: options.lr!, seed: 0 }))
      : tunings.flatMap((t) => sweepJobs(t, t.grid.exponents)),
  );
  if (options.lr === undefined) {
    // 2. A best point at an end of the grid moves the end out, a decade at a time.
    for (let round = 0; round < 2; round++) {
      const more: Job[] = [];
      for (const t of tunings) {
        const best = bestExponent(t);
        const exps = t.grid.exponents;
        // Every point failed: the grid is too high for this problem.
        const side =
          best === null ? 'low' : best === exps[0] ? 'low' : best === exps.at(-1) ? 'high' : null;
        t.stuck = side;
        if (side === null) continue;
        const added = extension(t.grid, side, t.cap);
        if (added.length === 0) {
          if (side === 'high' && lrOf(exps.at(-1)! + t.grid.spacing) > t.cap) t.stuck = 'cap';
          continue;
        }
        t.grid.exponents = side === 'low' ? [...added.reverse(), ...exps] : [...exps, ...added];
        t.extended += added.length;
        more.push(...sweepJobs(t, added));
      }
      if (more.length === 0) break;
      await run(more);
    }
    for (const t of tunings) {
      const best = bestExponent(t);
      const exps = t.grid.exponents;
      t.stuck =
        best === exps[0] && best !== null
          ? 'low'
          : best === exps.at(-1) && best !== null
            ? lrOf(best + t.grid.spacing) > t.cap
              ? 'cap'
              : 'high'
            : null;
      // 3. Half a grid step either side of the best.
      if (best !== null) t.refined = refinement(t.grid, best);
    }
    await run(tunings.flatMap((t) => sweepJobs(t, t.refined)));
  }

  // 4. The best few of seed 0 on every seed, and the default lr on every seed.
  phase = 'seeds';
  phaseDone = 0;
  phaseTotal = 0;
  const candidateLrs = (t: Tuning): number[] => {
    const points = lrs(t)
      .map((lr) => ({ lr, score: record(t.pi, t.c, lr, 0).score }))
      .filter((x) => Number.isFinite(x.score))
      .sort((a, b) => a.score - b.score || a.lr - b.lr);
    return points.slice(0, CANDIDATES).map((x) => x.lr);
  };
  const seedJobs: Job[] = [];
  for (const t of tunings) {
    for (const lr of [...candidateLrs(t), t.c.defaultLr]) {
      for (let seed = 0; seed < seeds; seed++)
        seedJobs.push({ problem: t.pi, optimizer: t.c.name, lr, seed });
    }
  }
  await run(seedJobs);

  const results = problems.map((p, pi) =>
    summariseProblem(
      p,
      tunings.filter((t) => t.pi === pi),
      seeds,
      (c, lr, seed) => record(pi, c, lr, seed),
      lrs,
      candidateLrs,
    ),
  );
  const overall = overallRanking(results);
  return {
    schema: 'descent/compare',
    version: 2,
    config: {
      optimizers: names,
      seeds,
      lr: options.lr ?? null,
      tuned: options.lr === undefined,
      protocol: protocolText(seeds, options.lr),
    },
    problems: results,
    overall: overall.rows,
    overallTest: overall.test,
    profile: overall.profile,
  };
}

/** What an untrained run scores: its initial loss, or for saddles a never-escaping run. */
function noProgress(p: RaceProblem, r: RunRecord): number {
  return p.objective === 'escape' ? r.steps + 1 : r.initialLoss;
}

/** A seed's score as the mean counts it: failures and worse-than-untrained runs as no progress. */
export function cappedScore(p: RaceProblem, r: RunRecord): number {
  const worst = noProgress(p, r);
  return Number.isFinite(r.score) ? Math.min(r.score, worst) : worst;
}

function candidate(p: RaceProblem, lr: number, runs: RunRecord[]): Candidate {
  const capped = runs.map((r) => cappedScore(p, r));
  return {
    lr,
    scores: runs.map((r) => r.score),
    failedSeeds: runs.filter((r) => !Number.isFinite(r.score)).length,
    meanScore: mean(capped),
  };
}

function summariseProblem(
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
        ? t.stuck === 'cap' || lrOf(Math.log10(bestLr) + t.grid.spacing) > t.cap
          ? 'cap'
          : 'high'
        : null;
    // Keep one trajectory (seed 0 at the chosen lr) and drop the record lows once used.
    const strip = (r: RunRecord, keepPath: boolean): RunRecord => {
      const copy: RunRecord = keepPath ? { ...r } : { ...r, trajectory: null };
      delete copy.lows;
      return copy;
    };
    const tuned = tunedRuns[ti]!;
    const defaults = runsAt(t.c, t.c.defaultLr);
    return {
      name: t.c.name,
      label: t.c.label,
      family: t.c.family,
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

/** The target loss: 90% of the best improvement any tuned run made over its initial loss. */
function problemTarget(p: RaceProblem, runs: RunRecord[]): number | null {
  if (p.objective === 'escape') return null;
  const finals = runs
    .filter((r) => !r.diverged)
    .map((r) => r.finalTrainLoss)
    .filter((x): x is number => x !== null && Number.isFinite(x));
  if (finals.length === 0) return null;
  const bestFinal = Math.min(...finals);
  const initial = median(runs.map((r) => r.initialLoss));
  return bestFinal + 0.1 * (initial - bestFinal);
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
    failedSeeds: runs.filter((r) => !Number.isFinite(r.score)).length,
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
  };
}

/** Training time when a run had taken `step` steps: from the epoch clock, else pro rata. */
function timeAtStep(r: RunRecord, step: number): number {
  if (step === 0) return 0;
  const e = step / r.stepsPerEpoch;
  if (r.stepsPerEpoch > 1 && Number.isInteger(e)) return r.epochs.timeMs[e - 1] ?? NaN;
  return (r.timeMs * step) / Math.max(1, r.steps);
}
