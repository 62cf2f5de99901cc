import { Sampler } from '../sampler.ts';
import { Trainer } from '../trainer.ts';
import type { Contender, DegenerateAs } from './contenders.ts';
import { lossNoise } from './noise.ts';
import { ESCAPE_LOSS, type RaceProblem } from './race-problem.ts';

/** At most this many points per recorded curve (curves are bucketed, keeping each bucket's min). */
export const CURVE_POINTS = 120;

/** A run whose final loss exceeds this many times max(1, |initial loss|) counts as diverged. */
export const BLOW_UP = 1000;

/** At most this many points per 2-D trajectory (after thinning by distance). */
export const TRAJECTORY_POINTS = 1500;

/**
 * The whole-training-set loss of a run, wherever it was measured (every step on a test function,
 * every epoch end on a data set), kept only where it reached a new low: the first step at which
 * the run reached any level is the first entry at or below it. Exact, whatever the target.
 */
export interface LossLows {
  step: number[];
  loss: number[];
}

/** What one run (problem, optimizer, lr, seed) produced: everything the report needs. */
export interface RunRecord {
  problem: string;
  optimizer: string;
  lr: number;
  seed: number;
  /** The problem's objective; lower is better; Infinity when diverged (or never escaped). */
  score: number;
  /** The loss over the whole training set at the final parameters (null when not finite). */
  finalTrainLoss: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  diverged: boolean;
  divergence: string | null;
  steps: number;
  /** Steps per epoch (1 on a test function). */
  stepsPerEpoch: number;
  /** Training samples (1 on a test function). */
  trainSize: number;
  /** The whole-training-set loss before the first step. */
  initialLoss: number;
  /** Per-step loss, bucketed: `step[i]` is the bucket's last step, `loss[i]` its lowest loss. */
  curve: { step: number[]; loss: number[] };
  /**
   * Per-epoch curves (data sets; empty on a test function): `trainLoss` is the whole-training-set loss at each epoch's end
   * (the same quantity as `finalTrainLoss`), `batchLoss` the mean mini-batch loss during it.
   */
  epochs: {
    trainLoss: number[];
    batchLoss: number[];
    testAccuracy: (number | null)[];
    timeMs: number[];
  };
  /** The record lows of the whole-training-set loss; used for steps-to-target, then dropped. */
  lows?: LossLows;
  /** Saddles: the number of steps after which the loss was first below the escape level. */
  escapeStep: number | null;
  /** 2-D functions: the path (start included), thinned by distance, at most TRAJECTORY_POINTS. */
  trajectory: number[][] | null;
  /** Training wall time in ms (the only non-deterministic field). */
  timeMs: number;
  /** Data sets: training samples per second, the first epoch (JIT warm-up) left off the clock. */
  samplesPerSecond: number | null;
  /** The spread of the per-update loss around its trend ({@link lossNoise}; null if diverged). */
  lossNoise: number | null;
  /**
   * Where the optimizer was exactly another one on this problem (Muon+AdamW on a model without a
   * matrix is AdamW): which, and why. Absent where it ran as itself; the race moves it to the
   * problem's `OptimizerResult`.
   */
  degenerateAs?: DegenerateAs;
}

function bucket(values: number[], points: number): { step: number[]; loss: number[] } {
  const n = values.length;
  const size = Math.max(1, Math.ceil(n / points));
  const step: number[] = [];
  const loss: number[] = [];
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    let m = Infinity;
    for (let i = start; i < end; i++)
      m = Math.min(m, Number.isNaN(values[i]!) ? Infinity : values[i]!);
    step.push(end);
    loss.push(m);
  }
  return { step, loss };
}

/** Appends (step, loss) when the loss is a new low. */
function pushLow(lows: LossLows, step: number, loss: number): void {
  const last = lows.loss.at(-1) ?? Infinity;
  if (loss < last) {
    lows.step.push(step);
    lows.loss.push(loss);
  }
}

/** The first step at which a run's recorded loss was at or below `level`, or null. */
export function firstStepAtOrBelow(lows: LossLows, level: number): number | null {
  const i = lows.loss.findIndex((l) => l <= level);
  return i < 0 ? null : lows.step[i]!;
}

/**
 * Thins a 2-D path for drawing without cutting corners: a point is kept when it lies at least
 * `minMove` (in each axis, a fraction of the plot window) from the last kept one, so oscillations
 * stay visible while a converged tail collapses; the first and last points are always kept.
 */
export function thinPath(
  path: readonly number[][],
  window: readonly (readonly number[])[],
  max = TRAJECTORY_POINTS,
): number[][] {
  if (path.length <= 2) return path.map((p) => [...p]);
  const [[x1, x2], [y1, y2]] = window as [[number, number], [number, number]];
  const dx = (x2 - x1) / 400;
  const dy = (y2 - y1) / 400;
  const out: number[][] = [[...path[0]!]];
  for (let i = 1; i < path.length - 1; i++) {
    const p = path[i]!;
    const q = out.at(-1)!;
    const far = Math.abs(p[0]! - q[0]!) >= dx || Math.abs(p[1]! - q[1]!) >= dy;
    if (far || !p.every(Number.isFinite)) out.push([...p]);
  }
  out.push([...path.at(-1)!]);
  if (out.length <= max) return out;
  const every = Math.ceil(out.length / max);
  return out.filter((_, i) => i % every === 0 || i === out.length - 1);
}

/**
 * Training samples per second over the epochs after the first (whose time is mostly warm-up of
 * the JIT and of tfjs), or over the one epoch there is; null on a test function (no data).
 */
