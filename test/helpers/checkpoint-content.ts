/**
 * Checkpoints for the file and reliability tests: version `k` of writer `writer`, every value a
 * function of (writer, k), so that a file read back can be matched to the one save it came from.
 */
import type { CheckpointContent } from '../../packages/optim/src/checkpoint/index.ts';

export function versionContent(writer: number, k: number, floats: number): CheckpointContent {
  const fill = (n: number, salt: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = writer * 1000 + k + salt + i / n;
    return a;
  };
  return {
    params: { w: fill(floats, 0.25), b: Float64Array.of(writer, k) },
    // What a load gives back (every parameter's shape), so that a loaded file equals its content.
    shapes: { w: [floats], b: [2] },
    optimizer: {
      state: [
        { step: k, slots: { exp_avg: fill(floats, 0.5), exp_avg_sq: fill(floats, 0.75) } },
        { step: k, slots: { exp_avg: Float64Array.of(k), exp_avg_sq: Float64Array.of(-k) } },
      ],
    },
    extra: { writer, k },
  };
}

/** The (writer, k) a loaded checkpoint says it is. */
export function versionOf(c: CheckpointContent): { writer: number; k: number } {
  return c.extra as { writer: number; k: number };
}
