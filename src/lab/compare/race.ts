import { DEFAULT_CONTENDERS, findContender, lrGrid, type Contender } from './contenders.ts';
import type { Budget, RaceProblem } from './problems.ts';
import { runOne, type RunRecord } from './run.ts';
import {
  bestPoint,
  expectedBestOfK,
  goodLrs,
  mean,
  median,
  sd,
  type SweepPoint,
} from './tuning.ts';

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

export interface Progress {
  phase: 'sweep' | 'seeds';
  done: number;
  total: number;
  problem: string;
  optimizer: string;
}

export interface OptimizerSummary {
  /** Median score over seeds at the tuned lr (the ranking key). */
  medianScore: number;
  meanFinalLoss: number | null;
  sdFinalLoss: number | null;
  meanTestAccuracy: number | null;
  sdTestAccuracy: number | null;
  /** Median steps to reach the problem's target (null when fewer than half the seeds reach it). */
  stepsToTarget: number | null;
  /** Median epochs to the target (data sets). */
  epochsToTarget: number | null;
  /** Median wall time to the target, ms. */
  timeToTargetMs: number | null;
  divergedSeeds: number;
  /** Median escape step over seeds (saddles). */
  escapeStep: number | null;
  meanTimeMs: number;
}

export interface OptimizerResult {
  name: string;
  label: string;
  family: Contender['family'];
  defaultLr: number;
  /** Seed 0 at every lr of the grid (one point when the lr is fixed). */
  sweep: { lr: number; score: number; finalTrainLoss: number | null; diverged: boolean }[];
  bestLr: number | null;
  /** Expected best score of random search over the grid with k trials, k = 1..grid size. */
  expectedBest: { trials: number; score: number }[];
  /** The learning rates within 10% of the best improvement, and their width in decades. */
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
  /** Test function data for plots (2-D functions). */
  fn: { name: string; window: number[][]; minima: number[][]; contour: 'log' | 'linear' } | null;
  optimizers: OptimizerResult[];
  /** Optimizer names, best first, by median tuned score. */
  ranking: string[];
}

