import type { FloatBuffer } from 'descent-optim/internal/core/types';
import { Sampler, type BatchSize } from '../sampler.ts';
import type { RaceProblem } from './race-problem.ts';

/** A batch size's measured speed on this machine, and its predicted time to a given loss. */
export interface BatchSpeed {
  batchSize: BatchSize;
  /** Training samples whose loss and gradient this machine computes per second at this batch. */
  samplesPerSecond: number;
  /** (1 + b / B_noise) / samplesPerSecond, relative to the smallest (1 = the fastest batch). */
  relativeTime: number;
}

/** Batch sizes `advise` times: SGD, the usual 8..256, and the full batch. */
export const THROUGHPUT_BATCHES: readonly BatchSize[] = [1, 8, 16, 32, 64, 128, 256, 'full'];

/**
 * Times loss-and-gradient evaluations at each batch size on this machine (seed 0's model and data
 * order; two warm-up batches first, then batches until `minMs` have passed, at least 3).
 */
export async function measureThroughput(
  problem: RaceProblem,
  sizes: readonly BatchSize[] = THROUGHPUT_BATCHES,
  minMs = 60,
): Promise<{ batchSize: BatchSize; samplesPerSecond: number }[]> {
  const model = await problem.create(0);
  try {
    const grads = model.params.map(
      (p) => new (p.constructor as new (k: number) => FloatBuffer)(p.length),
    );
    const out: { batchSize: BatchSize; samplesPerSecond: number }[] = [];
    const seen = new Set<number>();
    for (const b of sizes) {
      const sampler = new Sampler(model.trainSize, b, 0);
      const rows = Math.min(b === 'full' ? model.trainSize : b, model.trainSize);
      // A batch at or above the training set is the full batch: time it once.
      if (seen.has(rows)) continue;
      seen.add(rows);
      for (let k = 0; k < 2; k++) model.lossAndGrad(sampler.next(), grads);
      let samples = 0;
      let steps = 0;
      const t0 = performance.now();
      while (steps < 3 || performance.now() - t0 < minMs) {
        const batch = sampler.next();
        model.lossAndGrad(batch, grads);
        samples += batch.length;
        steps++;
      }
      out.push({ batchSize: b, samplesPerSecond: (1000 * samples) / (performance.now() - t0) });
    }
    return out;
  } finally {
    model.dispose?.();
  }
}

/**
 * The batch size that reaches a given loss soonest on this machine. McCandlish et al. (2018):
 * to reach a loss, training needs about E_min · (1 + b / B_noise) samples at batch b (larger
 * batches waste samples past the gradient-noise scale B_noise), and the machine processes
 * throughput(b) samples per second, so the time is proportional to (1 + b / B_noise) /
 * throughput(b). Deterministic problems (B_noise = 0) take the full batch.
 */
export function fastestBatch(
  noiseScale: number,
  trainSize: number,
  measured: readonly { batchSize: BatchSize; samplesPerSecond: number }[],
): { chosen: BatchSize; speeds: BatchSpeed[] } {
  if (measured.length === 0) throw new RangeError('fastestBatch: measured must not be empty');
  const rows = (b: BatchSize) => Math.min(b === 'full' ? trainSize : b, trainSize);
  const cost = (m: (typeof measured)[number]) =>
    noiseScale > 0
      ? (1 + rows(m.batchSize) / noiseScale) / m.samplesPerSecond
      : 1 / rows(m.batchSize);
  const best = Math.min(...measured.map(cost));
  const speeds = measured.map((m) => ({ ...m, relativeTime: cost(m) / best }));
  const chosen = noiseScale > 0 ? speeds.find((s) => s.relativeTime === 1)!.batchSize : 'full';
  return { chosen, speeds };
}
