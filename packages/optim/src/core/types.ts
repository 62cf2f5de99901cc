/** A parameter, gradient or state buffer: float32 or float64, flat. */
export type FloatBuffer = Float32Array | Float64Array;

/** Hyper-parameters shared by every optimizer. */
export interface CommonOptions {
  /** Learning rate. */
  lr: number;
  /** Follow the gradient uphill instead of downhill (PyTorch's `maximize`). */
  maximize: boolean;
}

/**
 * A tensor's shape, outermost first (`[rows, cols]` for a row-major matrix); the product of its
 * sizes is the buffer's length. A buffer given without one is a vector: `[length]`.
 */
export type Shape = readonly number[];

/**
 * A group of parameters with its own hyper-parameters (PyTorch's param group). `shapes` gives
 * each buffer's shape, in the order of `params`, for optimizers whose math depends on it
 * (Adafactor factors a matrix's second moment, Muon orthogonalises a matrix's update).
 */
export type ParamGroupSpec<H> = { params: FloatBuffer[]; shapes?: readonly Shape[] } & Partial<H>;

/** What an optimizer's constructor takes: plain buffers or groups of them. */
export type ParamsInput<H> = FloatBuffer[] | ParamGroupSpec<H>[];

/** A live parameter group: its buffers and its writable hyper-parameters. */
export type ParamGroup<H> = { params: FloatBuffer[] } & H;

/**
 * The state of one parameter buffer: the step count, scalar state (e.g. NAdam's
 * `mu_product`) and slots (buffers the size of the parameter, named as in PyTorch).
 */
export interface ParamState {
  step: number;
  scalars: Record<string, number>;
  slots: Record<string, FloatBuffer>;
}

/**
 * A row-sparse gradient: only the listed rows of a parameter (viewed as rows of `rowSize`
 * elements, e.g. an embedding table) have a gradient; the others are exactly zero. With
 * `rowSize` 1 it is an element-sparse vector. Indices are strictly increasing (coalesced).
 */
export interface SparseGradient {
  readonly indices: Int32Array | Uint32Array | readonly number[];
  /** `indices.length · rowSize` values, row after row. */
  readonly values: FloatBuffer;
  /** Elements per row (default 1). */
  readonly rowSize?: number;
}

/** What to do when a gradient holds NaN or ±Infinity. */
export type NonFinitePolicy = 'propagate' | 'skip' | 'throw';

/** Options of the optimizer as a whole (not per group). */
export interface StepOptions {
  /** Clip the total gradient norm to this value inside `step` (PyTorch's `clip_grad_norm_`). */
  clipGradNorm?: number | null;
  /** The norm's order for `clipGradNorm`: a number >= 1 or `Infinity` (default 2). */
  clipNormType?: number;
  /**
   * `'propagate'` (PyTorch's behaviour, the default): NaN/Inf flow into the update;
   * `'skip'`: such a step changes nothing and is counted in `skippedSteps`;
   * `'throw'`: a RangeError, nothing changed.
   */
  nonFinite?: NonFinitePolicy;
}

/** What an optimizer class's constructor takes as options. */
export type OptimizerOptions<H> = Partial<H> & StepOptions;
