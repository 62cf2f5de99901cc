import type { Shape } from '../core/types.ts';
import { createOptimizer, findOptimizer, OPTIMIZER_NAMES, paramKinds } from '../optimizers.ts';
import type { SWATSOptions } from '../wrappers/swats.ts';
import { SWATS } from '../wrappers/swats.ts';
import type { Stepper } from '../wrappers/stepper.ts';

/** Something stepped once after every optimizer step (a per-step learning-rate scheduler). */
export interface StepHook {
  step(): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

/** What a factory builds: an optimizer (or wrapper), optionally with per-step schedulers. */
export interface Built {
  optimizer: Stepper;
  /** Stepped after every optimizer step, in order; their state is saved with the optimizer's. */
  schedulers?: StepHook[];
}

/** A trainable variable, as a factory sees it. */
export interface VariableInfo {
  /** The tfjs variable name (`dense_Dense1/kernel`; reloaded models may add a suffix). */
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * Builds a descent optimizer over the model's weights: one `Float32Array` per trainable variable
 * (in the order tfjs hands the gradients over), described by `variables`. Every buffer must be
 * a parameter of the optimizer, in any order and any parameter groups (e.g. no weight decay for
 * the rank-1 biases). Returns a `Stepper` (an optimizer or a wrapper such as `Lookahead` or
 * `Switch`) or `{ optimizer, schedulers }`. It is also called once at `tfOptimizer()` with a
 * probe (one 1-element buffer named "probe", of shape [1, 1]), so that bad options fail early.
 */
export type StepperFactory = (
  params: Float32Array[],
  options: Readonly<Record<string, unknown>>,
  variables: readonly VariableInfo[],
) => Stepper | Built;

// The core registry's names except SparseAdam, whose lazy update needs row-sparse gradients
// (tfjs hands dense ones), and those whose step takes a closure (LBFGS: tfjs hands one gradient
// per step, L-BFGS re-evaluates the loss); SWATS is added below.
const BUILTIN: readonly string[] = OPTIMIZER_NAMES.filter(
  (n) => n !== 'sparseadam' && !findOptimizer(n).closure,
);

const factories = new Map<string, StepperFactory>();
for (const name of BUILTIN) factories.set(name, builtin(name));

/**
 * The factory of a registry name: one group over every variable, with the variables' shapes
 * (Adafactor factors the matrices' second moments, LARS decays only matrices, Muon takes
 * matrices only). A scalar variable (shape []) is a vector of one element.
 */
function builtin(name: string): StepperFactory {
  const d = findOptimizer(name);
  const matricesOnly = !paramKinds(d).includes('vector');
  return (params, options, variables) => {
    const shapes = variables.map((v): Shape => (v.shape.length === 0 ? [1] : v.shape));
    if (matricesOnly) {
      const v = variables.find((x) => x.shape.length !== 2);
      if (v) {
        throw new RangeError(
          `tfOptimizer: ${name} takes 2-D variables only, and "${v.name}" has shape ` +
            `[${v.shape.join(', ')}]; give it a model whose trainable variables are all matrices ` +
            '(e.g. dense layers with useBias: false)',
        );
      }
    }
    return createOptimizer(name, [{ params, shapes }], { ...options });
  };
}
factories.set('swats', (params, options) => new SWATS(params, options as SWATSOptions));

/** Names {@link tfOptimizer} accepts: the built-in ones, then those registered. */
export function tfOptimizerNames(): string[] {
  return [...factories.keys()];
}

/**
 * Registers a factory under a name, so that `tfOptimizer(name, options)` builds it and a saved
 * model (`includeOptimizer: true`) can rebuild it on load. Built-in names cannot be replaced.
 */
export function registerTfOptimizer(name: string, factory: StepperFactory): void {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `registerTfOptimizer: name must be a non-empty string, got ${String(name)}`,
    );
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`registerTfOptimizer: factory must be a function, got ${typeof factory}`);
  }
  const key = name.toLowerCase();
  if (BUILTIN.includes(key) || key === 'swats') {
    throw new RangeError(`registerTfOptimizer: "${name}" is a built-in optimizer name`);
  }
  factories.set(key, factory);
}

/** The factory registered under `name` (case-insensitive), or a RangeError listing the names. */
export function factoryFor(name: string): StepperFactory {
  const factory = typeof name === 'string' ? factories.get(name.toLowerCase()) : undefined;
  if (!factory) {
    throw new RangeError(
      `tfOptimizer: unknown optimizer ${JSON.stringify(name)}; known: ${tfOptimizerNames().join(', ')} ` +
        '(or register one with registerTfOptimizer)',
    );
  }
  return factory;
}

/** What {@link build} returns: the built optimizer and where each buffer sits in it. */
export interface Placed extends Built {
  /** `order[j]` is the index (into the factory's `params`) of the optimizer's j-th parameter. */
  order: number[];
}

/** Calls a factory and normalizes what it returns. */
export function build(
  factory: StepperFactory,
  params: Float32Array[],
  options: Readonly<Record<string, unknown>>,
  variables: readonly VariableInfo[],
): Placed {
  const out = factory(params, options, variables);
  const built: Built = isStepper(out) ? { optimizer: out } : out;
  if (!built || !isStepper(built.optimizer)) {
    throw new TypeError(
      'tfOptimizer: the factory must return a descent optimizer (step, stateDict, loadStateDict) ' +
        'or { optimizer, schedulers }',
    );
  }
  const order = built.optimizer.params.map((p) => params.indexOf(p as Float32Array));
  const covered = new Set(order);
  if (order.length !== params.length || covered.size !== params.length || covered.has(-1)) {
    // The adapter writes the model's weights from these very buffers.
    throw new RangeError(
      'tfOptimizer: the factory must build the optimizer over exactly the parameter buffers it is given',
    );
  }
  return { ...built, order };
}

function isStepper(x: unknown): x is Stepper {
  const s = x as Partial<Stepper> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.step === 'function' &&
    typeof s.stateDict === 'function' &&
    typeof s.loadStateDict === 'function' &&
    Array.isArray(s.params)
  );
}
