import type { BatchSize } from '../sampler.ts';
import { findContender } from './contenders.ts';
import { inspectProblem, type ProblemProfile } from './inspect.ts';
import type { RaceProblem } from './problems.ts';
import { compare, type Executor, type OptimizerResult } from './race.ts';

/** A recommendation of the usual guidance, and what a short race said about it. */
export interface Advice {
  problem: string;
  profile: ProblemProfile;
  recommended: { optimizer: string; lr: number | null; batchSize: BatchSize };
  runnerUp: { optimizer: string; lr: number | null };
  /** The guidance applied to this problem, in one paragraph. */
  reason: string;
  trial: {
    seeds: number;
    recommended: TrialScore;
    runnerUp: TrialScore;
    /** Whether the trial race agreed with the guidance. */
    held: boolean;
    verdict: string;
  };
}

export interface TrialScore {
  medianScore: number;
  testAccuracy: number | null;
  bestLr: number | null;
}

/** A power of two in [8, 256] near the noise scale, never above the training set. */
function batchFromNoise(p: ProblemProfile): BatchSize {
  if (p.kind === 'function' || p.trainSize <= 1) return 'full';
  const b = 2 ** Math.round(Math.log2(Math.max(8, Math.min(256, p.noiseScale || 32))));
  return Math.min(b, p.trainSize);
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** Applies the selection guidance to a measured profile. */
export function guidance(p: ProblemProfile): {
  optimizer: string;
  runnerUp: string;
  batchSize: BatchSize;
  reason: string;
} {
  const batchSize = batchFromNoise(p);
  const size = `${p.params} parameters${p.trainSize > 1 ? ` and ${p.trainSize} training samples` : ''}`;
  if (p.kind === 'function' || p.trainSize <= 1) {
    return {
      optimizer: 'adam',
      runnerUp: 'nesterov',
      batchSize,
      reason: `A deterministic objective with ${size}: no data to sample, so every step uses the exact gradient (batch gradient descent). The guidance makes Adam the default; on smooth, deterministic problems momentum methods are its usual rival, so Nesterov's is the runner-up.`,
    };
  }
  const sparse = p.gradientZeroFraction > 0.5 || p.rareCoordinates > 0.3;
  const batch = `Its gradient-noise scale (McCandlish et al. 2018) at the start is ${p.noiseScale.toFixed(0)} samples, so a mini-batch of ${batchSize} (a power of two in 8..256 near it) uses the data efficiently.`;
  if (sparse) {
    return {
      optimizer: 'adam',
      runnerUp: 'adagrad',
      batchSize,
      reason: `Sparse gradients: on average ${pct(p.gradientZeroFraction)} of the ${p.params} parameters get no gradient from a mini-batch (of ${p.trainSize} training samples), and ${pct(p.rareCoordinates)} of the coordinates that do get one see it in at most 10% of the batches. The guidance: with sparse data use an adaptive learning-rate method, per-coordinate step sizes let rare features learn; among them prefer Adam. Adagrad, the classic choice for sparse features, is the runner-up. ${batch}`,
    };
  }
  return {
    optimizer: 'adam',
    runnerUp: 'adam-sgd',
    batchSize,
    reason: `Dense gradients (${pct(p.gradientZeroFraction)} zero coordinates per mini-batch) over ${size}. The guidance makes Adam the default, and suggests switching to SGD late in training for a better final result, so Adam→SGD (Adam for half the run, then SGD with momentum from the SWATS learning-rate estimate) is the runner-up. ${batch}`,
  };
}

function trialScore(o: OptimizerResult): TrialScore {
  return {
    medianScore: o.summary.medianScore,
    testAccuracy: o.summary.meanTestAccuracy,
    bestLr: o.bestLr,
  };
}

/**
 * Inspects a problem, recommends an optimizer, learning rate and batch size by the usual
 * guidance, and checks the recommendation with a short race against the runner-up (learning
 * rates tuned for both, `seeds` seeds). `resize` builds the problem at the recommended batch size.
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
  const raced = options.resize ? options.resize(g.batchSize) : problem;
  const seeds = options.seeds ?? 2;
  const r = await compare({
    problems: [raced],
    optimizers: [g.optimizer, g.runnerUp],
    seeds,
    ...(options.executor ? { executor: options.executor } : {}),
  });
  const [rec, run] = r.problems[0]!.optimizers as [OptimizerResult, OptimizerResult];
  const useAccuracy =
    rec.summary.meanTestAccuracy !== null && run.summary.meanTestAccuracy !== null;
  // Higher is better for accuracy, lower for scores; `gap` > 0 means the runner-up did better.
  const gap = useAccuracy
    ? run.summary.meanTestAccuracy! - rec.summary.meanTestAccuracy!
    : rec.summary.medianScore - run.summary.medianScore;
  // A tie: within the spread over seeds (and at least half a point of accuracy, or 5% of loss).
  const noise = useAccuracy
    ? Math.max(rec.summary.sdTestAccuracy ?? 0, run.summary.sdTestAccuracy ?? 0, 0.005)
    : 0.05 * Math.abs(rec.summary.medianScore);
  // Two losses within 1e-10 of the untrained loss of zero have both converged: also a tie.
  const floor = 1e-10 * Math.abs(rec.tuned[0]?.initialLoss ?? 0);
  const converged =
    !useAccuracy && rec.summary.medianScore <= floor && run.summary.medianScore <= floor;
  const tie = Math.abs(gap) <= noise || converged;
  const held = gap <= 0 || tie;
  const what = useAccuracy
    ? 'test accuracy'
    : problem.objective === 'escape'
      ? 'steps to escape'
      : 'final training loss';
  const show = (o: OptimizerResult) =>
    useAccuracy
      ? o.summary.meanTestAccuracy!.toFixed(3)
      : Number(o.summary.medianScore.toPrecision(3)).toString();
  const setting = `${what}, ${seeds} seeds, tuned learning rates`;
  const verdict = converged
    ? `In the trial race both converged (final losses ${show(rec)} and ${show(run)}, below 1e-10 of the start; ${setting}); the recommendation stands.`
    : tie
      ? `The trial race is a tie within noise: ${rec.label} ${show(rec)} vs ${run.label} ${show(run)} (${setting}); the recommendation stands.`
      : held
        ? `The trial race agrees: ${rec.label} ${show(rec)} vs ${run.label} ${show(run)} (${setting}).`
        : `The trial race disagrees: ${run.label} ${show(run)} beat ${rec.label} ${show(rec)} (${setting}); on this problem prefer ${run.label} at lr ${run.bestLr}.`;
  return {
    problem: problem.name,
    profile,
    recommended: { optimizer: g.optimizer, lr: rec.bestLr, batchSize: g.batchSize },
    runnerUp: { optimizer: g.runnerUp, lr: run.bestLr },
    reason: g.reason,
    trial: { seeds, recommended: trialScore(rec), runnerUp: trialScore(run), held, verdict },
  };
}
