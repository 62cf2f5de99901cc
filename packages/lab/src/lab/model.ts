import type { FloatBuffer, Shape } from 'descent-optim/internal/core/types';

/** Loss and accuracy on a held-out test set. */
export interface TestResult {
  readonly loss: number;
  readonly accuracy: number;
}

/**
 * A trainable problem instance: parameter buffers that an optimizer steps in place, a mini-batch
 * loss with its exact gradient, and evaluation. The training loop sees nothing else, so a test
 * function, a pure-TypeScript regression and a tfjs network train the same way.
 */
export interface Model {
  /** The parameter buffers, in the order gradients are written. */
  readonly params: FloatBuffer[];
  /**
   * The shape of each parameter buffer, in the order of `params` (row-major, outermost first: a
   * weight matrix of `in` × `out` is `[in, out]`; a scalar is `[1]`), for optimizers whose math
   * depends on it (Muon takes the matrices). Absent where every parameter is a vector (a test
   * function's point).
   */
  readonly shapes?: readonly Shape[];
  /** Number of training samples the sampler draws from (1 for a test function). */
  readonly trainSize: number;
  /**
   * The mean loss over the samples `batch` (indices into the training set) at the current
   * parameters; writes its gradient into `grads` (one buffer per parameter, same type and length).
   */
  lossAndGrad(batch: Uint32Array, grads: FloatBuffer[]): number;
  /** The mean loss over the whole training set at the current parameters. */
  trainLoss(): number;
  /** Loss and accuracy on the test set, or null when the problem has none. */
  test(): TestResult | null;
  /** Frees what the model holds outside the JS heap (tfjs tensors). */
  dispose?(): void;
}
