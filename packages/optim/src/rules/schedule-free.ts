import { evalTargets } from '../core/eval-targets.ts';
import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer, type Gradients } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { OptimizerStateDict } from '../core/state-dict.ts';
import { fastScheduleFreeAdamW, fastScheduleFreeSgd } from '../kernels/rules.ts';
import type {
  CommonOptions,
  FloatBuffer,
  OptimizerOptions,
  ParamState,
  ParamsInput,
} from '../core/types.ts';
import {
  check,
  checkBoolean,
  checkInRange,
  checkInteger,
  checkNonNegative,
} from '../core/validate.ts';

/**
 * Where a Schedule-Free optimizer's parameters are: `'train'`, at the point y where gradients
 * are taken; `'eval'`, at the average x, the point to evaluate and to ship.
 */
export type ScheduleFreeMode = 'train' | 'eval';

/** A Schedule-Free optimizer's state: the facade's, plus the mode its parameters were in. */
export type ScheduleFreeStateDict = OptimizerStateDict & { mode: ScheduleFreeMode };

/** The options both Schedule-Free optimizers share (the reference's names, camelCased). */
export interface ScheduleFreeCommon extends CommonOptions {
  weightDecay: number;
  warmupSteps: number;
  r: number;
  weightLrPower: number;
}

export interface ScheduleFreeAdamWOptions extends ScheduleFreeCommon {
  betas: [number, number];
  eps: number;
  innerMomentum: number;
}

export interface ScheduleFreeSGDOptions extends ScheduleFreeCommon {
  momentum: number;
}

/**
 * torch's `lerp`, `a + w(b − a)`, with torch's rounding: for |w| ≥ 0.5 it computes
 * `b − (b − a)(1 − w)`, which is exact at w = 1 (the first step's `lerp(y, z, 1)` lands on z).
 */
function lerp(a: number, b: number, w: number): number {
  return Math.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/** This step's lr: linear warmup over `warmupSteps`, in the reference's order (lr·((k+1)/warmup)). */
function scheduledLr(st: ParamState, h: ScheduleFreeCommon): number {
  const k = st.step - 1;
  return k < h.warmupSteps ? h.lr * ((k + 1) / h.warmupSteps) : h.lr;
}

/**
 * The averaging weight c of this step (x ← (1 − c)x + cz), updating `lr_max` and `weight_sum`.
 * The reference keeps `k`, `lr_max` and `weight_sum` per group; every parameter of a group steps
 * together, so each parameter keeps its own copy (`k` is its step count): the same numbers as
 * long as every parameter gets a gradient at every step (a `null` gradient skips a parameter,
 * whose copy then lags, where the reference's group counter moves on).
 */
function averagingWeight(st: ParamState, h: ScheduleFreeCommon, lr: number): number {
  const lrMax = Math.max(lr, st.scalars.lr_max as number);
  st.scalars.lr_max = lrMax;
  const weight = st.step ** h.r * lrMax ** h.weightLrPower;
  const sum = (st.scalars.weight_sum as number) + weight;
  st.scalars.weight_sum = sum;
  // Python's ZeroDivisionError branch: with lr 0 (and weightLrPower > 0) every weight is 0.
  return sum === 0 ? 0 : weight / sum;
}

/** z starts as a copy of the parameter (y) at the parameter's first step. */
function startZ(p: FloatBuffer, z: FloatBuffer, st: ParamState, created: boolean): void {
  // `created` alone is not enough: a slot added later (innerMomentum turned on) sets it too.
  if (created && st.step === 1) z.set(p);
}

function checkCommon(name: string, h: ScheduleFreeCommon): void {
  checkNonNegative(name, 'lr', h.lr);
  checkNonNegative(name, 'weightDecay', h.weightDecay);
  checkInteger(name, 'warmupSteps', h.warmupSteps, 0);
  check(name, 'r', typeof h.r === 'number' && Number.isFinite(h.r), 'a finite number', h.r);
  checkNonNegative(name, 'weightLrPower', h.weightLrPower);
  checkBoolean(name, 'maximize', h.maximize);
}

/** An interpolation coefficient in (0, 1): eval() divides by it. */
function checkOpenUnit(name: string, option: string, value: unknown): void {
  const ok = typeof value === 'number' && value > 0 && value < 1;
  check(name, option, ok, 'in (0, 1)', value);
}

const ADAMW = 'AdamWScheduleFree';
const SGD = 'SGDScheduleFree';

// Constant lists: `slots` runs on every step, which must not allocate.
const ADAMW_SLOTS: readonly SlotSpec[] = [
  { name: 'z', fill: 0 },
  { name: 'exp_avg_sq', fill: 0 },
];
const ADAMW_INNER_SLOTS: readonly SlotSpec[] = [...ADAMW_SLOTS, { name: 'exp_avg', fill: 0 }];
const SGD_SLOTS: readonly SlotSpec[] = [{ name: 'z', fill: 0 }];
const SCALARS = { weight_sum: 0, lr_max: -1 } as const;

export const scheduleFreeAdamWRule: Rule<ScheduleFreeAdamWOptions> = {
  name: ADAMW,
  defaults: {
    lr: 0.0025,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 0,
    r: 0,
    weightLrPower: 2,
    innerMomentum: 0,
    maximize: false,
  },
  validate(h) {
    checkCommon(ADAMW, h);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) {
      check(ADAMW, 'betas', false, 'a pair [beta1, beta2]', h.betas);
    }
    checkOpenUnit(ADAMW, 'betas[0]', h.betas[0]);
    checkInRange(ADAMW, 'betas[1]', h.betas[1], 0, 1);
    checkNonNegative(ADAMW, 'eps', h.eps);
    checkInRange(ADAMW, 'innerMomentum', h.innerMomentum, 0, 1);
  },
  slots: (h) => (h.innerMomentum !== 0 ? ADAMW_INNER_SLOTS : ADAMW_SLOTS),
  scalarState: SCALARS,
  update(p, g, st, h, gs, created) {
    const z = st.slots.z as FloatBuffer;
    startZ(p, z, st, created);
    const lr = scheduledLr(st, h);
    const c = averagingWeight(st, h, lr);
    const [b1, b2] = h.betas;
    const mu = h.innerMomentum;
    const t = st.step;
    adamWKernel(
      p,
      g,
      z,
      st.slots.exp_avg_sq as FloatBuffer,
      mu !== 0 ? (st.slots.exp_avg as FloatBuffer) : null,
      gs,
      b2,
      1 - b2 ** t,
      h.eps,
      mu,
      1 - mu ** t,
      h.weightDecay,
      c,
      lr * (b1 * (1 - c) - 1),
      lr,
      Math.abs(c) < 0.5,
    );
  },
};

