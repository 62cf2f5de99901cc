import { Sampler } from '../sampler.ts';
import { Trainer } from '../trainer.ts';
import type { Contender } from './contenders.ts';
import { ESCAPE_LOSS, type RaceProblem } from './problems.ts';

/** At most this many points per recorded curve (curves are bucketed, keeping each bucket's min). */
export const CURVE_POINTS = 120;

/** What one run (problem, optimizer, lr, seed) produced: everything the report needs. */
export interface RunRecord {
  problem: string;
  optimizer: string;
  lr: number;
  seed: number;
  /** The problem's objective; lower is better; Infinity when diverged (or never escaped). */
  score: number;
  finalTrainLoss: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  diverged: boolean;
  divergence: string | null;
  steps: number;
  /** Loss before the first step. */
  initialLoss: number;
  /** Per-step loss, bucketed: `step[i]` is the bucket's last step, `loss[i]` its lowest loss. */
  curve: { step: number[]; loss: number[] };
  /** Per-epoch curves (data sets). */
  epochs: { trainLoss: number[]; testAccuracy: (number | null)[]; timeMs: number[] };
  /** Saddles: the first step whose loss is below the escape level, or null. */
  escapeStep: number | null;
  /** 2-D functions: the path, at most CURVE_POINTS + 1 points (start included). */
  trajectory: number[][] | null;
  /** Training wall time in ms (the only non-deterministic field). */
  timeMs: number;
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
    const totalSteps = problem.epochs * perEpoch;
    const trainer = new Trainer(model, {
      optimizer: (params) => contender.build(params, lr, totalSteps),
      epochs: problem.epochs,
      batchSize: problem.batchSize,
      seed,
      recordParams: problem.fn !== undefined && problem.fn.dim === 2,
    });
    const result = trainer.run();
    const losses = result.steps.loss;
    let escapeStep: number | null = null;
    if (problem.objective === 'escape') {
      const i = losses.findIndex((l) => l <= ESCAPE_LOSS || l === -Infinity);
      escapeStep = i >= 0 ? i + 1 : null;
    }
    const finalTrainLoss = result.final.trainLoss;
    const diverged = result.final.diverged && escapeStep === null;
    const score =
      problem.objective === 'escape'
        ? (escapeStep ?? Infinity)
        : diverged || finalTrainLoss === null
          ? Infinity
          : finalTrainLoss;
    let trajectory: number[][] | null = null;
    if (result.steps.params) {
      const path = [...result.steps.params, model.params.flatMap((p) => Array.from(p))];
      const every = Math.max(1, Math.ceil(path.length / CURVE_POINTS));
      trajectory = path.filter((_, i) => i % every === 0 || i === path.length - 1);
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
      diverged: result.final.diverged,
      divergence: result.divergence?.reason ?? null,
      steps: result.final.steps,
      initialLoss: losses[0] ?? NaN,
      curve: bucket(losses, CURVE_POINTS),
      epochs: {
        trainLoss: result.epochs.trainLoss,
        testAccuracy: result.epochs.testAccuracy,
        timeMs: result.epochs.timeMs,
      },
      escapeStep,
      trajectory,
      timeMs: result.timeMs,
    };
  } finally {
    model.dispose?.();
  }
}