function throughput(trainSize: number, epochEndsMs: readonly number[]): number | null {
  const e = epochEndsMs.length;
  if (trainSize <= 1 || e === 0) return null;
  const ms = e >= 2 ? epochEndsMs[e - 1]! - epochEndsMs[0]! : epochEndsMs[0]!;
  const samples = (e >= 2 ? e - 1 : 1) * trainSize;
  return ms > 0 ? (1000 * samples) / ms : null;
}

/** Runs one training run to the end and summarises it. */
export async function runOne(
  problem: RaceProblem,
  contender: Contender,
  lr: number,
  seed: number,
): Promise<RunRecord> {
  const model = await problem.create(seed);
  try {
    const perEpoch = new Sampler(model.trainSize, problem.batchSize, seed).stepsPerEpoch;
    const degenerate = contender.degenerateAs?.(model.params, model.shapes) ?? null;
    const totalSteps = problem.epochs * perEpoch;
    const initialLoss = model.trainLoss();
    const fullBatch = model.trainSize === 1 || problem.batchSize === 'full';
    // On a data set the whole-training-set loss is measured at every epoch's end (outside the
    // timed step), so the target and the final-loss column speak of the same quantity.
    const epochLoss: number[] = [];
    // An averaging method (Schedule-Free, ASGD) answers with its eval point: on a full batch
    // its whole loss is measured there after every step, as it is at every epoch's end.
    const evalLoss: number[] = [];
    const atEval = () => trainer.atEvalPoint(() => model.trainLoss());
    const trainer: Trainer = new Trainer(model, {
      optimizer: (params, shapes) => contender.build(params, lr, totalSteps, shapes),
      epochs: problem.epochs,
      batchSize: problem.batchSize,
      seed,
      recordParams: problem.fn !== undefined && problem.fn.dim === 2,
      ...(model.trainSize > 1 ? { onEpoch: () => epochLoss.push(atEval()) } : {}),
    });
    const averaging = trainer.optimizer.evalParams !== undefined;
    if (averaging && fullBatch) {
      while (trainer.step()) evalLoss.push(atEval());
    }
    const result = trainer.run();
    // Full batch: losses[k] is the whole loss after k steps (at the eval point of an averaging
    // method: the start, then after each step but the last, which the final loss closes).
    const losses =
      averaging && fullBatch ? [initialLoss, ...evalLoss.slice(0, -1)] : result.steps.loss;
    const finalTrainLoss = result.final.trainLoss;
    // Full batch: losses[k] is the whole loss after k steps, and the final loss closes the list.
    const lows: LossLows = { step: [], loss: [] };
    pushLow(lows, 0, initialLoss);
    if (fullBatch) {
      losses.forEach((l, k) => pushLow(lows, k, Number.isNaN(l) ? Infinity : l));
    } else {
      epochLoss.forEach((l, e) =>
        pushLow(lows, result.epochs.steps[e]!, Number.isNaN(l) ? Infinity : l),
      );
    }
    if (finalTrainLoss !== null) pushLow(lows, result.final.steps, finalTrainLoss);
    let escapeStep: number | null = null;
    if (problem.objective === 'escape') {
      const k = losses.findIndex((l) => l <= ESCAPE_LOSS);
      escapeStep =
        k >= 0
          ? k
          : finalTrainLoss !== null && finalTrainLoss <= ESCAPE_LOSS
            ? result.final.steps
            : null;
    }
    // A loss a thousand times its start has diverged in all but name (Momentum on Rosenbrock
    // can sit at 1e306 without overflowing); saddles are unbounded below, so only growth counts.
    const blewUp =
      problem.objective === 'loss' &&
      finalTrainLoss !== null &&
      finalTrainLoss > BLOW_UP * Math.max(1, Math.abs(initialLoss));
    const diverged = (result.final.diverged || blewUp) && escapeStep === null;
    const score =
      problem.objective === 'escape'
        ? (escapeStep ?? Infinity)
        : diverged || finalTrainLoss === null
          ? Infinity
          : finalTrainLoss;
    let trajectory: number[][] | null = null;
    if (result.steps.params && problem.fn) {
      const path = [...result.steps.params, model.params.flatMap((p) => Array.from(p))];
      trajectory = thinPath(path, problem.fn.window);
    }
    return {
      problem: problem.name,
      optimizer: contender.name,
      lr,
      seed,
      score,
      finalTrainLoss,
      testLoss: result.final.testLoss,
      testAccuracy: result.final.testAccuracy,
      diverged,
      // A saddle run that escaped and then ran off to -infinity stopped there: it escaped.
      divergence:
        result.divergence && escapeStep !== null
          ? `after escaping at step ${escapeStep}: ${result.divergence.reason}`
          : (result.divergence?.reason ??
            (blewUp ? `final loss ${finalTrainLoss} is over ${BLOW_UP}x the start` : null)),
      steps: result.final.steps,
      stepsPerEpoch: perEpoch,
      trainSize: model.trainSize,
      initialLoss,
      curve: bucket(losses, CURVE_POINTS),
      // A test function's epoch is one step: its per-epoch curves would repeat `curve` (and
      // triple the size of results.json), so they are left empty.
      epochs:
        model.trainSize === 1
          ? { trainLoss: [], batchLoss: [], testAccuracy: [], timeMs: [] }
          : {
              // At the epoch's end, after its updates (a full batch's epoch loss is the loss
              // before its one update, a step behind).
              trainLoss: epochLoss,
              batchLoss: result.epochs.trainLoss,
              testAccuracy: result.epochs.testAccuracy,
              timeMs: result.epochs.timeMs,
            },
      lows,
      escapeStep,
      trajectory,
      timeMs: result.timeMs,
      samplesPerSecond: throughput(model.trainSize, result.epochs.timeMs),
      lossNoise: diverged ? null : lossNoise(losses),
      ...(degenerate ? { degenerateAs: degenerate } : {}),
    };
  } finally {
    model.dispose?.();
  }
}
