import type { CommonOptions, FloatBuffer, ParamState, Shape, SparseGradient } from './types.ts';

/** A slot (a buffer, by default the size of the parameter) and the value it starts at. */
export interface SlotSpec {
  readonly name: string;
  readonly fill: number;
  /**
   * Its length for a parameter of this shape, where it is not the parameter's (Adafactor's
   * factored second moment keeps one value per row and one per column of a matrix).
   */
  readonly length?: (shape: Shape) => number;
}

/** What wrappers may rely on in an algorithm's state (declared by the rule, never read off its name). */
export interface RuleTraits {
  /**
   * Adam's moments: `exp_avg` and `exp_avg_sq` under `betas`, bias-corrected by the step count
   * (SWATS projects an SGD learning rate from them; a hand-over can seed SGD's momentum).
   */
  readonly adamMoments?: boolean;
  /** A heavy-ball `momentum_buffer` (SGD's) that a hand-over may seed. */
  readonly momentumBuffer?: boolean;
}

/**
 * The math of one algorithm: its defaults, its validation and ONE fused in-place kernel over a
 * parameter buffer. The facade (`Optimizer`) does everything else: groups, state, checks.
 */
export interface Rule<H extends CommonOptions> {
  /** The optimizer's name, as in PyTorch (`"Adam"`), used in messages and state dicts. */
  readonly name: string;
  /** What wrappers may rely on (none when absent). */
  readonly traits?: RuleTraits;
  readonly defaults: Readonly<H>;
  /** Throws a `RangeError` naming the option, the value and the allowed range. */
  validate(h: H): void;
  /**
   * Slots this configuration needs for a parameter of this shape (they are allocated before the
   * first step that uses them). Called on every step: return constant lists, never new ones.
   */
  slots(h: H, shape: Shape): readonly SlotSpec[];
  /** Scalar state and its initial value (e.g. NAdam's running product of momenta). */
  readonly scalarState?: Readonly<Record<string, number>>;
  /**
   * One step on one buffer, in place. `st.step` has already been incremented. `gradScale`
   * multiplies the gradient (clipping, and -1 for `maximize`, fold into it). `created` is true on
   * the step that allocated this buffer's slots. `shape` is the buffer's (`[length]` unless the
   * group gave shapes).
   */
  update(
    p: FloatBuffer,
    g: FloatBuffer,
    st: ParamState,
    h: H,
    gradScale: number,
    created: boolean,
    shape: Shape,
  ): void;
  /**
   * Scalar state of a whole group and its initial values (Prodigy's `d`): kept once per group,
   * saved in state dicts (`groupState`), readable through `Optimizer.groupState(g)`.
   */
  readonly groupScalars?: Readonly<Record<string, number>>;
  /**
   * One step over a whole group, for math that reduces across its buffers (Prodigy's d estimate,
   * a global norm). When present the facade calls it once per group, after counting the step of
   * every buffer that has a gradient, instead of `update` per buffer; `update` stays the
   * per-buffer pass it may call.
   */
  updateGroup?(step: GroupStep<H>): void;
  /**
   * One step from a row-sparse gradient, touching only the listed rows (cost O(nnz)). Absent
   * when the algorithm has no sparse form.
   */
  updateSparse?(p: FloatBuffer, g: SparseGradient, st: ParamState, h: H, gradScale: number): void;
  /** Why this configuration cannot take sparse gradients (e.g. SGD with momentum), or null. */
  sparseRefusal?(h: H): string | null;
}

/**
 * What `updateGroup` sees of one group on one step. The arrays are reused from step to step (a
 * step must not allocate): read them during the call, never keep them.
 */
export interface GroupStep<H> {
  readonly params: readonly FloatBuffer[];
  /** Each buffer's dense gradient, or null where it has none this step (it must not move). */
  readonly grads: readonly (FloatBuffer | null)[];
  /** Each buffer's state (present wherever the gradient is). */
  readonly states: readonly (ParamState | undefined)[];
  readonly shapes: readonly Shape[];
  /** Whether this step allocated each buffer's slots. */
  readonly created: readonly boolean[];
  readonly hyper: H;
  /** The group's scalar state (see `Rule.groupScalars`), written in place. */
  readonly scalars: Record<string, number>;
  readonly gradScale: number;
}
