import type { FloatBuffer } from 'descent-optim/internal/core/types';
import { Sampler } from '../sampler.ts';
import type { RaceProblem } from './race-problem.ts';

/** What `advise` measures about a problem before recommending an optimizer. */
export interface ProblemProfile {
  kind: RaceProblem['kind'];
  params: number;
  trainSize: number;
  /** Mean fraction of gradient coordinates that are exactly zero in a mini-batch gradient. */
  gradientZeroFraction: number;
  /**
   * Of the coordinates that got a gradient in some batch, the fraction that got one in at most
   * 10% of the batches: rare features, the case for per-coordinate step sizes.
   */
  rareCoordinates: number;
  /**
   * McCandlish et al. (2018)'s simple noise scale `B = tr(Σ)/|G|²` at the initial point, from
   * `batches` mini-batches of `batch` samples: `E|g_b − G|² = tr(Σ)/b`. Around it, larger
   * batches stop paying off. 0 for deterministic problems.
   */
  noiseScale: number;
  batch: number;
  batches: number;
}

function sumSq(bufs: readonly FloatBuffer[]): number {
  let s = 0;
  for (const b of bufs) for (let i = 0; i < b.length; i++) s += (b[i] as number) ** 2;
  return s;
}

/** Measures a problem at its initial point (seed 0) from a few mini-batch gradients. */
export async function inspectProblem(
  problem: RaceProblem,
  batches = 16,
  batch = 32,
): Promise<ProblemProfile> {
  const model = await problem.create(0);
  try {
    const n = model.params.reduce((s, p) => s + p.length, 0);
    const alloc = () =>
      model.params.map((p) => new (p.constructor as new (k: number) => FloatBuffer)(p.length));
    const full = alloc();
    const all = new Uint32Array(model.trainSize).map((_, i) => i);
    model.lossAndGrad(all, full);
    const stochastic = model.trainSize > 1;
    const b = Math.min(batch, model.trainSize);
    const sampler = new Sampler(model.trainSize, b, 0);
    const touched = new Uint32Array(n);
    let zeros = 0;
    let deviation = 0;
    const g = alloc();
    const count = stochastic ? batches : 1;
    for (let k = 0; k < count; k++) {
      model.lossAndGrad(stochastic ? sampler.next() : all, g);
      let offset = 0;
      g.forEach((buf, j) => {
        const ref = full[j] as FloatBuffer;
        for (let i = 0; i < buf.length; i++) {
          const v = buf[i] as number;
          if (v === 0) zeros++;
          else touched[offset + i]!++;
          deviation += (v - (ref[i] as number)) ** 2;
        }
        offset += buf.length;
      });
    }
    let seen = 0;
    let rare = 0;
    for (const t of touched) {
      if (t > 0) seen++;
      if (t > 0 && t <= 0.1 * count) rare++;
    }
    const g2 = sumSq(full);
    return {
      kind: problem.kind,
      params: n,
      trainSize: model.trainSize,
      gradientZeroFraction: zeros / (n * count),
      rareCoordinates: seen ? rare / seen : 0,
      noiseScale: stochastic && g2 > 0 ? (b * (deviation / count)) / g2 : 0,
      batch: b,
      batches: count,
    };
  } finally {
    model.dispose?.();
  }
}