/**
 * The fused Schedule-Free AdamW pass (one read of p, g, z, v and m): v, the normalised
 * gradient, decay at y, then y and z, in the reference's order. Scalars are float64. `c` is the
 * averaging weight, `low` says |c| < 0.5: which of {@link lerp}'s two forms applies.
 */
function adamWKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  z: FloatBuffer,
  v: FloatBuffer,
  m: FloatBuffer | null,
  gs: number,
  b2: number,
  bc2: number,
  eps: number,
  mu: number,
  bc1: number,
  wd: number,
  c: number,
  yStep: number,
  lr: number,
  low: boolean,
): void {
  if (fastScheduleFreeAdamW(p, g, z, v, m, gs, b2, bc2, eps, mu, bc1, wd, c, yStep, lr, low))
    return;
  const c2 = 1 - b2;
  const c1 = 1 - mu;
  const oneMinusC = 1 - c;
  for (let i = 0; i < p.length; i++) {
    const d = g[i] * gs;
    const vi = v[i] * b2 + c2 * d * d;
    v[i] = vi;
    // The bias correction divides v under the root, eps outside it (this commit's reference).
    const den = Math.sqrt(vi / bc2) + eps;
    let u: number;
    if (m) {
      const mi = m[i] * mu + c1 * d;
      m[i] = mi;
      u = mi / bc1 / den;
    } else {
      u = d / den;
    }
    const y = p[i];
    // Weight decay is taken at y, before y moves, and enters both y's and z's steps.
    if (wd !== 0) u += wd * y;
    const zi = z[i];
    // lerp(y, zi, c), its form chosen once per step.
    p[i] = (low ? y + c * (zi - y) : zi - (zi - y) * oneMinusC) + yStep * u;
    z[i] = zi - lr * u;
  }
}

