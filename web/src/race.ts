import type { Optimizer, CommonOptions } from '../../packages/optim/src/index.ts';
import { Rng } from '../../packages/lab/src/lab/browser.ts';
import { findOptimizer } from '../../packages/optim/src/index.ts';
import { build, type FlatOptions } from './optimizers.ts';
import type { Surface } from './surface.ts';

/** One optimizer in the race and its hyper-parameters. */
export interface RacerSpec {
  readonly name: string;
  readonly options: FlatOptions;
}

/** Past this distance from the origin a run counts as diverged and stops. */
export const ESCAPE = 1e6;

/** The most steps a race keeps (and runs). */
export const MAX_STEPS = 5000;

/**
 * One optimizer running on the surface: its own parameter buffer, optimizer, trajectory and
 * losses. `status` is 'error' when the library refused the hyper-parameters (the message is kept).
 */
export class Racer {
  readonly p = new Float64Array(2);
  readonly g = new Float64Array(2);
  /** x, y of every visited point, interleaved, starting at the start. */
  readonly path: number[] = [];
  /** The loss at every visited point. */
  readonly losses: number[] = [];
  status: 'running' | 'diverged' | 'error' = 'running';
  error = '';
  /**
   * −Δx / gₓ on the last step: the step size actually applied to the leading coordinate. NaN
   * before the first step and when gₓ was 0.
   */
  effectiveStep = NaN;
  /** The gradient used on the last step (noise included), leading coordinate; NaN before it. */
  lastGrad = NaN;
  readonly optimizer: Optimizer<CommonOptions> | null = null;
  /** Whether its step takes a closure (L-BFGS calls the surface itself, several times a step). */
  private readonly closure: boolean;
  private readonly rng: Rng;

  constructor(
    readonly spec: RacerSpec,
    private readonly surface: Surface,
    start: readonly number[],
    private readonly noise: number,
    seed: number,
  ) {
    this.p[0] = start[0]!;
    this.p[1] = start[1]!;
    // The same seed for every racer: all of them see the same noise sequence.
    this.rng = new Rng(seed);
    this.record();
    try {
      this.optimizer = build(spec.name, this.p, spec.options);
    } catch (e) {
      this.status = 'error';
      this.error = (e as Error).message;
    }
    this.closure = this.optimizer !== null && findOptimizer(spec.name).closure === true;
  }

  private record(): void {
    this.path.push(this.p[0]!, this.p[1]!);
    this.losses.push(this.surface.value(this.p));
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.losses.length - 1;
  }

  /** One optimizer step from the (optionally noisy) gradient at the current point. */
  step(): void {
    if (this.status !== 'running' || !this.optimizer) return;
    this.surface.gradient(this.p, this.g);
    if (this.noise > 0) {
      this.g[0] += this.noise * this.rng.normal();
      this.g[1] += this.noise * this.rng.normal();
    }
    const x = this.p[0]!;
    this.lastGrad = this.g[0]!;
    try {
      if (this.closure) this.closureStep();
      else this.optimizer.step([this.g]);
    } catch (e) {
      this.status = 'error';
      this.error = (e as Error).message;
      return;
    }
    this.effectiveStep = this.lastGrad !== 0 ? -(this.p[0]! - x) / this.lastGrad : NaN;
    this.record();
    const loss = this.losses[this.losses.length - 1]!;
    if (!Number.isFinite(loss) || Math.hypot(this.p[0]!, this.p[1]!) > ESCAPE)
      this.status = 'diverged';
  }

  /**
   * One step of an optimizer that evaluates the surface itself (L-BFGS): its closure writes the
   * (optionally noisy) gradient at the point it is called at and returns the value there.
   */
  private closureStep(): void {
    const opt = this.optimizer as unknown as {
      step(closure: (grads: readonly Float64Array[]) => number): number;
    };
    opt.step((grads) => {
      const g = grads[0]!;
      const value = this.surface.gradient(this.p, g);
      if (this.noise > 0) {
        g[0] += this.noise * this.rng.normal();
        g[1] += this.noise * this.rng.normal();
      }
      return value;
    });
  }

  /** The optimizer's live state for the leading coordinate: step count and every slot at index 0. */
  leadingState(): Record<string, number> {
    const st = this.optimizer?.paramState(0);
    const out: Record<string, number> = {};
    if (!st) return out;
    for (const [k, buf] of Object.entries(st.slots)) out[k] = buf[0]!;
    for (const [k, v] of Object.entries(st.scalars)) out[k] = v;
    return out;
  }
}

/** Every racer from one start on one surface, stepped in lock-step. */
export class Race {
  racers: Racer[] = [];
  step = 0;

  constructor(
    readonly surface: Surface,
    readonly start: readonly number[],
    readonly specs: readonly RacerSpec[],
    readonly noise: number,
    readonly seed: number,
  ) {
    this.reset();
  }

  /** Back to the start with fresh optimizers. */
  reset(): void {
    this.racers = this.specs.map(
      (s) => new Racer(s, this.surface, this.start, this.noise, this.seed),
    );
    this.step = 0;
  }

  /** Whether any racer can still move (and the step limit is not reached). */
  get live(): boolean {
    return this.step < MAX_STEPS && this.racers.some((r) => r.status === 'running');
  }

  /** `n` steps of every racer. */
  advance(n = 1): void {
    for (let i = 0; i < n && this.live; i++) {
      for (const r of this.racers) r.step();
      this.step++;
    }
  }
}
