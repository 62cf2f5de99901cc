import { contendersFor, findContender, type Contender } from './contenders.ts';
import { baseGrid, extension, lrOf, refinement, type LrGrid } from './grid.ts';
import type { Budget, RaceProblem } from './race-problem.ts';
import { overallRanking } from './ranking.ts';
import type { CompareResults } from './results.ts';
import { runOne, type RunRecord } from './run.ts';
import { failedRun } from './scores.ts';
import { summariseProblem, type Tuning } from './summarise.ts';
import { bestPoint } from './tuning.ts';

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
  /**
   * Optimizer names (see `CONTENDERS`); default: the budget's (`contendersFor`: the seed's
   * optimizers plus AdamW and NAdam, and with `full` the new methods too).
   */
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

/** How many smaller learning rates are tried, one at a time, when every candidate failed a seed. */
export const FALLBACKS = 2;

function checkOptions(o: CompareOptions): {
  names: string[];
  seeds: number;
  problems: RaceProblem[];
} {
  const names = [...(o.optimizers ?? contendersFor(o.budget ?? 'full'))];
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

/** The protocol in words, for the report and results.json. */
function protocolText(seeds: number, lr: number | undefined): string {
  if (lr !== undefined) return `untuned: every optimizer at the fixed learning rate ${lr}`;
  return (
    `learning rate swept on seed 0 over a log grid; where the best lr sat at an end of the grid ` +
    `the grid was extended by a decade at a time, up to 2 decades; then refined to half the ` +
    `grid's spacing either side of the best; the ${CANDIDATES} best lrs of seed 0 then ran on ` +
    `all ${seeds} seed(s) (where each failed a seed, the next smaller lr too, up to ` +
    `${FALLBACKS} more), and the one with the fewest failed seeds, then the lowest mean score ` +
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
    const queued = new Set<string>();
    const fresh = jobs.filter((j) => {
      const k = key(j);
      if (done.has(k) || queued.has(k)) return false;
      queued.add(k);
      return true;
    });
    phaseTotal += fresh.length;
    await executor(problems, fresh, (job, r) => {
      // A worker rebuilds a problem from its built-in name; the race's own name labels the run.
      done.set(key(job), { ...r, problem: problems[job.problem]!.name });
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
      const cap = c.lrCapped ? (p.maxLr ?? Infinity) : Infinity;
      // A method that sets its own step size runs at its default lr only: no sweep to spend.
      const fixed = options.lr ?? (c.selfTuning ? c.defaultLr : null);
      const grid: LrGrid =
        fixed !== null ? { exponents: [], spacing: 0, base: [0, 0] } : baseGrid(c, p.gridPoints);
      grid.exponents = grid.exponents.filter((e) => lrOf(e) <= cap);
      tunings.push({
        pi,
        c,
        grid,
        cap,
        refined: [],
        extended: 0,
        fixed,
        fallbacks: [],
      });
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
    tunings.flatMap((t) =>
      t.fixed !== null
        ? [{ problem: t.pi, optimizer: t.c.name, lr: t.fixed, seed: 0 }]
        : sweepJobs(t, t.grid.exponents),
    ),
  );
  if (options.lr === undefined) {
    // 2. A best point at an end of the grid moves the end out, a decade at a time.
    for (let round = 0; round < 2; round++) {
      const more: Job[] = [];
      for (const t of tunings) {
        if (t.fixed !== null) continue;
        const best = bestExponent(t);
        const exps = t.grid.exponents;
        // Every point failed: the grid is too high for this problem.
        const side =
          best === null ? 'low' : best === exps[0] ? 'low' : best === exps.at(-1) ? 'high' : null;
        if (side === null) continue;
        const added = extension(t.grid, side, t.cap);
        if (added.length === 0) continue;
        t.grid.exponents = side === 'low' ? [...added.reverse(), ...exps] : [...exps, ...added];
        t.extended += added.length;
        more.push(...sweepJobs(t, added));
      }
      if (more.length === 0) break;
      await run(more);
    }
    for (const t of tunings) {
      if (t.fixed !== null) continue;
      const best = bestExponent(t);
      // 3. Half a grid step either side of the best.
      if (best !== null) t.refined = refinement(t.grid, best);
    }
    await run(tunings.flatMap((t) => sweepJobs(t, t.refined)));
  }

  // 4. The best two of seed 0 on every seed, and the default lr on every seed.
  phase = 'seeds';
  phaseDone = 0;
  phaseTotal = 0;
  const candidateLrs = (t: Tuning): number[] => {
    const points = lrs(t)
      .map((lr) => ({ lr, score: record(t.pi, t.c, lr, 0).score }))
      .filter((x) => Number.isFinite(x.score))
      .sort((a, b) => a.score - b.score || a.lr - b.lr);
    return [...points.slice(0, CANDIDATES).map((x) => x.lr), ...t.fallbacks];
  };
  const onEverySeed = (t: Tuning, lr: number) =>
    Array.from({ length: seeds }, (_, seed) => ({ problem: t.pi, optimizer: t.c.name, lr, seed }));
  await run(
    tunings.flatMap((t) => [...candidateLrs(t), t.c.defaultLr].flatMap((lr) => onEverySeed(t, lr))),
  );

  // 5. Where every candidate failed on some seed, the next smaller lr that seed 0 survived runs
  // on every seed too: smaller steps are the usual cure for a divergence on another start.
  for (let round = 0; round < FALLBACKS; round++) {
    const more: Job[] = [];
    for (const t of tunings) {
      if (t.fixed !== null) continue;
      const cands = candidateLrs(t);
      const fails = (lr: number) =>
        Array.from({ length: seeds }, (_, seed) => record(t.pi, t.c, lr, seed)).some((r) =>
          failedRun(problems[t.pi]!, r),
        );
      if (cands.length === 0 || !cands.every(fails)) continue;
      const below = lrs(t)
        .filter((lr) => lr < Math.min(...cands) && Number.isFinite(record(t.pi, t.c, lr, 0).score))
        .sort((a, b) => b - a)[0];
      if (below === undefined) continue;
      t.fallbacks.push(below);
      more.push(...onEverySeed(t, below));
    }
    if (more.length === 0) break;
    await run(more);
  }

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
