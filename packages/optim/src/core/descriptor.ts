import type { Optimizer } from './optimizer.ts';
import type { Rule } from './rule.ts';
import type { CommonOptions, OptimizerOptions, ParamsInput } from './types.ts';

/** A kind of parameter an optimizer's math tells apart: a vector, or a matrix (2-D shape). */
export type ParamKind = 'vector' | 'matrix';

/** A slider of the playground for one hyper-parameter (`betas.0` for an array element). */
export interface Slider {
  readonly key: string;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Log sliders move in powers of ten (the learning rate spans decades). */
  readonly scale: 'log' | 'linear';
}

/** The tf.train factories a twin may use (the subset descent has twins for). */
export interface TfTrain {
  sgd(lr: number): unknown;
  momentum(lr: number, m: number, nesterov?: boolean): unknown;
  adagrad(lr: number): unknown;
  adadelta(lr: number): unknown;
  rmsprop(lr: number, decay?: number, momentum?: number, eps?: number, centered?: boolean): unknown;
  adam(lr: number): unknown;
  adamax(lr: number): unknown;
}

/** How the lab races an optimizer (absent: not raced, e.g. SparseAdam, which needs sparse data). */
export interface LabEntry {
  /** `sgd`: plain, momentum and Nesterov SGD; `adaptive`: per-coordinate step sizes. */
  readonly family: 'sgd' | 'adaptive';
  /** The lr sweep's range, as powers of ten. */
  readonly lrDecades: readonly [number, number];
  /**
   * Whether a problem's lr cap (the saddles': a step that large jumps over the saddle) applies.
   * Not for an lr that multiplies a unit-free step (Adadelta's default lr is 1).
   */
  readonly lrCapped: boolean;
  /**
   * It sets its own step size (Prodigy's d): the race runs it at its default lr only, with no
   * sweep, and says so.
   */
  readonly selfTuning?: boolean;
}

/**
 * One name `createOptimizer` accepts, described once next to its math: everything the registry,
 * the lab, the playground, the benchmark and the generic tests need to know about it.
 */
export interface OptimizerDescriptor {
  /** The name on the command line and in `createOptimizer` (`momentum`). */
  readonly name: string;
  /** The name to show (`Momentum`). */
  readonly label: string;
  /** Builds it; `options` override the preset. */
  readonly create: (
    params: ParamsInput<never>,
    options?: Record<string, unknown>,
  ) => Optimizer<CommonOptions>;
  /** Options this name sets over its class's defaults (`momentum`: SGD with momentum 0.9). */
  readonly preset: Readonly<Record<string, unknown>>;
  /** The algorithm's family name: the rule's (PyTorch's) class name, `"Adam"`. */
  readonly algorithm: string;
  /** Its defaults: the rule's, with the preset over them (`defaults.lr` is its default lr). */
  readonly defaults: Readonly<Record<string, unknown>> & { readonly lr: number };
  /** The update in one line (the playground shows it). */
  readonly formula: string;
  /**
   * Option sets that together reach every code path (each kernel flag, each slot) of this name:
   * the parity, state and fuzz tests run each.
   */
  readonly variants: readonly Readonly<Record<string, unknown>>[];
  /** Options that must be refused, with the error each must give. */
  readonly refused: readonly {
    readonly options: Readonly<Record<string, unknown>>;
    readonly error: RegExp;
  }[];
  /** Every state slot it may create, by its PyTorch name (`exp_avg`). */
  readonly slots: readonly string[];
  /**
   * The kinds of parameter its math tells apart, the one generic runs give it first (absent:
   * vectors only; Muon takes matrices only, Adafactor factors matrices and not vectors).
   */
  readonly takes?: readonly ParamKind[];
  /** Whether it takes row-sparse gradients (in some configuration). */
  readonly sparse: boolean;
  readonly lab?: LabEntry;
  /**
   * `classic`: the set descent started with (SGD to RAdam); `new`: the methods of the recent
   * wave (Lion, Schedule-Free, Prodigy, Muon, ...). Set by the list it is in (`optimizers.ts`).
   */
  readonly era: 'classic' | 'new';
  /** The playground's sliders (the learning rate first). */
  readonly sliders: readonly Slider[];
  /** The benchmark's row: buffers written per step and the wasm kernel it runs. */
  readonly bench?: { readonly written: number; readonly kernel: string };
  /** The tf.train optimizer with the same math, at learning rate `lr`. */
  readonly tfjs?: (tf: TfTrain, lr: number) => unknown;
  /**
   * Its `step` takes a closure that re-evaluates the loss and fills the gradients (LBFGS):
   * `step((grads) => loss)`, and reports `lastStep` ({ closureEvals, iterations }).
   */
  readonly closure?: boolean;
  /**
   * The reference's keyword arguments (already camelCased, `"inf"` read as Infinity) as descent
   * options, where they differ by more than the name (ADOPT's `clip_lambda` expression). The
   * replay of golden cases uses it; absent, they are taken as they are.
   */
  readonly fromReference?: (kwargs: Readonly<Record<string, unknown>>) => Record<string, unknown>;
}

/** The sliders most optimizers share. */
export const SLIDERS = {
  lr: { key: 'lr', label: 'lr', min: 1e-5, max: 10, scale: 'log' },
  eps: { key: 'eps', label: 'eps', min: 1e-10, max: 1, scale: 'log' },
  momentum: { key: 'momentum', label: 'momentum', min: 0, max: 0.99, scale: 'linear' },
  beta1: { key: 'betas.0', label: 'β₁', min: 0, max: 0.99, scale: 'linear' },
  beta2: { key: 'betas.1', label: 'β₂', min: 0.9, max: 0.9999, scale: 'linear' },
  weightDecay: { key: 'weightDecay', label: 'weight decay', min: 0, max: 0.5, scale: 'linear' },
} as const satisfies Record<string, Slider>;

/** The usual lab entry of an adaptive method. */
export const ADAPTIVE_LAB: LabEntry = { family: 'adaptive', lrDecades: [-4, 0.5], lrCapped: true };

/** What a rule file writes of its descriptor: the rest follows from the class and the rule. */
export type DescriptorSpec = Omit<
  OptimizerDescriptor,
  'create' | 'algorithm' | 'defaults' | 'preset' | 'era'
> & {
  readonly preset?: Readonly<Record<string, unknown>>;
};

/**
 * The descriptor of a name that builds `Ctor` (whose math is `rule`) with `spec.preset` over its
 * defaults: `create`, `algorithm` and `defaults` are derived, never written twice.
 */
export function describeOptimizer<H extends CommonOptions>(
  Ctor: new (params: ParamsInput<H>, options: OptimizerOptions<H>) => Optimizer<H>,
  rule: Rule<H>,
  spec: DescriptorSpec,
): OptimizerDescriptor {
  const preset = spec.preset ?? {};
  return {
    ...spec,
    era: 'classic',
    preset,
    algorithm: rule.name,
    defaults: { ...rule.defaults, ...preset },
    // The one place where a concrete optimizer is seen as one of any options (the registry's view).
    create: (params, options = {}) =>
      new Ctor(
        params as ParamsInput<H>,
        {
          ...preset,
          ...options,
        } as OptimizerOptions<H>,
      ) as unknown as Optimizer<CommonOptions>,
  };
}
