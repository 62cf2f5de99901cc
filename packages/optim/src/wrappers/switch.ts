import type { Gradients, Optimizer } from '../core/optimizer.ts';
import type { OptimizerStateDict } from '../core/state-dict.ts';
import type { CommonOptions, FloatBuffer } from '../core/types.ts';
import type { Schedule } from '../schedules/closed-form.ts';
import { readHyper } from '../schedules/scheduler.ts';
import { expectType, type Stepper } from './stepper.ts';
import { swatsStep, type SwatsState } from './swats-criterion.ts';

type AnyOptimizer = Optimizer<CommonOptions>;

/** A group's `momentum`, 0 for an optimizer without one (read by name: options differ by rule). */
function momentumOf(group: object): number {
  const mu: unknown = Reflect.get(group, 'momentum');
  return typeof mu === 'number' ? mu : 0;
}

/** When to hand over from the first optimizer to the second. */
export type SwitchTrigger =
  | { step: number }
  | { epoch: number; stepsPerEpoch: number }
  | { plateau: { patience: number; threshold?: number } }
  | { swats: { tolerance?: number } }
  | 'swats';

export interface SwitchOptions {
  trigger: SwitchTrigger;
  /**
   * The second optimizer's learning rate at the hand-over: `'estimate'` (Adam or AdamW first:
   * the SWATS estimate, the bias-corrected running average of the projection-based SGD rate,
   * times 1 − momentum when the second optimizer uses momentum, see below; with another
   * trigger than SWATS the average at the switch is used as it stands, and when it is not a
   * positive number the second optimizer keeps its own lr), `'keep'` (its own configured lr)
   * or a number. Default: `'estimate'` with the SWATS trigger, else `'keep'`.
   */
  lr?: 'estimate' | 'keep' | number;
  /**
   * SGD's momentum buffer at the hand-over: `'zero'` (default; PyTorch then starts it at the
   * first gradient) or `'adam'` (Adam's bias-corrected first moment divided by 1 − momentum, the
   * steady-state size of a PyTorch momentum buffer for the same gradients).
   */
  momentum?: 'zero' | 'adam';
  /**
   * The learning-rate plan of the second phase: a closed-form schedule of the steps since the
   * hand-over (0 on the first step of the second optimizer), with the handed-over lr as base.
   */
  schedule?: Schedule;
  /** Called once, when the switch happens. */
  onSwitch?: (event: SwitchEvent) => void;
}

export interface SwitchEvent {
  /** Steps taken by the first optimizer. */
  step: number;
  /** The learning rate handed to the second optimizer (per group, the first group's here). */
  lr: number;
  /** The SWATS estimate of the SGD learning rate, when the SWATS trigger fired. */
  estimate?: number;
}

export interface SwitchStateDict {
  type: 'Switch';
  phase: 'first' | 'second';
  /** Steps taken in total (both phases). */
  steps: number;
  event: SwitchEvent | null;
  /** The lr of every group of the second optimizer at the hand-over (the schedule's bases). */
  bases: number[] | null;
  swats: SwatsState;
  plateau: { best: number; bad: number };
  first: OptimizerStateDict;
  second: OptimizerStateDict;
}

const NAME = 'Switch';

/**
 * Starts with one optimizer and hands over to another (the practice of Adam early, SGD late):
 * at a fixed step or epoch, when a monitored loss plateaus (`observe(loss)`), or by the SWATS
 * criterion (Keskar and Socher 2017). Both optimizers are built over the same parameters; the
 * switch moves the learning rate (and optionally a momentum buffer) across, then follows
 * `schedule` for the second phase, the plan SWATS itself lacks.
 *
 * On the SWATS lr: the paper's SGD phase is `v ← β₁v + g; w ← w − (1−β₁)Λv`, which is PyTorch's
 * SGD with momentum β₁ and lr `(1−β₁)Λ`; so with momentum μ the handed lr is `(1−μ)·Λ`.
 */
export class Switch implements Stepper {
  phase: 'first' | 'second' = 'first';
  /** Steps taken in total. */
  steps = 0;
  /** The hand-over, once it happened. */
  event: SwitchEvent | null = null;
  private bases: number[] | null = null;
  private swats: SwatsState = { lambda: 0, gamma: NaN, estimate: NaN };
  private plateau = { best: Infinity, bad: 0 };
  private readonly options: SwitchOptions;
  private readonly atStep: number | null;
  /** How many parameters were last found the same in both optimizers. */
  private checked = 0;

