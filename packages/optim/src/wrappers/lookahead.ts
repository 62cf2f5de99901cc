import type { Gradients } from '../core/optimizer.ts';
import type { FloatBuffer } from '../core/types.ts';
import { checkInteger } from '../core/validate.ts';
import { expectType, restoreBuffer, type Stepper } from './stepper.ts';

export interface LookaheadOptions {
  /** Inner steps between synchronisations (default 5). */
  k?: number;
  /** Step of the slow weights toward the fast ones, in [0, 1] (default 0.5). */
  alpha?: number;
}

export interface LookaheadStateDict {
  type: 'Lookahead';
  counter: number;
  slow: FloatBuffer[];
  inner: unknown;
}

const NAME = 'Lookahead';

/**
 * Lookahead (Zhang et al. 2019, arXiv 1907.08610) around any optimizer: the inner ("fast")
 * optimizer steps as usual; every k steps the slow weights move `φ ← φ + α(θ − φ)` and the fast
 * weights restart from them, `θ ← φ`. The slow weights start at the parameters' initial values
 * and are touched only every k steps.
 */
export class Lookahead implements Stepper {
  /** Inner steps since the last synchronisation. */
  counter = 0;
  readonly k: number;
  readonly alpha: number;
  private slow: FloatBuffer[];

  constructor(
    readonly inner: Stepper,
    options: LookaheadOptions = {},
  ) {
    const { k = 5, alpha = 0.5 } = options;
    checkInteger(NAME, 'k', k);
    if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) {
      throw new RangeError(`${NAME}: alpha must be in [0, 1], got ${String(alpha)}`);
    }
    this.k = k;
    this.alpha = alpha;
    this.slow = inner.params.map((p) => p.slice());
  }

  get paramGroups(): Stepper['paramGroups'] {
    return this.inner.paramGroups;
  }

  get params(): readonly FloatBuffer[] {
    return this.inner.params;
  }

  step(grads: Gradients, gradScale = 1): void {
    this.syncSlow();
    this.inner.step(grads, gradScale);
    this.counter += 1;
    if (this.counter < this.k) return;
    this.counter = 0;
    const a = this.alpha;
    this.inner.params.forEach((p, i) => {
      const s = this.slow[i] as FloatBuffer;
      for (let j = 0; j < p.length; j++) {
        s[j] += a * (p[j] - s[j]);
        p[j] = s[j];
      }
    });
  }

  stateDict(): LookaheadStateDict {
    this.syncSlow();
    return {
      type: NAME,
      counter: this.counter,
      slow: this.slow.map((s) => s.slice()),
      inner: this.inner.stateDict(),
    };
  }

  /**
   * Slow weights for buffers the inner optimizer gained since (`addParamGroup`): they start at
   * the buffers' values when first seen, before any step moves them, as the first ones did.
   */
  private syncSlow(): void {
    const params = this.inner.params;
    for (let i = this.slow.length; i < params.length; i++) {
      this.slow.push((params[i] as FloatBuffer).slice());
    }
  }

  loadStateDict(state: LookaheadStateDict): void {
    expectType(NAME, state, NAME);
    if (!Number.isInteger(state.counter) || state.counter < 0 || state.counter >= this.k) {
      throw new RangeError(
        `${NAME}: cannot load state: counter must be an integer in [0, ${this.k}), got ${String(state.counter)}`,
      );
    }
    const params = this.inner.params;
    if (!Array.isArray(state.slow) || state.slow.length !== params.length) {
      throw new RangeError(
        `${NAME}: cannot load state: it has no slow weights for the ${params.length} parameters`,
      );
    }
    const slow = params.map((p, i) => restoreBuffer(NAME, `slow weights ${i}`, state.slow[i], p));
    this.inner.loadStateDict(state.inner as never);
    this.counter = state.counter;
    this.slow = slow;
  }
}
