import type { CommonOptions, FloatBuffer, ParamState, SparseGradient } from './types.ts';

/** A slot (a buffer the size of the parameter) and the value it starts at. */
export interface SlotSpec {
  readonly name: string;
  readonly fill: number;
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
  /** Slots this configuration needs (they are allocated before the first step that uses them). */
  slots(h: H): readonly SlotSpec[];
  /** Scalar state and its initial value (e.g. NAdam's running product of momenta). */
  readonly scalarState?: Readonly<Record<string, number>>;
  /**
   * One step on one buffer, in place. `st.step` has already been incremented. `gradScale`
   * multiplies the gradient (clipping, and -1 for `maximize`, fold into it). `created` is true on
   * the step that allocated this buffer's slots.
   */
  update(
    p: FloatBuffer,
    g: FloatBuffer,
    st: ParamState,
    h: H,
    gradScale: number,
    created: boolean,
  ): void;
  /**
   * One step from a row-sparse gradient, touching only the listed rows (cost O(nnz)). Absent
   * when the algorithm has no sparse form.
   */
  updateSparse?(p: FloatBuffer, g: SparseGradient, st: ParamState, h: H, gradScale: number): void;
  /** Why this configuration cannot take sparse gradients (e.g. SGD with momentum), or null. */
  sparseRefusal?(h: H): string | null;
}
