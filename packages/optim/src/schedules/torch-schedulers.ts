/**
 * PyTorch's `torch.optim.lr_scheduler` classes, option names camelCased, defaults PyTorch's.
 * Each drives one hyper-parameter (`key`, default `lr`; any numeric option or `betas.0` works).
 */
import {
  chained,
  constantFactor,
  cosineAnnealing,
  cosineWarmRestarts,
  exponential,
  lambdaFactor,
  linearFactor,
  multiStep,
  polynomial,
  sequential,
  stepDecay,
} from './closed-form.ts';
import { cyclic, oneCycle, type CyclicOptions, type OneCycleOptions } from './cycles.ts';
import { Scheduler, type HyperKey, type Schedulable } from './scheduler.ts';

interface KeyOption {
  /** The hyper-parameter to schedule (default `lr`). */
  key?: HyperKey;
}

export class StepLR extends Scheduler {
  constructor(opt: Schedulable, o: { stepSize: number; gamma?: number } & KeyOption) {
    super(opt, [{ key: o.key ?? 'lr', schedule: stepDecay(o.stepSize, o.gamma) }], 'StepLR');
  }
}

export class MultiStepLR extends Scheduler {
  constructor(opt: Schedulable, o: { milestones: number[]; gamma?: number } & KeyOption) {
    super(opt, [{ key: o.key ?? 'lr', schedule: multiStep(o.milestones, o.gamma) }], 'MultiStepLR');
  }
}

export class ExponentialLR extends Scheduler {
  constructor(opt: Schedulable, o: { gamma: number } & KeyOption) {
    super(opt, [{ key: o.key ?? 'lr', schedule: exponential(o.gamma) }], 'ExponentialLR');
  }
}

export class ConstantLR extends Scheduler {
  constructor(opt: Schedulable, o: { factor?: number; totalIters?: number } & KeyOption = {}) {
    const schedule = constantFactor(o.factor, o.totalIters);
    super(opt, [{ key: o.key ?? 'lr', schedule }], 'ConstantLR');
  }
}

/** Linear warm-up (or decay) of the factor on the base value. */
export class LinearLR extends Scheduler {
  constructor(
    opt: Schedulable,
    o: { startFactor?: number; endFactor?: number; totalIters?: number } & KeyOption = {},
  ) {
    const schedule = linearFactor(o.startFactor, o.endFactor, o.totalIters);
    super(opt, [{ key: o.key ?? 'lr', schedule }], 'LinearLR');
  }
}

export class CosineAnnealingLR extends Scheduler {
  constructor(opt: Schedulable, o: { tMax: number; etaMin?: number } & KeyOption) {
    const schedule = cosineAnnealing(o.tMax, o.etaMin);
    super(opt, [{ key: o.key ?? 'lr', schedule }], 'CosineAnnealingLR');
  }
}

export class CosineAnnealingWarmRestarts extends Scheduler {
  constructor(opt: Schedulable, o: { t0: number; tMult?: number; etaMin?: number } & KeyOption) {
    const schedule = cosineWarmRestarts(o.t0, o.tMult, o.etaMin);
    super(opt, [{ key: o.key ?? 'lr', schedule }], 'CosineAnnealingWarmRestarts');
  }
}

export class PolynomialLR extends Scheduler {
  constructor(opt: Schedulable, o: { totalIters?: number; power?: number } & KeyOption = {}) {
    const schedule = polynomial(o.totalIters, o.power);
    super(opt, [{ key: o.key ?? 'lr', schedule }], 'PolynomialLR');
  }
}

/** `base · lrLambda(k)`; the function is not part of the saved state (as in PyTorch). */
export class LambdaLR extends Scheduler {
  constructor(opt: Schedulable, o: { lrLambda: (k: number) => number } & KeyOption) {
    super(opt, [{ key: o.key ?? 'lr', schedule: lambdaFactor(o.lrLambda) }], 'LambdaLR');
  }
}

/** The momentum key of an optimizer: `betas.0` for the Adam family, else `momentum`. */
function momentumKey(opt: Schedulable, owner: string): HyperKey {
  const g = opt.paramGroups[0] as Record<string, unknown> | undefined;
  if (g && Array.isArray(g.betas)) return 'betas.0';
  if (g && typeof g.momentum === 'number') return 'momentum';
  throw new RangeError(`${owner}: cycleMomentum needs an optimizer with momentum or betas`);
}

/** One-cycle policy, with momentum (or Adam's beta1) cycled inversely unless `cycleMomentum: false`. */
export class OneCycleLR extends Scheduler {
  constructor(opt: Schedulable, o: OneCycleOptions & { cycleMomentum?: boolean }) {
    const s = oneCycle(o);
    const tracks = [{ key: 'lr', schedule: s.lr }];
    if (o.cycleMomentum ?? true) {
      tracks.push({ key: momentumKey(opt, 'OneCycleLR'), schedule: s.momentum });
    }
    super(opt, tracks, 'OneCycleLR');
  }
}

/** Cyclical learning rate, with momentum cycled inversely unless `cycleMomentum: false`. */
export class CyclicLR extends Scheduler {
  constructor(opt: Schedulable, o: CyclicOptions & { cycleMomentum?: boolean }) {
    const s = cyclic(o);
    const tracks = [{ key: 'lr', schedule: s.lr }];
    if (o.cycleMomentum ?? true) {
      tracks.push({ key: momentumKey(opt, 'CyclicLR'), schedule: s.momentum });
    }
    super(opt, tracks, 'CyclicLR');
  }
}

/** Runs each scheduler's lr schedule in turn, switching at the milestones. */
export class SequentialLR extends Scheduler {
  constructor(opt: Schedulable, o: { schedulers: Scheduler[]; milestones: number[] }) {
    super(
      opt,
      [
        {
          key: 'lr',
          schedule: sequential(
            o.schedulers.map((s) => s.schedule),
            o.milestones,
          ),
        },
      ],
      'SequentialLR',
    );
  }
}

/** Multiplies the factors of several lr schedules (e.g. warm-up times cosine decay). */
export class ChainedScheduler extends Scheduler {
  constructor(opt: Schedulable, o: { schedulers: Scheduler[] }) {
    super(
      opt,
      [{ key: 'lr', schedule: chained(o.schedulers.map((s) => s.schedule)) }],
      'ChainedScheduler',
    );
  }
}
