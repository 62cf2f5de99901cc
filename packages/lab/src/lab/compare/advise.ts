import type { BatchSize } from '../sampler.ts';
import { fastestBatch, measureThroughput, type BatchSpeed } from './throughput.ts';
import { intervalText, type PairedInterval } from './bootstrap.ts';
import { formatNumber } from './format.ts';
import { findContender } from './contenders.ts';
import { inspectProblem, type ProblemProfile } from './inspect.ts';
import type { RaceProblem } from './race-problem.ts';
import { compare, type Executor } from './race.ts';
import type { OptimizerResult, OptimizerSummary, ProblemResult } from './results.ts';

/**
 * The strong alternatives every trial races the guidance's pick against, one or more from each
 * family of per-coordinate and momentum methods: Adam, Nesterov's momentum SGD, Adagrad and
 * RMSprop. The guidance's pick joins them when it is not one of them.
 */
export const TRIAL_ALTERNATIVES: readonly string[] = ['adam', 'nesterov', 'adagrad', 'rmsprop'];

/** Seeds of the trial race unless `advise` is told otherwise. */
export const TRIAL_SEEDS = 3;

/** One raced optimizer in the trial, as the race scored it at its tuned learning rate. */
export interface TrialScore {
  name: string;
  label: string;
  /** Its place on the problem; exact ties share the mean of their places. */
  rank: number;
  /** The tuned learning rate (null when every lr tried failed). */
  bestLr: number | null;
  /** The tuned lr is the smallest or largest tried: a better one may lie beyond. */
  lrAtEdge: boolean;
  lrEdge: OptimizerResult['lrEdge'];
  /** Mean and sd over seeds of the race's score, a failed seed counted as no progress. */
  meanScore: number;
  sdScore: number;
  /** Seeds that diverged or (saddles) never escaped. */
  failedSeeds: number;
  meanTestAccuracy: number | null;
  sdTestAccuracy: number | null;
  /** Within the seeds' noise of the trial's best (the race's bootstrap interval holds 0). */
  withinNoiseOfBest: boolean;
  /** The race's interval of its per-seed difference from the best (null: the best, one seed). */
  vsBest: PairedInterval | null;
}

/** What the trial says about the guidance's pick. */
export interface Decision {
  /** `guidance`: the pick is within noise of the trial's best; `trial`: the best replaces it. */
  recommended: { optimizer: string; lr: number | null; source: 'guidance' | 'trial' };
  /** The best-ranked raced optimizer other than the recommendation. */
  runnerUp: { optimizer: string; lr: number | null; withinNoiseOfRecommended: boolean };
  /** Whether the guidance's pick stands. */
  held: boolean;
  /** The decision in words, with the scores, the test and its p-value. */
  verdict: string;
  /** Every raced optimizer, best first. */
  optimizers: TrialScore[];
}

/** A recommendation checked by a tuned race, and the usual guidance it started from. */
export interface Advice {
  problem: string;
  profile: ProblemProfile;
  /** The trial's best when the guidance's pick is not within noise of it, else the pick. */
  recommended: {
    optimizer: string;
    lr: number | null;
    batchSize: BatchSize;
    source: 'guidance' | 'trial';
  };
  /** The strongest other raced optimizer by the trial's ranking. */
  runnerUp: { optimizer: string; lr: number | null; withinNoiseOfRecommended: boolean };
  /** The usual guidance applied to this problem's profile. */
  guidance: { optimizer: string; batchSize: BatchSize; reason: string };
  /**
   * The batch size from this machine's measured throughput and the gradient-noise scale
   * ({@link fastestBatch}); the trial races at it. Speeds are empty for a deterministic problem.
   */
  batch: { chosen: BatchSize; speeds: BatchSpeed[]; reason: string };
  trial: {
    seeds: number;
    /** What the score is: final training loss, or steps to escape (lower is better). */
    score: string;
    /** Every raced optimizer, best first. */
    optimizers: TrialScore[];
    /** Whether the guidance's pick stands. */
    held: boolean;
    verdict: string;
    /** How the race told optimizers within the seeds' noise of the best from the rest. */
    separation: string;
    /** The race's tuning protocol in words. */
    protocol: string;
  };
}

