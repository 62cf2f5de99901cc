import type * as TF from '@tensorflow/tfjs-core';
import type { Model, TestResult } from '../model.ts';

/** A problem defined by tfjs variables and a mini-batch loss built from them. */
export interface TfjsProblem {
  /** The trainable variables, in the order of the model's parameter buffers. */
  readonly variables: readonly TF.Variable[];
  /** Number of training samples. */
  readonly trainSize: number;
  /** The mean loss over the training rows `batch`, computed from the variables. */
  loss(batch: Uint32Array): TF.Scalar;
  /** Mean loss over the whole training set (default: `loss` over all rows). */
  trainLoss?(): number;
  /** Loss and accuracy on a test set, or null (default null). */
  test?(): TestResult | null;
  /** Frees what the problem holds besides the variables. */
  dispose?(): void;
}

/**
 * Turns a {@link TfjsProblem} into a lab {@link Model}: the variables' values live in
 * Float32Array copies that any descent optimizer steps in place (with the variables' shapes as the
 * model's `shapes`, tfjs's row-major layout being the buffers'), gradients come from
 * `tf.variableGrads`. Before each gradient or evaluation the copies are written back with
 * `assign` of a fresh tensor, never in place: the wasm backend caches packed weights by tensor,
 * and the cpu backend may alias a typed array handed to `tf.tensor`.
 */
export function tfjsModel(tf: typeof TF, problem: TfjsProblem): Model {
  const vars = problem.variables;
  const params = vars.map((v) => Float32Array.from(v.dataSync()));
  // A scalar variable is a vector of one (as the tfjs adapter hands it to an optimizer).
  const shapes = vars.map((v) => (v.shape.length === 0 ? [1] : v.shape.slice()));
  const sync = () =>
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(params[i]!.slice(), v.shape))));
  const all = Uint32Array.from({ length: problem.trainSize }, (_, i) => i);
  return {
    params,
    shapes,
    trainSize: problem.trainSize,
    lossAndGrad(batch, grads) {
      sync();
      const { value, grads: g } = tf.variableGrads(() => problem.loss(batch), [...vars]);
      const loss = value.dataSync()[0]!;
      vars.forEach((v, i) => {
        const gi = g[v.name];
        // A variable the loss does not depend on gets no gradient: it is zero.
        if (gi) grads[i]!.set(gi.dataSync());
        else grads[i]!.fill(0);
      });
      tf.dispose([value, ...Object.values(g)]);
      return loss;
    },
    trainLoss() {
      sync();
      if (problem.trainLoss) return problem.trainLoss();
      const value = tf.tidy(() => problem.loss(all));
      const loss = value.dataSync()[0]!;
      value.dispose();
      return loss;
    },
    test() {
      sync();
      return problem.test?.() ?? null;
    },
    dispose() {
      problem.dispose?.();
      tf.dispose([...vars]);
    },
  };
}