  constructor(
    readonly first: AnyOptimizer,
    readonly second: AnyOptimizer,
    options: SwitchOptions,
  ) {
    this.checkSameParams();
    const t = options?.trigger;
    this.atStep = null;
    if (t === 'swats' || (typeof t === 'object' && 'swats' in t)) {
      if (!first.traits.adamMoments) {
        throw new RangeError(
          `${NAME}: the SWATS trigger needs Adam or AdamW first, got ${first.name}`,
        );
      }
    } else if (typeof t === 'object' && 'step' in t) {
      this.atStep = checkCount('trigger.step', t.step);
    } else if (typeof t === 'object' && 'epoch' in t) {
      this.atStep =
        checkCount('trigger.epoch', t.epoch) * checkCount('trigger.stepsPerEpoch', t.stepsPerEpoch);
    } else if (typeof t === 'object' && 'plateau' in t) {
      checkCount('trigger.plateau.patience', t.plateau.patience);
    } else {
      throw new RangeError(
        `${NAME}: trigger must be { step }, { epoch, stepsPerEpoch }, { plateau }, or 'swats', got ${JSON.stringify(t)}`,
      );
    }
    const lr = options.lr;
    if (
      lr !== undefined &&
      lr !== 'estimate' &&
      lr !== 'keep' &&
      !(typeof lr === 'number' && lr >= 0)
    ) {
      throw new RangeError(
        `${NAME}: lr must be 'estimate', 'keep' or a number >= 0, got ${String(lr)}`,
      );
    }
    if (lr === 'estimate' && !first.traits.adamMoments) {
      throw new RangeError(`${NAME}: lr 'estimate' needs Adam or AdamW first, got ${first.name}`);
    }
    const momentum = options.momentum ?? 'zero';
    if (momentum !== 'zero' && momentum !== 'adam') {
      throw new RangeError(`${NAME}: momentum must be 'zero' or 'adam', got ${String(momentum)}`);
    }
    if (momentum === 'adam' && (!second.traits.momentumBuffer || !first.traits.adamMoments)) {
      throw new RangeError(`${NAME}: momentum 'adam' needs Adam or AdamW first and SGD second`);
    }
    this.options = options;
  }

  /**
   * Both optimizers must step the same buffers; a group added to one (`addParamGroup`) must be
   * added to the other before the next step. Compared again only when a length changed.
   */
  private checkSameParams(): void {
    const a = this.first.params;
    const b = this.second.params;
    if (a.length === this.checked && b.length === this.checked) return;
    if (a.length !== b.length || a.some((p, i) => p !== b[i])) {
      const counts = a.length === b.length ? '' : ` (first ${a.length}, second ${b.length})`;
      throw new RangeError(
        `${NAME}: both optimizers must hold the same parameters, in the same order${counts}; add a new group to both`,
      );
    }
    this.checked = a.length;
  }

  private usesSwats(t: SwitchTrigger): boolean {
    return t === 'swats' || (typeof t === 'object' && 'swats' in t);
  }

  /** The optimizer that runs now. */
  get active(): AnyOptimizer {
    return this.phase === 'first' ? this.first : this.second;
  }

  get paramGroups(): Stepper['paramGroups'] {
    return this.active.paramGroups;
  }

  get params(): readonly FloatBuffer[] {
    return this.first.params;
  }

  step(grads: Gradients, gradScale = 1): void {
    this.checkSameParams();
    if (this.phase === 'first' && this.atStep !== null && this.steps >= this.atStep) {
      this.handOver(this.options.lr === 'estimate' ? this.swats.estimate : undefined);
    }
    if (this.phase === 'second') {
      const schedule = this.options.schedule;
      if (schedule && this.bases) {
        const k = this.steps - (this.event as SwitchEvent).step;
        const groups = this.second.paramGroups;
        // A group added after the hand-over follows the schedule from its own lr.
        for (let i = this.bases.length; i < groups.length; i++) this.bases.push(groups[i]!.lr);
        groups.forEach((g, i) => (g.lr = schedule(k, this.bases![i] as number)));
      }
      this.second.step(grads, gradScale);
      this.steps += 1;
      return;
    }
    this.first.step(grads, gradScale);
    this.steps += 1;
    const t = this.options.trigger;
    // The running estimate is kept whenever it is wanted: to trigger (SWATS) or to hand over.
    if (this.usesSwats(t) || this.options.lr === 'estimate') {
      const tolerance =
        (typeof t === 'object' && 'swats' in t ? t.swats.tolerance : undefined) ?? 1e-9;
      const estimate = swatsStep(this.first, grads, gradScale, this.swats, tolerance);
      if (estimate !== null && this.usesSwats(t)) this.handOver(estimate);
    }
  }

