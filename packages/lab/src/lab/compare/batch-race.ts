import type { BatchSize } from '../sampler.ts';
import type { RaceProblem } from './race-problem.ts';
import { compare, type CompareOptions } from './race.ts';
import type { CompareResults, OptimizerResult, ProblemResult } from './results.ts';
import type { RunRecord } from './run.ts';
import { epochReach, lossTarget, msPerUpdate } from './scores.ts';
import { median, medianOrNull } from './tuning.ts';

/** One problem to race across batch sizes: how to build it at a batch size. */
export interface BatchRaceProblem {
  name: string;
  /** The problem with this batch size (same data, seeds, epochs; only the batch changes). */
  at(batchSize: BatchSize): RaceProblem;
}

export interface BatchRaceOptions extends Pick<
  CompareOptions,
  'optimizers' | 'seeds' | 'lr' | 'executor' | 'onProgress'
> {
  problems: readonly BatchRaceProblem[];
  /** Batch sizes to race: `1` is stochastic GD, `full` batch GD, n mini-batch GD. */
  batchSizes: readonly BatchSize[];
}

/** One optimizer at one batch size on one problem: medians over the seeds at its tuned lr. */
export interface BatchRaceEntry {
  problem: string;
  optimizer: string;
  batchSize: BatchSize;
  /** The learning rate tuned for this batch size (null when every lr failed). */
  lr: number | null;
  /** Training samples, n. */
  trainSize: number;
  /** Updates per epoch: ceil(n / batch size). */
  updatesPerEpoch: number;
  finalTrainLoss: number | null;
  testAccuracy: number | null;
  /** Training time until the whole-training-set loss first reached the problem's shared target
   * (checked at every epoch's end); null when fewer than half the seeds reached it. */
  timeToTargetMs: number | null;
  epochsToTarget: number | null;
  samplesPerSecond: number | null;
  /** The spread of the per-update loss around its trend (see `lossNoise`). */
  lossNoise: number | null;
  failedSeeds: number;
  /** Training time per update, ms (median over seeds). */
  msPerUpdate: number | null;
  /**
   * The whole-training-set loss at each epoch's end and the training time by then (medians over
   * the seeds that did not diverge), epoch 0 being the untrained start: for curves against
   * epochs, updates (epoch × updatesPerEpoch) and wall time.
   */
  curve: { epoch: number[]; loss: number[]; timeMs: number[] };
}

export interface BatchRaceResult {
  batchSizes: BatchSize[];
  /** Per problem: the loss every batch size is timed to, 90% of the best improvement any of them
   * made (one target, so the batch sizes are compared on one footing). */
  targets: Record<string, number | null>;
  entries: BatchRaceEntry[];
  /** The underlying race: one problem per batch size, named `problem@batch`. */
  race: CompareResults;
}

/** The name of a problem at a batch size in the underlying race. */
export const variantName = (problem: string, b: BatchSize) => `${problem}@${b}`;

function checkBatchSizes(sizes: readonly BatchSize[]): BatchSize[] {
  if (sizes.length === 0) {
    throw new RangeError('batchRace: batchSizes must hold at least one batch size');
  }
  for (const b of sizes) {
    if (b !== 'full' && !(Number.isInteger(b) && b >= 1)) {
      throw new RangeError(
        `batchRace: a batch size must be 'full' or an integer >= 1, got ${String(b)}`,
      );
    }
  }
  if (new Set(sizes).size !== sizes.length) {
    throw new RangeError(`batchRace: batchSizes must not repeat, got ${sizes.join(',')}`);
  }
  return [...sizes];
}

/** The shared target of one problem, from every batch size's tuned runs ({@link lossTarget}). */
function sharedTarget(variants: ProblemResult[]): number | null {
  return lossTarget(variants.flatMap((v) => v.optimizers.flatMap((o) => o.tuned)));
}

function entry(p: string, b: BatchSize, o: OptimizerResult, target: number | null): BatchRaceEntry {
  const runs = o.tuned;
  const hits = runs.map((r) => epochReach(r, target));
  const half = hits.filter((h) => h !== null).length * 2 >= runs.length;
  return {
    problem: p,
    optimizer: o.name,
    batchSize: b,
    lr: o.bestLr,
    trainSize: runs[0]?.trainSize ?? 0,
    updatesPerEpoch: runs[0]?.stepsPerEpoch ?? 0,
    finalTrainLoss: medianOrNull(runs.filter((r) => !r.diverged).map((r) => r.finalTrainLoss)),
    testAccuracy: medianOrNull(runs.map((r) => r.testAccuracy)),
    timeToTargetMs: half ? median(hits.map((h) => h?.ms ?? Infinity)) : null,
    epochsToTarget: half ? median(hits.map((h) => h?.epochs ?? Infinity)) : null,
    samplesPerSecond: o.summary.samplesPerSecond,
    lossNoise: o.summary.lossNoise,
    failedSeeds: o.summary.failedSeeds,
    msPerUpdate: medianOrNull(runs.map(msPerUpdate)),
    curve: medianCurve(runs.filter((r) => !r.diverged)),
  };
}

/** Per epoch end, the median over runs of the whole-training-set loss and the time by then. */
function medianCurve(runs: RunRecord[]): BatchRaceEntry['curve'] {
  const epochs = Math.min(...runs.map((r) => r.epochs.trainLoss.length));
  const curve: BatchRaceEntry['curve'] = { epoch: [0], loss: [], timeMs: [0] };
  if (runs.length === 0 || !Number.isFinite(epochs)) return { epoch: [], loss: [], timeMs: [] };
  curve.loss.push(median(runs.map((r) => r.initialLoss)));
  for (let e = 0; e < epochs; e++) {
    curve.epoch.push(e + 1);
    curve.loss.push(median(runs.map((r) => r.epochs.trainLoss[e]!)));
    curve.timeMs.push(median(runs.map((r) => r.epochs.timeMs[e]!)));
  }
  return curve;
}

/**
 * Batch, stochastic and mini-batch gradient descent raced: every problem at every batch size,
 * with the same seeds, data order and epochs, and the learning rate tuned separately for each
 * batch size (the best lr moves with the batch: larger batches average away noise and take
 * larger steps), by the race's own protocol. Each entry gives the final loss, the training time
 * to one target shared by all batch sizes, the throughput on this machine and the noise of the
 * per-update loss.
 */
export async function batchRace(options: BatchRaceOptions): Promise<BatchRaceResult> {
  const sizes = checkBatchSizes(options.batchSizes);
  if (options.problems.length === 0) {
    throw new RangeError('batchRace: problems must hold at least one problem');
  }
  const variants = options.problems.flatMap((p) =>
    sizes.map((b) => ({ ...p.at(b), name: variantName(p.name, b) })),
  );
  const race = await compare({
    problems: variants,
    ...(options.optimizers ? { optimizers: options.optimizers } : {}),
    ...(options.seeds !== undefined ? { seeds: options.seeds } : {}),
    ...(options.lr !== undefined ? { lr: options.lr } : {}),
    ...(options.executor ? { executor: options.executor } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const targets: Record<string, number | null> = {};
  const entries: BatchRaceEntry[] = [];
  options.problems.forEach((p, pi) => {
    const mine = race.problems.slice(pi * sizes.length, (pi + 1) * sizes.length);
    const target = sharedTarget(mine);
    targets[p.name] = target;
    mine.forEach((v, bi) => {
      for (const o of v.optimizers) entries.push(entry(p.name, sizes[bi]!, o, target));
    });
  });
  return { batchSizes: sizes, targets, entries, race };
}