/** The batch size to recommend: measured throughput here, weighed by the noise scale. */
async function chooseBatch(problem: RaceProblem, p: ProblemProfile): Promise<Advice['batch']> {
  if (p.kind === 'function' || p.trainSize <= 1 || !(p.noiseScale > 0)) {
    return {
      chosen: 'full',
      speeds: [],
      reason: 'No sampling noise (a deterministic objective): every step takes the full batch.',
    };
  }
  const { chosen, speeds } = fastestBatch(
    p.noiseScale,
    p.trainSize,
    await measureThroughput(problem),
  );
  const shown = speeds.map((s) => `${s.batchSize}: ${Math.round(s.samplesPerSecond)}/s`).join(', ');
  return {
    chosen,
    speeds,
    reason: `Batch size ${chosen}: measured on this machine (samples per second by batch size: ${shown}) and weighed by the gradient-noise scale ${p.noiseScale.toFixed(0)} (McCandlish et al. 2018: the time to a given loss grows as (1 + b / noise scale) / throughput), the fastest to a given loss.`,
  };
}

/** A power of two in [8, 256] near the noise scale, never above the training set. */
function batchFromNoise(p: ProblemProfile): BatchSize {
  if (p.kind === 'function' || p.trainSize <= 1) return 'full';
  const b = 2 ** Math.round(Math.log2(Math.max(8, Math.min(256, p.noiseScale || 32))));
  return Math.min(b, p.trainSize);
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/**
 * Applies the usual selection guidance to a measured profile: an optimizer, a batch size and
 * the reason. It names no runner-up; `advise` finds that by racing.
 */
export function guidance(p: ProblemProfile): {
  optimizer: string;
  batchSize: BatchSize;
  reason: string;
} {
  const batchSize = batchFromNoise(p);
  const size = `${p.params} parameters${p.trainSize > 1 ? ` and ${p.trainSize} training samples` : ''}`;
  if (p.kind === 'function' || p.trainSize <= 1) {
    return {
      optimizer: 'adam',
      batchSize,
      reason: `A deterministic objective with ${size}: no data to sample, so every step uses the exact gradient (batch gradient descent). The guidance makes Adam the default.`,
    };
  }
  const sparse = p.gradientZeroFraction > 0.5 || p.rareCoordinates > 0.3;
  const batch = `Its gradient-noise scale (McCandlish et al. 2018) at the start is ${p.noiseScale.toFixed(0)} samples, so a mini-batch of ${batchSize} (a power of two in 8..256 near it) uses the data efficiently.`;
  if (sparse) {
    return {
      optimizer: 'adam',
      batchSize,
      reason: `Sparse gradients: on average ${pct(p.gradientZeroFraction)} of the ${p.params} parameters get no gradient from a mini-batch (of ${p.trainSize} training samples), and ${pct(p.rareCoordinates)} of the coordinates that do get one see it in at most 10% of the batches. The guidance: with sparse data use an adaptive learning-rate method, per-coordinate step sizes let rare features learn; among them prefer Adam. ${batch}`,
    };
  }
  return {
    optimizer: 'adam',
    batchSize,
    reason: `Dense gradients (${pct(p.gradientZeroFraction)} zero coordinates per mini-batch) over ${size}. The guidance makes Adam the default. ${batch}`,
  };
}

/** The part of one raced optimizer's result that `decide` reads. */
export type TrialOptimizer = Pick<
  OptimizerResult,
  'name' | 'label' | 'rank' | 'withinNoiseOfBest' | 'vsBest' | 'bestLr' | 'lrAtEdge' | 'lrEdge'
> & {
  summary: Pick<
    OptimizerSummary,
    'scores' | 'meanScore' | 'sdScore' | 'failedSeeds' | 'meanTestAccuracy' | 'sdTestAccuracy'
  >;
};

/** The part of one problem's race result that `decide` reads (a `ProblemResult` will do). */
export type TrialProblem = Pick<
  ProblemResult,
  'objective' | 'ranking' | 'leaders' | 'separation'
> & {
  optimizers: readonly TrialOptimizer[];
};

/** Mean ± sd of the score (the sd only over several seeds), and the test accuracy if any. */
function scoreText(o: TrialScore, seeds: number): string {
  const sd = seeds > 1 && Number.isFinite(o.sdScore) ? ` ± ${formatNumber(o.sdScore, 2)}` : '';
  const acc =
    o.meanTestAccuracy !== null ? ` (test accuracy ${o.meanTestAccuracy.toFixed(3)})` : '';
  return `${formatNumber(o.meanScore)}${sd}${acc}`;
}

/** A learning rate as people write one: 0.032, 5.6e-6. */
export const lrText = (lr: number | null) =>
  lr === null ? '-' : lr >= 1e-3 ? String(lr) : lr.toExponential(1).replace('.0e', 'e');

/** The interval against the best, as the verdict says it. */
const vsText = (o: TrialScore) =>
  o.vsBest === null ? 'one seed: no interval' : `${intervalText(o.vsBest)} against the best`;

/** What may make an optimizer's showing less sure than its score: failed seeds, an edge lr. */
function caveats(o: TrialScore, seeds: number): string[] {
  const out: string[] = [];
  if (o.failedSeeds > 0) {
    out.push(`${o.label} failed (diverged or never escaped) on ${o.failedSeeds} of ${seeds} seeds`);
  }
  if (o.lrAtEdge) {
    const end =
      o.lrEdge === 'low'
        ? 'the smallest lr tried'
        : o.lrEdge === 'cap'
          ? "the problem's lr cap"
          : 'the largest lr tried';
    out.push(
      `${o.label}'s tuned lr ${lrText(o.bestLr)} sits at ${end}, so a better one may lie beyond`,
    );
  }
  return out;
}

function trialScore(o: TrialOptimizer): TrialScore {
  const s = o.summary;
  return {
    name: o.name,
    label: o.label,
    rank: o.rank,
    bestLr: o.bestLr,
    lrAtEdge: o.lrAtEdge,
    lrEdge: o.lrEdge,
    meanScore: s.meanScore,
    sdScore: s.sdScore,
    failedSeeds: s.failedSeeds,
    meanTestAccuracy: s.meanTestAccuracy,
    sdTestAccuracy: s.sdTestAccuracy,
    withinNoiseOfBest: o.withinNoiseOfBest,
    vsBest: o.vsBest,
  };
}

/**
 * The decision rule of `advise`, on one problem's race result: the guidance's `pick` stands when
 * it is among the race's `leaders` (within the seeds' noise of the best); otherwise the trial's
 * best (`ranking[0]`) at its tuned lr replaces it. The runner-up is the best-ranked raced
 * optimizer other than the recommendation. The verdict gives both scores and the pick's interval
 * against the best, and names failed seeds and lrs at a grid edge.
 */
export function decide(pick: string, trial: TrialProblem): Decision {
  const byName = new Map(trial.optimizers.map((o) => [o.name, trialScore(o)]));
  const known = trial.optimizers.map((o) => o.name).join(', ');
  if (!byName.has(pick)) {
    throw new RangeError(
      `decide: pick must be one of the raced optimizers (${known}), got ${pick}`,
    );
  }
  if (trial.optimizers.length < 2) {
    throw new RangeError(`decide: the trial must race at least 2 optimizers, got ${known}`);
  }
  const ranked = trial.ranking.map((n) => byName.get(n)!);
  const seeds = trial.optimizers[0]!.summary.scores.length;
  const best = ranked[0]!;
  const chosen = byName.get(pick)!;
  const held = trial.leaders.includes(pick);
  const rec = held ? chosen : best;
  const runner = ranked.find((o) => o.name !== rec.name)!;
  // Noise is tested against the best only: the pick in the leaders is within noise of the best
  // (then the runner-up), and a runner-up is within noise of a best recommendation if a leader.
  const runnerWithin = rec.name === best.name ? runner.withinNoiseOfBest : true;
  const measure = trial.objective === 'escape' ? 'Steps to escape' : 'Final training loss';
  const over = seeds > 1 ? `mean ± sd over ${seeds} seeds` : 'one seed';
  const scores = (os: TrialScore[]) =>
    `${measure}, ${over}: ${os.map((o) => `${o.label} ${scoreText(o, seeds)}`).join(', ')}.`;
  let verdict: string;
  if (held && rec.name === best.name) {
    verdict =
      `The trial agrees with the guidance: ${rec.label} ranks first, and the runner-up ` +
      `${runner.label} is ${runnerWithin ? 'within' : 'outside'} the seeds' noise of it ` +
      `(${vsText(runner)}). ${scores([rec, runner])}`;
  } else if (held) {
    verdict =
      `The guidance's pick stands: ${rec.label} is within the seeds' noise of the trial's best, ` +
      `${best.label} (${vsText(rec)}). ${scores([best, rec])}`;
  } else {
    verdict =
      `The trial disagreed with the guidance: ${best.label} ranks first and ${chosen.label} is ` +
      `not within the seeds' noise of it (${vsText(chosen)}), so the recommendation is ` +
      `${best.label} at lr ${lrText(best.bestLr)}, not ${chosen.label}. ${scores([best, chosen])}`;
  }
  const named = [...new Set([rec, best])];
  const notes = named.flatMap((o) => caveats(o, seeds));
  if (notes.length > 0) verdict += ` Caution: ${notes.join('; ')}.`;
  return {
    recommended: {
      optimizer: rec.name,
      lr: rec.bestLr,
      source: held ? 'guidance' : 'trial',
    },
    runnerUp: { optimizer: runner.name, lr: runner.bestLr, withinNoiseOfRecommended: runnerWithin },
    held,
    verdict: `${verdict} Test: ${trial.separation}.`,
    optimizers: ranked,
  };
}

/**
 * Inspects a problem, applies the usual guidance (optimizer and batch size, with the reason),
 * then races the guidance's pick against {@link TRIAL_ALTERNATIVES} with learning rates tuned by
 * `compare` over `seeds` seeds (default {@link TRIAL_SEEDS}), and recommends by {@link decide}:
 * the pick if the trial cannot tell it from the best, else the trial's best. `resize` builds the
 * problem at the guidance's batch size.
 */
export async function advise(
  problem: RaceProblem,
  options: {
    seeds?: number;
    resize?: (batchSize: BatchSize) => RaceProblem;
    executor?: Executor;
  } = {},
): Promise<Advice> {
  const profile = await inspectProblem(problem);
  const g = guidance(profile);
  findContender(g.optimizer);
  const batch = await chooseBatch(problem, profile);
  const raced = options.resize ? options.resize(batch.chosen) : problem;
  const seeds = options.seeds ?? TRIAL_SEEDS;
  const optimizers = [g.optimizer, ...TRIAL_ALTERNATIVES.filter((n) => n !== g.optimizer)];
  const r = await compare({
    problems: [raced],
    optimizers,
    seeds,
    ...(options.executor ? { executor: options.executor } : {}),
  });
  const p = r.problems[0]!;
  const d = decide(g.optimizer, p);
  return {
    problem: problem.name,
    profile,
    recommended: { ...d.recommended, batchSize: batch.chosen },
    runnerUp: d.runnerUp,
    guidance: { optimizer: g.optimizer, batchSize: g.batchSize, reason: g.reason },
    batch,
    trial: {
      seeds,
      score: p.objective === 'escape' ? 'steps to escape' : 'final training loss',
      optimizers: d.optimizers,
      held: d.held,
      verdict: d.verdict,
      separation: p.separation,
      protocol: r.config.protocol,
    },
  };
}
