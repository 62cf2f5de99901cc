import type { Gradients } from '../core/optimizer.ts';
import type { FloatBuffer, ParamsInput } from '../core/types.ts';
import { Adam, type AdamOptions } from '../rules/adam.ts';
import { SGD } from '../rules/sgd.ts';
import type { Schedule } from '../schedules/closed-form.ts';
import { Switch, type SwitchEvent, type SwitchStateDict } from './switch.ts';
import type { Stepper } from './stepper.ts';

export interface SWATSOptions extends Partial<Omit<AdamOptions, 'amsgrad'>> {
  /** Convergence tolerance of the SGD learning-rate estimate (the paper's 1e-9). */
  tolerance?: number;
  /** SGD's momentum buffer at the switch: `'zero'` (default) or `'adam'` (see `Switch`). */
  momentum?: 'zero' | 'adam';
  /** The learning-rate plan after the switch, a schedule of the steps since the switch. */
  schedule?: Schedule;
  onSwitch?: (event: SwitchEvent) => void;
}

/**
 * SWATS: Adam until the SWATS criterion finds a stable SGD learning rate, then SGD with
 * momentum β₁ at that rate (Keskar and Socher 2017, arXiv 1712.07628), optionally following
 * `schedule` after the switch. Built from {@link Switch} with an `Adam` and an `SGD`.
 */
export class SWATS implements Stepper {
  readonly switch: Switch;

  constructor(params: ParamsInput<AdamOptions>, options: SWATSOptions = {}) {
    const { tolerance, momentum, schedule, onSwitch, ...adamOptions } = options;
    const adam = new Adam(params, adamOptions);
    const flat = adam.params as FloatBuffer[];
    const beta1 = (adam.paramGroups[0] as AdamOptions).betas[0];
    const sgd = new SGD(flat, {
      lr: adam.paramGroups[0]!.lr,
      momentum: beta1,
      weightDecay: adam.paramGroups[0]!.weightDecay,
      maximize: adam.paramGroups[0]!.maximize,
    });
    this.switch = new Switch(adam, sgd, {
      trigger: { swats: tolerance === undefined ? {} : { tolerance } },
      lr: 'estimate',
      ...(momentum ? { momentum } : {}),
      ...(schedule ? { schedule } : {}),
      ...(onSwitch ? { onSwitch } : {}),
    });
  }

  get paramGroups(): Stepper['paramGroups'] {
    return this.switch.paramGroups;
  }

  get params(): readonly FloatBuffer[] {
    return this.switch.params;
  }

  /** `'first'` while Adam runs, `'second'` after the switch to SGD. */
  get phase(): 'first' | 'second' {
    return this.switch.phase;
  }

  get event(): SwitchEvent | null {
    return this.switch.event;
  }

  step(grads: Gradients, gradScale = 1): void {
    this.switch.step(grads, gradScale);
  }

  stateDict(): SwitchStateDict {
    return this.switch.stateDict();
  }

  loadStateDict(state: SwitchStateDict): void {
    this.switch.loadStateDict(state);
  }
}
