import type { LabEntry, OptimizerDescriptor } from 'descent-optim/internal/core/descriptor';
import type { FloatBuffer } from 'descent-optim/internal/core/types';
import { OPTIMIZERS } from 'descent-optim/internal/optimizers';
import { Adam } from 'descent-optim/internal/rules/adam';
import { SGD } from 'descent-optim/internal/rules/sgd';
import { cosineAnnealing } from 'descent-optim/internal/schedules/closed-form';
import { Switch } from 'descent-optim/internal/wrappers/switch';
import type { Stepper } from 'descent-optim/internal/wrappers/stepper';

/** An optimizer in the race: how to build it at a learning rate, and what it is. */
export interface Contender {
  /** The name used on the command line and in results.json. */
  readonly name: string;
  readonly label: string;
  /** `sgd`: plain, momentum and Nesterov SGD; `adaptive`: per-coordinate step sizes; `switch`. */
  readonly family: LabEntry['family'] | 'switch';
  /** The lr sweep's range, as powers of ten. */
  readonly lrDecades: LabEntry['lrDecades'];
  /** Whether a problem's lr cap applies (see the descriptor's `LabEntry`). */
  readonly lrCapped: boolean;
  /** The optimizer's default learning rate (PyTorch's). */
  readonly defaultLr: number;
  /** It sets its own step size (Prodigy): raced at its default lr only, never swept. */
  readonly selfTuning: boolean;
  /** `classic` (SGD to RAdam, and Adam→SGD) or `new` (Lion, Schedule-Free, Prodigy, ...). */
  readonly era: OptimizerDescriptor['era'];
  /** Builds it over the parameters, for a run of `totalSteps` steps. */
  build(params: FloatBuffer[], lr: number, totalSteps: number): Stepper;
}

/** The contender of an optimizer the lab races (one with a `lab` entry in its descriptor). */
function fromDescriptor(d: OptimizerDescriptor & { lab: LabEntry }): Contender {
  return {
    name: d.name,
    label: d.label,
    family: d.lab.family,
    lrDecades: d.lab.lrDecades,
    lrCapped: d.lab.lrCapped,
    defaultLr: d.defaults.lr,
    selfTuning: d.lab.selfTuning === true,
    era: d.era,
    build: (params, lr) => d.create(params, { lr }),
  };
}

/** The fraction of training after which Adam hands over to SGD in `adam-sgd`. */
export const ADAM_SGD_SWITCH_AT = 0.5;

/**
 * Adam for the first half of training, then SGD with momentum 0.9 from the learning rate the
 * SWATS projection estimated during the Adam phase (times 1 − 0.9), decayed to 0 by a cosine
 * over the remaining steps: "start with Adam, switch to SGD late", with the lr plan SWATS lacks.
 * If the estimate is unusable (not a positive number), SGD starts at Adam's lr.
 */
const adamThenSgd: Contender = {
  name: 'adam-sgd',
  label: 'Adam→SGD',
  family: 'switch',
  lrDecades: [-4, 0.5],
  lrCapped: true,
  defaultLr: 1e-3,
  selfTuning: false,
  era: 'classic',
  build(params, lr, totalSteps) {
    const at = Math.max(1, Math.round(totalSteps * ADAM_SGD_SWITCH_AT));
    return new Switch(new Adam(params, { lr }), new SGD(params, { lr, momentum: 0.9 }), {
      trigger: { step: at },
      lr: 'estimate',
      schedule: cosineAnnealing(Math.max(1, totalSteps - at)),
    });
  },
};

/** Every optimizer the lab can race, in report order: the library's list, then Adam→SGD. */
export const CONTENDERS: readonly Contender[] = [
  ...OPTIMIZERS.filter(
    (d): d is OptimizerDescriptor & { lab: LabEntry } => d.lab !== undefined,
  ).map(fromDescriptor),
  adamThenSgd,
];

/** The default race: the seed's optimizers plus AdamW and NAdam. */
export const DEFAULT_CONTENDERS = [
  'sgd',
  'momentum',
  'nesterov',
  'adagrad',
  'adadelta',
  'rmsprop',
  'adam',
  'radam',
  'adam-sgd',
  'adamw',
  'nadam',
];

/**
 * The race of `--budget full`: the default one plus the new methods worth racing against a
 * well-tuned Adam(W) on these problems (those the lab can build: the rest need shapes or a
 * closure).
 */
export const FULL_CONTENDERS = [
  ...DEFAULT_CONTENDERS,
  'lion',
  'schedulefree-adamw',
  'prodigy',
  'ademamix',
];

/** The contenders a budget races when none are named. */
export function contendersFor(budget: 'quick' | 'full'): readonly string[] {
  return budget === 'full' ? FULL_CONTENDERS : DEFAULT_CONTENDERS;
}

export function findContender(name: string): Contender {
  const c = CONTENDERS.find((x) => x.name === name);
  if (!c) {
    throw new RangeError(
      `unknown optimizer "${name}"; known: ${CONTENDERS.map((x) => x.name).join(', ')}`,
    );
  }
  return c;
}