export interface CompareResults {
  schema: 'descent/compare';
  version: 1;
  config: { optimizers: string[]; seeds: number; lr: number | null; tuned: boolean };
  problems: ProblemResult[];
  /** Mean rank of each optimizer over the problems, best first. */
  overall: { optimizer: string; label: string; meanRank: number; ranks: Record<string, number> }[];
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

/**
 * The race: every optimizer on every problem under identical conditions (same seeds, same
 * initial points and weights, same data order). Unless `lr` is fixed, each optimizer's lr is
 * tuned on seed 0 over a log grid, then the best lr runs on every seed; each optimizer also runs
 * at its default lr on every seed. Deterministic: the same options give the same numbers (wall
 * times aside).
 */
export async function compare(options: CompareOptions): Promise<CompareResults> {
  const { names, seeds, problems } = checkOptions(options);
  const executor = options.executor ?? inlineExecutor;
  const contenders = names.map(findContender);
  const done = new Map<string, RunRecord>();
  const report = (phase: Progress['phase'], total: number) => (job: Job, r: RunRecord) => {
    done.set(key(job), r);
    options.onProgress?.({
      phase,
      done: done.size,
      total,
      problem: r.problem,
      optimizer: r.optimizer,
    });
  };

  // Phase 1: the sweeps on seed 0.
  const sweepJobs: Job[] = [];
  problems.forEach((p, pi) => {
    for (const c of contenders) {
      const cap = c.name === 'adadelta' ? Infinity : (p.maxLr ?? Infinity);
      const grid =
        options.lr !== undefined ? [options.lr] : lrGrid(c, p.gridPoints).filter((lr) => lr <= cap);
      for (const lr of grid) sweepJobs.push({ problem: pi, optimizer: c.name, lr, seed: 0 });
    }
  });
  await executor(problems, sweepJobs, report('sweep', sweepJobs.length));

  // Phase 2: the best lr and the default lr on every seed (runs already done are reused).
  const best = new Map<string, number | null>();
  const seedJobs: Job[] = [];
  problems.forEach((_, pi) => {
    for (const c of contenders) {
      const sweep = sweepJobs.filter((j) => j.problem === pi && j.optimizer === c.name);
      const point = bestPoint(sweep.map((j) => ({ lr: j.lr, score: done.get(key(j))!.score })));
      best.set(`${pi}|${c.name}`, point?.lr ?? null);
      const lrs = [point?.lr ?? c.defaultLr, c.defaultLr];
      for (const lr of lrs) {
        for (let seed = 0; seed < seeds; seed++) {
          const job = { problem: pi, optimizer: c.name, lr, seed };
          if (!done.has(key(job)) && !seedJobs.some((j) => key(j) === key(job))) seedJobs.push(job);
        }
      }
    }
  });
  const before = done.size;
  await executor(problems, seedJobs, (job, r) => {
    done.set(key(job), r);
    options.onProgress?.({
      phase: 'seeds',
      done: done.size - before,
      total: seedJobs.length,
      problem: r.problem,
      optimizer: r.optimizer,
    });
  });

  const results = problems.map((p, pi) =>
    summariseProblem(p, pi, contenders, seeds, best, done, sweepJobs),
  );
  return {
    schema: 'descent/compare',
    version: 1,
    config: { optimizers: names, seeds, lr: options.lr ?? null, tuned: options.lr === undefined },
    problems: results,
    overall: overallRanking(results, contenders),
  };
}

function summariseProblem(
  p: RaceProblem,
  pi: number,
  contenders: Contender[],
  seeds: number,
  best: Map<string, number | null>,
  done: Map<string, RunRecord>,
  sweepJobs: Job[],
): ProblemResult {
  const runsAt = (c: Contender, lr: number) =>
    Array.from({ length: seeds }, (_, seed) =>
      done.get(key({ problem: pi, optimizer: c.name, lr, seed }))!,
    );
  const tunedRuns = contenders.map((c) => runsAt(c, best.get(`${pi}|${c.name}`) ?? c.defaultLr));
  const target = problemTarget(p, tunedRuns.flat());
  const optimizers = contenders.map((c, ci): OptimizerResult => {
    const sweep = sweepJobs
      .filter((j) => j.problem === pi && j.optimizer === c.name)
      .map((j) => done.get(key(j))!)
      .map((r) => ({
        lr: r.lr,
        score: r.score,
        finalTrainLoss: r.finalTrainLoss,
        diverged: r.diverged,
      }));
    const reference = referenceScore(p, tunedRuns.flat());
    const good = goodLrs(sweep as SweepPoint[], reference);
    // Trajectories are drawn for seed 0 at the tuned lr only; the other runs drop theirs.
    const tuned = tunedRuns[ci]!.map((r, i) => (i === 0 ? r : { ...r, trajectory: null }));
    const defaults = runsAt(c, c.defaultLr).map((r) => ({ ...r, trajectory: null }));
    return {
      name: c.name,
      label: c.label,
      family: c.family,
      defaultLr: c.defaultLr,
      sweep,
      bestLr: best.get(`${pi}|${c.name}`) ?? null,
      expectedBest: expectedBestOfK(
        sweep.map((s) => s.score),
        reference,
      ),
      goodLrs: good,
      goodDecades: good.length * 0.5,
      tuned,
      defaults,
      summary: summarise(p, tuned, target),
      defaultSummary: summarise(p, defaults, target),
    };
  });
  // Losses within 1e-10 of the untrained loss of zero are all "converged": rounding decides
  // between them, so converged runs are ranked by their speed (steps to the target) instead.
  const floor = p.objective === 'loss' ? 1e-10 * Math.abs(referenceScore(p, tunedRuns.flat())) : 0;
  const rankKey = (o: OptimizerResult) => Math.max(o.summary.medianScore, floor);
  const speed = (o: OptimizerResult) => o.summary.stepsToTarget ?? Infinity;
  const ranking = [...optimizers]
    .sort((a, b) => rankKey(a) - rankKey(b) || speed(a) - speed(b) || a.name.localeCompare(b.name))
    .map((o) => o.name);
  return {
    name: p.name,
    description: p.description,
    kind: p.kind,
    objective: p.objective,
    epochs: p.epochs,
    batchSize: p.batchSize,
    target,
    fn:
      p.fn && p.fn.dim === 2
        ? {
            name: p.fn.name,
            window: p.fn.window.map((w) => [...w]),
            minima: p.fn.minima.map((m) => [...m]),
            contour: p.fn.contour,
          }
        : null,
    optimizers,
    ranking,
  };
}

/** What an untrained run scores: the initial loss, or for saddles a never-escaping run. */
function referenceScore(p: RaceProblem, runs: RunRecord[]): number {
  if (p.objective === 'escape') return (runs[0]?.steps ?? p.epochs) + 1;
  return median(runs.map((r) => r.initialLoss));
}

/** The target loss: 90% of the best improvement any tuned run made over its initial loss. */
function problemTarget(p: RaceProblem, runs: RunRecord[]): number | null {
  if (p.objective === 'escape') return null;
  const finals = runs
    .map((r) => (p.kind === 'dataset' ? r.epochs.trainLoss.at(-1) : r.finalTrainLoss))
    .filter((x): x is number => x !== null && x !== undefined && Number.isFinite(x));
  if (finals.length === 0) return null;
  const bestFinal = Math.min(...finals);
  const initial = median(runs.map((r) => r.initialLoss));
  return bestFinal + 0.1 * (initial - bestFinal);
}

function summarise(p: RaceProblem, runs: RunRecord[], target: number | null): OptimizerSummary {
  const finite = (xs: (number | null)[]) =>
    xs.filter((x): x is number => x !== null && Number.isFinite(x));
  const losses = finite(runs.map((r) => r.finalTrainLoss));
  const acc = finite(runs.map((r) => r.testAccuracy));
  const toTarget = runs.map((r) => reachTarget(p, r, target));
  const reached = toTarget.filter((t) => t !== null) as {
    steps: number;
    epochs: number | null;
    timeMs: number;
  }[];
  const half = reached.length * 2 >= runs.length && reached.length > 0;
  const escapes = runs.map((r) => r.escapeStep).filter((x): x is number => x !== null);
  return {
    medianScore: median(runs.map((r) => r.score)),
    meanFinalLoss: losses.length === runs.length ? mean(losses) : null,
    sdFinalLoss: losses.length === runs.length ? sd(losses) : null,
    meanTestAccuracy: acc.length ? mean(acc) : null,
    sdTestAccuracy: acc.length ? sd(acc) : null,
    stepsToTarget: half ? median(toTarget.map((t) => t?.steps ?? Infinity)) : null,
    epochsToTarget:
      half && p.kind === 'dataset' ? median(toTarget.map((t) => t?.epochs ?? Infinity)) : null,
    timeToTargetMs: half ? median(toTarget.map((t) => t?.timeMs ?? Infinity)) : null,
    divergedSeeds: runs.filter((r) => r.diverged && r.escapeStep === null).length,
    escapeStep:
      p.objective === 'escape' && escapes.length * 2 >= runs.length && escapes.length > 0
        ? median(runs.map((r) => r.escapeStep ?? Infinity))
        : null,
    meanTimeMs: mean(runs.map((r) => r.timeMs)),
  };
}

/** When a run first reached the target: by epoch train loss on data sets, by step elsewhere. */
function reachTarget(
  p: RaceProblem,
  r: RunRecord,
  target: number | null,
): { steps: number; epochs: number | null; timeMs: number } | null {
  if (target === null) return null;
  if (p.kind === 'dataset') {
    const e = r.epochs.trainLoss.findIndex((l) => l <= target);
    if (e < 0) return null;
    const perEpoch = r.steps / Math.max(1, r.epochs.trainLoss.length);
    return {
      steps: Math.round((e + 1) * perEpoch),
      epochs: e + 1,
      timeMs: r.epochs.timeMs[e] ?? NaN,
    };
  }
  const i = r.curve.loss.findIndex((l) => l <= target);
  if (i < 0) return null;
  const steps = r.curve.step[i]!;
  return { steps, epochs: null, timeMs: (r.timeMs * steps) / Math.max(1, r.steps) };
}

function overallRanking(
  problems: ProblemResult[],
  contenders: Contender[],
): CompareResults['overall'] {
  return contenders
    .map((c) => {
      const ranks: Record<string, number> = {};
      for (const p of problems) ranks[p.name] = p.ranking.indexOf(c.name) + 1;
      return { optimizer: c.name, label: c.label, meanRank: mean(Object.values(ranks)), ranks };
    })
    .sort((a, b) => a.meanRank - b.meanRank || a.optimizer.localeCompare(b.optimizer));
}
