import { evalTargets } from '../core/eval-targets.ts';
import { checkGradients } from '../core/check-gradients.ts';
import type { Gradient } from '../core/gradients.ts';
import type { Gradients } from '../core/optimizer.ts';
import type { FloatBuffer } from '../core/types.ts';
import { describeWithArticle } from '../core/validate.ts';
import { expectType, type Stepper } from './stepper.ts';

export interface PartitionStateDict {
  type: 'Partition';
  /** Each part's own state, in the order of the parts. */
  parts: unknown[];
}

const NAME = 'Partition';

/** A part that answers with another point than its parameters (Schedule-Free, ASGD). */
interface EvalPoint {
  evalParams?(out: FloatBuffer[]): FloatBuffer[];
}

// A constant: `step` runs the core's gradient check with it on every step, which must not
// allocate. Whether a buffer takes a sparse gradient is for the part that holds it to say.
const NO_REFUSAL = (): null => null;

/**
 * Steps disjoint subsets of the parameters with different optimizers from one gradient list
 * (optax's `partition`; the usual use is Muon on the matrices and AdamW on the rest, as Muon's
 * authors train). Build each part over some of the parameters; every parameter must be in exactly
 * one part. A step hands each part the gradients of its own buffers, in the part's order: no pass
 * over memory, and no allocation (the per-part lists are made once and refilled).
 *
 * `params` is the list given, in its order (the order of the gradients); `paramGroups` holds the
 * parts' groups, part after part, so a scheduler drives every part. The gradients are checked up
 * front (count, length, dtype), so that a bad list changes nothing; what only a part can refuse
 * (a sparse gradient it does not take, its `nonFinite: 'throw'`) throws after the parts before it
 * stepped. Each part clips and checks finiteness over its own gradients only: to clip the whole,
 * pass one `gradScale` computed over the full list. The parts must keep their buffers: one that
 * gained a group (`addParamGroup`) after construction is refused at the next step. `parts` keeps
 * the parts' own types (`Muon | AdamW`), to read their state.
 */
export class Partition<P extends Stepper = Stepper> implements Stepper {
  readonly params: readonly FloatBuffer[];
  readonly paramGroups: Stepper['paramGroups'];
  /** For each part, the index in `params` of each of its buffers, in the part's order. */
  private readonly positions: readonly (readonly number[])[];
  /** For each part, its gradient list, refilled on every step. */
  private readonly lists: Gradient[][];
  /**
   * The point to evaluate at, where a part has one (Schedule-Free's x, ASGD's average): copied
   * into `out` (one buffer per parameter, in the order of `params`), each such part's eval
   * point and the other parts' parameters. Present only when some part has `evalParams`, so that
   * a training loop that looks for it (the lab's Trainer) measures the right point.
   */
  readonly evalParams?: (out: FloatBuffer[]) => FloatBuffer[];

  constructor(
    params: readonly FloatBuffer[],
    readonly parts: readonly P[],
  ) {
    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${NAME}: params must be a non-empty array of buffers`);
    }
    if (!Array.isArray(parts) || parts.length === 0) {
      throw new TypeError(`${NAME}: parts must be a non-empty array of optimizers`);
    }
    const where = new Map<FloatBuffer, number>();
    params.forEach((p, i) => {
      if (where.has(p)) {
        throw new RangeError(`${NAME}: parameter ${i} is the same buffer as ${where.get(p)}`);
      }
      where.set(p, i);
    });
    const owner = new Int32Array(params.length).fill(-1);
    this.positions = parts.map((part, k) =>
      part.params.map((p: FloatBuffer, j: number) => {
        const i = where.get(p);
        if (i === undefined) {
          throw new RangeError(
            `${NAME}: buffer ${j} of part ${k} is not among the parameters; build each part over buffers of the list given`,
          );
        }
        if (owner[i] !== -1) {
          throw new RangeError(`${NAME}: parameter ${i} is in part ${owner[i]} and in part ${k}`);
        }
        owner[i] = k;
        return i;
      }),
    );
    const missing = owner.indexOf(-1);
    if (missing >= 0) {
      throw new RangeError(
        `${NAME}: parameter ${missing} is in no part; every parameter must be in exactly one`,
      );
    }
    this.params = params.slice();
    this.paramGroups = parts.flatMap((part) => part.paramGroups);
    this.lists = this.positions.map((at) => at.map(() => null));
    if (parts.some((part) => typeof (part as EvalPoint).evalParams === 'function')) {
      this.evalParams = (out) => this.evalPoint(out);
    }
  }

  private evalPoint(out: FloatBuffer[]): FloatBuffer[] {
    evalTargets(NAME, this.params, out);
    this.parts.forEach((part, k) => {
      const at = this.positions[k]!;
      const own = (part as EvalPoint).evalParams;
      if (own)
        own.call(
          part,
          at.map((i) => out[i]!),
        );
      else at.forEach((i, j) => out[i]!.set(part.params[j]!));
    });
    return out;
  }

  step(grads: Gradients, gradScale = 1): void {
    checkGradients(NAME, grads, this.params, NO_REFUSAL);
    const { parts, positions, lists } = this;
    for (let k = 0; k < parts.length; k++) {
      const at = positions[k]!;
      const held = parts[k]!.params.length;
      if (held !== at.length) {
        throw new RangeError(
          `${NAME}: part ${k} holds ${held} buffers, it was built over ${at.length}; build a new Partition to add parameters`,
        );
      }
    }
    for (let k = 0; k < parts.length; k++) {
      const at = positions[k]!;
      const list = lists[k]!;
      for (let j = 0; j < at.length; j++) list[j] = grads[at[j]!];
      try {
        parts[k]!.step(list, gradScale);
      } finally {
        // Not kept between steps: the caller's gradient buffers stay the caller's.
        list.fill(null);
      }
    }
  }

  stateDict(): PartitionStateDict {
    return { type: NAME, parts: this.parts.map((p) => p.stateDict()) };
  }

  /** Restores every part, or none: a part that refuses its state puts back the ones before it. */
  loadStateDict(state: PartitionStateDict): void {
    expectType(NAME, state, NAME);
    const saved: unknown = state.parts;
    if (!Array.isArray(saved) || saved.length !== this.parts.length) {
      throw new RangeError(
        `${NAME}: cannot load state: it must hold the states of ${this.parts.length} parts, got ${Array.isArray(saved) ? saved.length : describeWithArticle(saved)}`,
      );
    }
    const before = this.parts.map((p) => p.stateDict());
    let k = 0;
    try {
      for (; k < this.parts.length; k++) this.parts[k]!.loadStateDict(saved[k] as never);
    } catch (e) {
      for (let j = 0; j < k; j++) this.parts[j]!.loadStateDict(before[j] as never);
      throw e;
    }
  }
}
