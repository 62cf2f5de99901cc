/** Shared set-up of the tfjs tests: tfjs-core with gradients (from -layers) and both backends. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mulberry32 } from './helpers/rng.ts';

export { tf, tfl };

/** Switches backend and silences the cpu backend's banner about tfjs-node. */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not start`);
  await tf.ready();
  const b = tf.backend() as { firstUse?: boolean };
  if (b.firstUse === true) b.firstUse = false;
}

/** A seeded stream of floats in [-1, 1) (mulberry32): the same data on every run and backend. */
export function seeded(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r() * 2 - 1;
}

/** A Float32Array of `n` seeded values scaled by `scale`. */
export function randomArray(rand: () => number, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * scale);
}
