/** A parameter, gradient or state buffer: float32 or float64, flat. */
export type FloatBuffer = Float32Array | Float64Array;

/** Hyper-parameters shared by every optimizer. */
export interface CommonOptions {
  /** Learning rate. */
  lr: number;
  /** Follow the gradient uphill instead of downhill (PyTorch's `maximize`). */
  maximize: boolean;
}

/** A group of parameters with its own hyper-parameters (PyTorch's param group). */
export type ParamGroupSpec<H> = { params: FloatBuffer[] } & Partial<H>;

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
