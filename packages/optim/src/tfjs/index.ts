/**
 * descent inside TensorFlow.js (`import { tfOptimizer } from 'descent-optim/tfjs'`): any descent
 * optimizer as a `tf.Optimizer`, for `model.compile` / `model.fit`, `minimize` and
 * `applyGradients`, saved and restored with the model. Needs `@tensorflow/tfjs-core` (and
 * `-layers` for models); the core package does not.
 */
import { DescentOptimizer } from './optimizer.ts';
import type { StepperFactory } from './factories.ts';

export { DescentOptimizer, type TfOptimizerState } from './optimizer.ts';
export {
  registerTfOptimizer,
  tfOptimizerNames,
  type Built,
  type StepHook,
  type StepperFactory,
  type VariableInfo,
} from './factories.ts';
export type { TakenPath, UpdatePath } from './weights.ts';

/**
 * A TensorFlow.js optimizer running descent's `name` (`sgd, momentum, nesterov, adagrad,
 * adadelta, rmsprop, adam, adamw, amsgrad, adamax, nadam, radam, swats`, or one registered with
 * `registerTfOptimizer`) with the options of its descent class (`{ lr, betas, weightDecay, ...,
 * clipGradNorm, nonFinite }`), or a factory building one over the weights' buffers. Bad names or
 * options throw here.
 *
 * ```ts
 * model.compile({ optimizer: tfOptimizer('radam', { lr: 1e-3 }), loss: 'categoricalCrossentropy' });
 * ```
 */
export function tfOptimizer(
  name: string | StepperFactory,
  options: Readonly<Record<string, unknown>> = {},
): DescentOptimizer {
  return new DescentOptimizer(name, options);
}