  /**
   * Reports the monitored loss (e.g. once per epoch) for the plateau trigger: after `patience`
   * reports without a relative improvement of `threshold` (default 1e-4), the next step switches.
   */
  observe(loss: number): void {
    const t = this.options.trigger;
    if (typeof t !== 'object' || !('plateau' in t) || this.phase === 'second') return;
    const threshold = t.plateau.threshold ?? 1e-4;
    if (loss < this.plateau.best * (1 - threshold)) {
      this.plateau = { best: loss, bad: 0 };
    } else {
      this.plateau.bad += 1;
      if (this.plateau.bad >= t.plateau.patience) {
        this.handOver(this.options.lr === 'estimate' ? this.swats.estimate : undefined);
      }
    }
  }

  private handOver(estimate?: number): void {
    const { lr = estimate !== undefined ? 'estimate' : 'keep', momentum = 'zero' } = this.options;
    const groups = this.second.paramGroups;
    if (lr === 'estimate' && estimate !== undefined && estimate > 0 && Number.isFinite(estimate)) {
      groups.forEach((g) => (g.lr = (1 - momentumOf(g)) * estimate));
    } else if (typeof lr === 'number') {
      groups.forEach((g) => (g.lr = lr));
    }
    if (momentum === 'adam') this.seedMomentum();
    this.bases = groups.map((g) => g.lr);
    this.phase = 'second';
    this.event = {
      step: this.steps,
      lr: groups[0]?.lr ?? NaN,
      ...(estimate !== undefined ? { estimate } : {}),
    };
    this.options.onSwitch?.(this.event);
  }

  /** Starts SGD's momentum buffers at Adam's bias-corrected first moment / (1 − μ). */
  private seedMomentum(): void {
    const state = this.second.stateDict();
    const beta1 = readHyper(this.first.paramGroups[0]!, 'betas.0', NAME);
    let index = 0;
    for (const group of this.second.paramGroups) {
      const mu = momentumOf(group);
      for (let j = 0; j < group.params.length; j++, index++) {
        const adam = this.first.paramState(index);
        if (!adam || mu === 0) continue;
        const scale = 1 / ((1 - beta1 ** adam.step) * (1 - mu));
        const buf = (adam.slots.exp_avg as FloatBuffer).map((m) => m * scale);
        state.state[index] = {
          step: state.state[index]?.step ?? 0,
          scalars: {},
          slots: { momentum_buffer: buf },
        };
      }
    }
    this.second.loadStateDict(state);
  }

  stateDict(): SwitchStateDict {
    return {
      type: NAME,
      phase: this.phase,
      steps: this.steps,
      event: this.event && { ...this.event },
      bases: this.bases && this.bases.slice(),
      swats: { ...this.swats },
      plateau: { ...this.plateau },
      first: this.first.stateDict(),
      second: this.second.stateDict(),
    };
  }

  loadStateDict(s: SwitchStateDict): void {
    expectType(NAME, s, NAME);
    if (s.phase !== 'first' && s.phase !== 'second') {
      throw new RangeError(
        `${NAME}: cannot load state: phase must be 'first' or 'second', got ${String(s.phase)}`,
      );
    }
    if (!Number.isInteger(s.steps) || s.steps < 0) {
      throw new RangeError(
        `${NAME}: cannot load state: steps must be an integer >= 0, got ${String(s.steps)}`,
      );
    }
    if (s.phase === 'second' && !s.event)
      throw new RangeError(`${NAME}: cannot load state: second phase without a switch event`);
    // Both optimizers validate their own part; restore the second only if the first succeeds.
    const firstBefore = this.first.stateDict();
    this.first.loadStateDict(s.first);
    try {
      this.second.loadStateDict(s.second);
    } catch (e) {
      this.first.loadStateDict(firstBefore);
      throw e;
    }
    this.phase = s.phase;
    this.steps = s.steps;
    this.event = s.event && { ...s.event };
    this.bases = s.bases && s.bases.slice();
    this.swats = { ...s.swats };
    this.plateau = { ...s.plateau };
  }
}

function checkCount(option: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new RangeError(`${NAME}: ${option} must be an integer >= 0, got ${String(value)}`);
  }
  return value as number;
}