export const scheduleFreeSGDRule: Rule<ScheduleFreeSGDOptions> = {
  name: SGD,
  defaults: {
    lr: 1,
    momentum: 0.9,
    weightDecay: 0,
    warmupSteps: 0,
    r: 0,
    weightLrPower: 2,
    maximize: false,
  },
  validate(h) {
    checkCommon(SGD, h);
    // The reference refuses momentum <= 0 or >= 1 ("between 0 and 1 exclusive").
    checkOpenUnit(SGD, 'momentum', h.momentum);
  },
  slots: () => SGD_SLOTS,
  scalarState: SCALARS,
  update(p, g, st, h, gs, created) {
    const z = st.slots.z as FloatBuffer;
    startZ(p, z, st, created);
    const lr = scheduledLr(st, h);
    const c = averagingWeight(st, h, lr);
    const yStep = lr * (h.momentum * (1 - c) - 1);
    sgdKernel(p, g, z, gs, h.weightDecay, c, yStep, lr, Math.abs(c) < 0.5);
  },
};

/** The fused Schedule-Free SGD pass (one read of p, g and z); `c` and `low` as for AdamW's. */
function sgdKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  z: FloatBuffer,
  gs: number,
  wd: number,
  c: number,
  yStep: number,
  lr: number,
  low: boolean,
): void {
  if (fastScheduleFreeSgd(p, g, z, gs, wd, c, yStep, lr, low)) return;
  const oneMinusC = 1 - c;
  for (let i = 0; i < p.length; i++) {
    const y = p[i];
    let u = g[i] * gs;
    if (wd !== 0) u += wd * y;
    const zi = z[i];
    // lerp(y, zi, c), its form chosen once per step.
    p[i] = (low ? y + c * (zi - y) : zi - (zi - y) * oneMinusC) + yStep * u;
    z[i] = zi - lr * u;
  }
}

/**
 * What the two Schedule-Free optimizers share: the train/eval switch. In train mode the
 * parameters hold y = (1 − β)z + βx, where gradients are taken; in eval mode they hold the
 * average x, the point to evaluate, to report and to ship. The reference moves the parameters
 * between the two in place (`train()`, `eval()`); so does this class. `evalParams()` reads x
 * without moving anything, so a run that only looks at x keeps its training trajectory bit for
 * bit (a y → x → y round trip changes the rounding). `opt instanceof ScheduleFreeOptimizer` tells
 * a caller (the lab, a training loop) that it must evaluate in eval mode.
 */
export abstract class ScheduleFreeOptimizer<H extends ScheduleFreeCommon> extends Optimizer<H> {
  private current: ScheduleFreeMode = 'train';
  /** β of the interpolation y = (1 − β)z + βx in a group's options. */
  private readonly beta: (h: H) => number;

  protected constructor(
    rule: Rule<H>,
    params: ParamsInput<H>,
    options: OptimizerOptions<H>,
    beta: (h: H) => number,
  ) {
    super(rule, params, options);
    this.beta = beta;
  }

  /** `'train'` (the parameters hold y) or `'eval'` (they hold the average x). */
  get mode(): ScheduleFreeMode {
    return this.current;
  }

  /**
   * Puts the average x into the parameters (`x = y + (1 − 1/β)(z − y)`, one pass over each
   * parameter and its z): call it before measuring a validation loss, reporting or saving the
   * model. A no-op in eval mode. Parameters that have not stepped yet hold x already (y = x = z
   * before the first step) and are left alone, as in the reference.
   */
  eval(): void {
    if (this.current === 'eval') return;
    this.move((beta) => 1 - 1 / beta);
    this.current = 'eval';
  }

  /**
   * Puts y back into the parameters (`y = x + (1 − β)(z − x)`): call it before the next training
   * step. A no-op in train mode. An eval() then train() round trip restores y up to rounding.
   */
  train(): void {
    if (this.current === 'train') return;
    this.move((beta) => 1 - beta);
    this.current = 'train';
  }

  /**
   * Copies of the eval-point x of every parameter (flat order), computed from y and z without
   * touching the parameters, in either mode; into `out` (buffers of the parameters' lengths)
   * when given, to spare the allocation.
   */
  evalParams(out?: FloatBuffer[]): FloatBuffer[] {
    const params = this.params;
    const result = evalTargets(this.name, params, out);
    let i = 0;
    for (const group of this.paramGroups) {
      const w = 1 - 1 / this.beta(group);
      for (const p of group.params) {
        const dst = result[i] as FloatBuffer;
        const z = this.state[i]?.slots.z;
        if (this.current === 'train' && z) {
          for (let j = 0; j < p.length; j++) dst[j] = lerp(p[j] as number, z[j] as number, w);
        } else if (dst !== p) {
          dst.set(p);
        }
        i++;
      }
    }
    return result;
  }

