import type { LabEntry, OptimizerDescriptor } from 'descent-optim/internal/core/descriptor';
import type { FloatBuffer, ParamsInput, Shape } from 'descent-optim/internal/core/types';
import { OPTIMIZERS } from 'descent-optim/internal/optimizers';
import { Adam, AdamW, adamWRule } from 'descent-optim/internal/rules/adam';
import { Muon } from 'descent-optim/internal/rules/muon';
import { SGD } from 'descent-optim/internal/rules/sgd';
import { cosineAnnealing } from 'descent-optim/internal/schedules/closed-form';
import { Partition } from 'descent-optim/internal/wrappers/partition';
import { Switch } from 'descent-optim/internal/wrappers/switch';
import type { Stepper } from 'descent-optim/internal/wrappers/stepper';

/** A contender that is, on some problem, exactly another optimizer (and why). */
export interface DegenerateAs {
  /** The contender it is there (`adamw`). */
  optimizer: string;
  /** Its label (`AdamW`), for the report. */
  label: string;
  /** Why, in words (`no matrix parameters`). */
  reason: string;
}

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
  /**
   * Builds it over the parameters, for a run of `totalSteps` steps. `shapes` (one per buffer, a
   * model's `shapes`; undefined where all are vectors) matters to contenders that treat matrices
   * apart (`muon`); the others ignore it.
   */
  build(params: FloatBuffer[], lr: number, totalSteps: number, shapes?: readonly Shape[]): Stepper;
  /**
   * Where it is exactly another contender on a model with these parameters (`muon` without a
   * matrix is AdamW): which, and why; null (or no such method) where it is itself.
   */
  degenerateAs?(
    params: readonly FloatBuffer[],
    shapes: readonly Shape[] | undefined,
  ): DegenerateAs | null;
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
    // The model's shapes where it has them: Adafactor factors the matrices, and every state
    // records them (a checkpoint's shapes then agree with a PyTorch optimizer's).
    build: (params, lr, _steps, shapes) =>
      d.create((shapes ? [{ params, shapes: [...shapes] }] : params) as ParamsInput<never>, {
        lr,
      }),
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

/** The library's optimizers the lab races as they are (those with a `lab` entry). */
const SINGLE: readonly Contender[] = OPTIMIZERS.filter(
  (d): d is OptimizerDescriptor & { lab: LabEntry } => d.lab !== undefined,
).map(fromDescriptor);

const adamw = SINGLE.find((c) => c.name === 'adamw')!;

/** A parameter that `muon` gives to Muon: a matrix, both of its sizes above 1. */
function isMatrix(shape: Shape | undefined): boolean {
  return shape !== undefined && shape.length === 2 && shape[0]! > 1 && shape[1]! > 1;
}

/**
 * Muon on the model's matrices, AdamW on the rest, at one learning rate: how Muon's authors train
 * (Jordan 2024; Liu et al. 2025, arXiv 2502.16982). A matrix is a parameter of shape
 * `[rows, cols]` with both sizes above 1 (the MLPs' weights, the softmax's W); biases, scalars
 * and vectors go to AdamW. Muon runs with torch's `adjustLrFn: 'match_rms_adamw'` (Moonshot's
 * factor 0.2·√max(rows, cols)), which scales its orthogonalised update to the RMS of an AdamW
 * update, so that ONE learning rate, swept over AdamW's range, serves both. Both decay at AdamW's
 * default weightDecay (0.01, where torch's Muon defaults to 0.1), so that the split is the one
 * difference from the `adamw` contender; Muon's other options are torch's defaults (momentum
 * 0.95, Nesterov, 5 Newton–Schulz steps). Steps through a {@link Partition} of the two.
 *
 * On a model without a matrix (a test function, the sparse logistic regression) it is exactly
 * AdamW: it still races there, since the ranking needs every optimizer on every problem, and
 * `degenerateAs` says so, which the report shows and the new-versus-Adam(W) claim heeds.
 */
const muonAdamW: Contender = {
  name: 'muon',
  label: 'Muon+AdamW',
  family: 'adaptive',
  lrDecades: adamw.lrDecades,
  lrCapped: adamw.lrCapped,
  defaultLr: adamw.defaultLr,
  selfTuning: false,
  era: 'new',
  build(params, lr, _totalSteps, shapes) {
    if (shapes !== undefined && shapes.length !== params.length) {
      throw new RangeError(`muon: got ${shapes.length} shapes for ${params.length} parameters`);
    }
    const matrices: FloatBuffer[] = [];
    const matrixShapes: Shape[] = [];
    const rest: FloatBuffer[] = [];
    params.forEach((p, i) => {
      const shape = shapes?.[i];
      if (isMatrix(shape)) {
        matrices.push(p);
        matrixShapes.push(shape!);
      } else rest.push(p);
    });
    if (matrices.length === 0) return new AdamW(params, { lr });
    const muon = new Muon([{ params: matrices, shapes: matrixShapes }], {
      lr,
      weightDecay: adamWRule.defaults.weightDecay,
      adjustLrFn: 'match_rms_adamw',
    });
    return rest.length === 0 ? muon : new Partition(params, [muon, new AdamW(rest, { lr })]);
  },
  degenerateAs(_params, shapes) {
    return shapes?.some(isMatrix)
      ? null
      : { optimizer: adamw.name, label: adamw.label, reason: 'no matrix parameters' };
  },
};

/**
 * The lab's own compositions of the library's optimizers: Adam→SGD, and Muon+AdamW (named
 * `muon`: the library's Muon takes matrices only, so in the lab the name means the composition).
 */
export const COMPOSED_CONTENDERS: readonly Contender[] = [adamThenSgd, muonAdamW];

/**
 * Every optimizer the lab can race, in report order: the library's list, then Adam→SGD and
 * Muon+AdamW.
 */
export const CONTENDERS: readonly Contender[] = [...SINGLE, ...COMPOSED_CONTENDERS];

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
 * closure), Muon as Muon+AdamW.
 */
export const FULL_CONTENDERS = [
  ...DEFAULT_CONTENDERS,
  'lion',
  'schedulefree-adamw',
  'prodigy',
  'ademamix',
  'muon',
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
