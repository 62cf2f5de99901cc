import type { Gradients } from '../core/optimizer.ts';
import { checkGradients } from '../core/check-gradients.ts';
import { isSparse } from '../core/gradients.ts';
import type { FloatBuffer } from '../core/types.ts';
import { checkInteger } from '../core/validate.ts';
import { expectType, restoreBuffer, type Stepper } from './stepper.ts';

export interface AccumulateOptions {
  /** Gradients per update, k >= 1. */
  steps: number;
  /** Apply the mean of the k gradients (default) or their sum. */
  reduction?: 'mean' | 'sum';
}

export interface AccumulateStateDict {
  type: 'Accumulate';
  count: number;
  buffers: FloatBuffer[] | null;
  inner: unknown;
}

const NAME = 'Accumulate';
const noRefusal = () => null;

/**
 * Gradient accumulation (optax `MultiSteps`, Keras `gradient_accumulation_steps`): every call
 * adds the gradients to a buffer; every k-th call hands the mean (or sum) to the inner optimizer.
 * The mean is applied as the kernel's gradient scale 1/k, so no extra pass divides the buffer,
 * and the first call of a cycle writes the buffer instead of adding, so none zeroes it.
 */
export class Accumulate implements Stepper {
  /** Calls since the last update (0..k-1). */
  count = 0;
  /** True when the last call updated the parameters (step a scheduler then). */
  applied = false;
  private buffers: FloatBuffer[] | null = null;
  readonly steps: number;
  readonly reduction: 'mean' | 'sum';

  constructor(
    readonly inner: Stepper,
    options: AccumulateOptions,
  ) {
    const { steps, reduction = 'mean' } = options;
    checkInteger(NAME, 'steps', steps);
    if (reduction !== 'mean' && reduction !== 'sum') {
      throw new RangeError(`${NAME}: reduction must be "mean" or "sum", got ${String(reduction)}`);
    }
    this.steps = steps;
    this.reduction = reduction;
  }

  get paramGroups(): Stepper['paramGroups'] {
    return this.inner.paramGroups;
  }

  get params(): readonly FloatBuffer[] {
    return this.inner.params;
  }

  step(grads: Gradients, gradScale = 1): void {
    const params = this.inner.params;
    // The core's checks (count, length, dtype, sparse indices), before anything is added;
    // every optimizer may take sparse gradients here, since they are summed into dense buffers.
    checkGradients(NAME, grads, params, noRefusal);
    const buffers = this.buffersFor(params);
    const first = this.count === 0;
    grads.forEach((g, i) => {
      const acc = buffers[i] as FloatBuffer;
      if (first && (!g || isSparse(g))) acc.fill(0);
      if (!g) return;
      if (isSparse(g)) {
        const rowSize = g.rowSize ?? 1;
        for (let k = 0; k < g.indices.length; k++) {
          const base = (g.indices[k] as number) * rowSize;
          for (let j = 0; j < rowSize; j++) acc[base + j] += gradScale * g.values[k * rowSize + j];
        }
      } else if (first) {
        for (let j = 0; j < acc.length; j++) acc[j] = gradScale * g[j];
      } else {
        for (let j = 0; j < acc.length; j++) acc[j] += gradScale * g[j];
      }
    });
    this.count += 1;
    this.applied = false;
    if (this.count < this.steps) return;
    this.count = 0;
    this.inner.step(buffers, this.reduction === 'mean' ? 1 / this.steps : 1);
    this.applied = true;
  }

  /**
   * The accumulation buffers, one per parameter; a buffer the inner optimizer gained since
   * (`addParamGroup`) starts at zero, the sum of the gradients it has had in this cycle.
   */
  private buffersFor(params: readonly FloatBuffer[]): FloatBuffer[] {
    const buffers = (this.buffers ??= []);
    for (let i = buffers.length; i < params.length; i++) {
      const p = params[i] as FloatBuffer;
      buffers.push(
        p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length),
      );
    }
    return buffers;
  }

  stateDict(): AccumulateStateDict {
    const buffers =
      this.count > 0 ? this.buffersFor(this.inner.params).map((b) => b.slice()) : null;
    return { type: NAME, count: this.count, buffers, inner: this.inner.stateDict() };
  }

  loadStateDict(state: AccumulateStateDict): void {
    expectType(NAME, state, NAME);
    const { count } = state;
    if (!Number.isInteger(count) || count < 0 || count >= this.steps) {
      throw new RangeError(
        `${NAME}: cannot load state: count must be an integer in [0, ${this.steps}), got ${String(count)}`,
      );
    }
    const params = this.inner.params;
    let buffers: FloatBuffer[] | null = null;
    if (count > 0) {
      if (!Array.isArray(state.buffers) || state.buffers.length !== params.length) {
        throw new RangeError(
          `${NAME}: cannot load state: it lacks the ${params.length} accumulation buffers`,
        );
      }
      buffers = params.map((p, i) => restoreBuffer(NAME, `buffer ${i}`, state.buffers?.[i], p));
    }
    this.inner.loadStateDict(state.inner as never);
    this.count = count;
    if (buffers) this.buffers = buffers;
  }
}