  /**
   * One training step at y. Refused in eval mode (the parameters hold x, and a gradient taken
   * there is not the one the method needs): the reference raises too. Nothing changes then.
   */
  override step(grads: Gradients, gradScale = 1): void {
    if (this.current === 'eval') {
      throw new Error(
        `${this.name}: step() in eval mode: the parameters hold the average x, not the training point y; call train() before training (nothing was changed)`,
      );
    }
    super.step(grads, gradScale);
  }

  /**
   * The state, with the mode: the parameters saved beside it hold y (train) or x (eval), and
   * loading restores the mode with the state so that they are read as the right point.
   */
  override stateDict(): ScheduleFreeStateDict {
    return { ...super.stateDict(), mode: this.current };
  }

  /**
   * Restores a state from `stateDict()`, mode included. The parameters are not touched: load
   * the ones saved with this state (they hold the saved mode's point; `restoreCheckpoint` does
   * both). On a refusal nothing changes.
   */
  override loadStateDict(dict: OptimizerStateDict): void {
    const mode = (dict as Partial<ScheduleFreeStateDict> | null)?.mode;
    if (mode !== 'train' && mode !== 'eval') {
      throw new RangeError(
        `${this.name}: cannot load state dict: mode must be "train" or "eval", got ${JSON.stringify(mode) ?? 'undefined'}`,
      );
    }
    super.loadStateDict(dict);
    this.current = mode;
  }

  /** p ← lerp(p, z, weight(β)) for every parameter that has a z. */
  private move(weight: (beta: number) => number): void {
    let i = 0;
    for (const group of this.paramGroups) {
      const w = weight(this.beta(group));
      for (const p of group.params) {
        const z = this.state[i]?.slots.z;
        if (z) for (let j = 0; j < p.length; j++) p[j] = lerp(p[j] as number, z[j] as number, w);
        i++;
      }
    }
  }
}

/**
 * Schedule-Free AdamW: no learning-rate schedule; the parameters y interpolate between an
 * Adam-normalised SGD sequence z and its running average x, which is the point to evaluate.
 *
 * `v = β₂v + (1−β₂)g²;  u = g/(√(v/(1−β₂ᵗ)) + ε) (+ wd·y);  y ← lerp(y, z, c) + lr(β₁(1−c) − 1)u;
 * z −= lr·u`, with `c = w/Σw`, `w = tʳ·lr_maxᵖ` (p = weightLrPower), lr warmed up linearly over
 * `warmupSteps`; `innerMomentum` μ replaces g by m/(1−μᵗ), m = μm + (1−μ)g. Eval point
 * `x = lerp(y, z, 1 − 1/β₁)`. One read pass over p, g, z, v (and m) per step; `eval()`,
 * `train()` and `evalParams()` one pass over p and z each.
 *
 * Defaults and order of facebookresearch/schedule_free `schedulefree/adamw_schedulefree.py`
 * (commit 70785b53): lr 0.0025, betas (0.9, 0.999), eps 1e-8, weight decay 0 (taken at y, in
 * the normalised gradient), no warmup, r 0, weightLrPower 2, innerMomentum 0. Kept on purpose:
 * β₁ only interpolates (there is no first moment unless innerMomentum); on step 1 c = 1, so y,
 * z and x all land on y₀ − lr·u. Deviations: β₁ must be in (0, 1) (the eval point divides by
 * it); it starts in train mode, where the reference starts in eval mode and refuses a step until
 * `train()` (before the first step both modes hold the same point); `maximize` negates the
 * gradient (the reference has none); `k`, `lr_max` and `weight_sum` are kept per parameter.
 * Defazio et al. 2024, "The Road Less Scheduled", arXiv 2405.15682.
 */
export class ScheduleFreeAdamW extends ScheduleFreeOptimizer<ScheduleFreeAdamWOptions> {
  constructor(
    params: ParamsInput<ScheduleFreeAdamWOptions>,
    options: OptimizerOptions<ScheduleFreeAdamWOptions> = {},
  ) {
    super(scheduleFreeAdamWRule, params, options, (h) => h.betas[0]);
  }
}

