import type { Gradients, LiveParamGroup } from '../core/optimizer.ts';
import type { CommonOptions, FloatBuffer } from '../core/types.ts';

/**
 * What every optimizer and wrapper offers: a step, its parameter groups (for schedulers), its
 * parameters, and its state as plain data. Wrappers compose over it.
 */
export interface Stepper {
  /** The groups (with their writable hyper-parameters), as a scheduler drives them. */
  readonly paramGroups: readonly LiveParamGroup<CommonOptions>[];
  readonly params: readonly FloatBuffer[];
  step(grads: Gradients, gradScale?: number): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

/** A new buffer of the same type and length as `p`, holding a copy of `p`. */
export function copyOf(p: FloatBuffer): FloatBuffer {
  return p.slice();
}

/** Checks that a saved wrapper state has the expected type tag. */
export function expectType(
  owner: string,
  state: unknown,
  type: string,
): asserts state is Record<string, unknown> {
  const tag = (state as { type?: unknown } | null)?.type;
  if (tag !== type) {
    throw new RangeError(
      `${owner}: cannot load state: expected a ${type} state, got ${String(tag)}`,
    );
  }
}

/** Checks that a saved buffer matches a parameter's length, and copies it into a new buffer. */
export function restoreBuffer(
  owner: string,
  what: string,
  saved: unknown,
  like: FloatBuffer,
): FloatBuffer {
  const ok =
    (ArrayBuffer.isView(saved) || Array.isArray(saved)) &&
    (saved as ArrayLike<number>).length === like.length;
  if (!ok)
    throw new RangeError(
      `${owner}: cannot load state: ${what} is not a buffer of length ${like.length}`,
    );
  const out =
    like instanceof Float32Array ? new Float32Array(like.length) : new Float64Array(like.length);
  out.set(saved as ArrayLike<number>);
  return out;
}