/**
 * Schedule-Free SGD: SGD without a schedule; the parameters y interpolate between the SGD
 * sequence z and its running average x, which is the point to evaluate.
 *
 * `u = g (+ wd·y);  y ← lerp(y, z, c) + lr(β(1−c) − 1)u;  z −= lr·u`, with `c = w/Σw`,
 * `w = tʳ·lr_maxᵖ`, lr warmed up linearly over `warmupSteps`, β = momentum. Eval point
 * `x = lerp(y, z, 1 − 1/β)`. One read pass over p, g and z per step; `eval()`, `train()` and
 * `evalParams()` one pass over p and z each.
 *
 * Defaults of facebookresearch/schedule_free `schedulefree/sgd_schedulefree.py` (commit
 * 70785b53): lr 1, momentum 0.9 (in (0, 1), as the reference checks), weight decay 0 (taken at
 * y), no warmup, r 0, weightLrPower 2. Deviations as {@link ScheduleFreeAdamW}: starts in train
 * mode, `maximize`, per-parameter `k`, `lr_max`, `weight_sum`. Defazio et al. 2024, arXiv
 * 2405.15682.
 */
export class ScheduleFreeSGD extends ScheduleFreeOptimizer<ScheduleFreeSGDOptions> {
  constructor(
    params: ParamsInput<ScheduleFreeSGDOptions>,
    options: OptimizerOptions<ScheduleFreeSGDOptions> = {},
  ) {
    super(scheduleFreeSGDRule, params, options, (h) => h.momentum);
  }
}

export const scheduleFreeAdamWDescriptor = describeOptimizer(
  ScheduleFreeAdamW,
  scheduleFreeAdamWRule,
  {
    name: 'schedulefree-adamw',
    label: 'Schedule-Free AdamW',
    formula:
      'u = g/(√v̂ + ε);  y ← lerp(y, z, c) + lr(β₁(1−c) − 1)u;  z −= lr·u;  x = lerp(y, z, 1 − 1/β₁)',
    variants: [
      {},
      { lr: 0.01, weightDecay: 0.01, warmupSteps: 3, r: 1, weightLrPower: 0 },
      { lr: 0.01, innerMomentum: 0.9, betas: [0.5, 0.99] },
      { maximize: true },
      // lr 0: every weight is 0 and c falls back to 0 (the reference's ZeroDivisionError).
      { lr: 0 },
    ],
    refused: [
      {
        options: { betas: [0, 0.999] },
        error: /^AdamWScheduleFree: betas\[0\] must be in \(0, 1\), got 0$/,
      },
      {
        options: { warmupSteps: 1.5 },
        error: /^AdamWScheduleFree: warmupSteps must be an integer >= 0, got 1.5$/,
      },
      {
        options: { innerMomentum: 1 },
        error: /^AdamWScheduleFree: innerMomentum must be in \[0, 1\), got 1$/,
      },
      {
        options: { weightLrPower: -1 },
        error: /^AdamWScheduleFree: weightLrPower must be a finite number >= 0, got -1$/,
      },
    ],
    slots: ['z', 'exp_avg_sq', 'exp_avg'],
    sparse: false,
    bench: { written: 3, kernel: 'sfadamw' },
    lab: ADAPTIVE_LAB,
    sliders: [
      SLIDERS.lr,
      { ...SLIDERS.beta1, min: 0.1 },
      SLIDERS.beta2,
      SLIDERS.eps,
      SLIDERS.weightDecay,
    ],
  },
);

export const scheduleFreeSGDDescriptor = describeOptimizer(ScheduleFreeSGD, scheduleFreeSGDRule, {
  name: 'schedulefree-sgd',
  label: 'Schedule-Free SGD',
  formula: 'u = g;  y ← lerp(y, z, c) + lr(β(1−c) − 1)u;  z −= lr·u;  x = lerp(y, z, 1 − 1/β)',
  variants: [
    {},
    { lr: 0.1, weightDecay: 0.01, warmupSteps: 3, r: 0.5, weightLrPower: 1, momentum: 0.5 },
    { lr: 0.1, maximize: true },
  ],
  refused: [
    {
      options: { momentum: 0 },
      error: /^SGDScheduleFree: momentum must be in \(0, 1\), got 0$/,
    },
    {
      options: { momentum: 1 },
      error: /^SGDScheduleFree: momentum must be in \(0, 1\), got 1$/,
    },
    { options: { lr: -1 }, error: /^SGDScheduleFree: lr must be a finite number >= 0, got -1$/ },
  ],
  slots: ['z'],
  sparse: false,
  bench: { written: 2, kernel: 'sfsgd' },
  lab: { family: 'sgd', lrDecades: [-4, 0.5], lrCapped: true },
  sliders: [SLIDERS.lr, { ...SLIDERS.momentum, min: 0.1 }, SLIDERS.weightDecay],
});
