import { evalTargets } from '../core/eval-targets.ts';
import { describeOptimizer, SLIDERS } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import { fastAsgd } from '../kernels/rules.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBoolean, checkNonNegative } from '../core/validate.ts';

export interface ASGDOptions extends CommonOptions {
  /** Decay term: the parameter shrinks by the factor (1 − lambd·eta) every step. */
  lambd: number;
  /** Power of the step-size decay eta = lr / (1 + lambd·lr·t)^alpha. */
  alpha: number;
  /** The step after which averaging starts (before it, `ax` is a copy of the parameter). */
  t0: number;
  weightDecay: number;
}

const NAME = 'ASGD';

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [{ name: 'ax', fill: 0 }];

/** `[Float64Array(5), Array]` for a list of buffers, else the value's type. */

export const asgdRule: Rule<ASGDOptions> = {
  name: NAME,
  defaults: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkNonNegative(NAME, 'lambd', h.lambd);
    checkNonNegative(NAME, 'alpha', h.alpha);
    checkNonNegative(NAME, 't0', h.t0);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: () => SLOTS,
  // torch's per-parameter `eta` (the step size) and `mu` (the averaging weight). eta starts at
  // the group's lr, which a constant cannot say: the update sets it on the parameter's first step.
  scalarState: { eta: 0, mu: 1 },
  update(p, g, st, h, gs, created) {
    const sc = st.scalars;
    if (created) sc.eta = h.lr;
    const eta = sc.eta as number;
    asgdKernel(
      p,
      g,
      st.slots.ax as FloatBuffer,
      gs,
      h.weightDecay,
      1 - h.lambd * eta,
      eta,
      sc.mu as number,
    );
    // For the next step, from this step's t and lr (torch's order: step t uses the eta and mu
    // computed at the end of step t − 1).
    const t = st.step;
    sc.eta = h.lr / (1 + h.lambd * h.lr * t) ** h.alpha;
    sc.mu = 1 / Math.max(1, t - h.t0);
  },
};

/**
 * The fused ASGD pass, in torch's order: coupled weight decay on the gradient, the decay term,
 * the step, then the average (an exact copy while mu is 1).
 */
function asgdKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  ax: FloatBuffer,
  gs: number,
  wd: number,
  decay: number,
  eta: number,
  mu: number,
): void {
  if (fastAsgd(p, g, ax, gs, wd, decay, eta, mu)) return;
  const step = -eta;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (wd !== 0) d += wd * p[i];
    // Two roundings, as torch's `param.mul_(1 − lambd·eta)` then `param.add_(grad, alpha=−eta)`.
    const x = p[i] * decay;
    p[i] = x + step * d;
    if (mu !== 1) ax[i] += mu * (p[i] - ax[i]);
    else ax[i] = p[i];
  }
}

/**
 * Averaged stochastic gradient descent: SGD with a slowly decaying step size and a decay term,
 * which also keeps the running average of its iterates after step t0 (state `ax`); the average
 * is the estimate (Polyak–Juditsky averaging). The parameters themselves follow the raw iterates:
 * read the average with {@link ASGD.evalParams}.
 *
 * `d = g + wd·p;  p ← p·(1 − λ·η) − η·d;  ax ← ax + μ·(p − ax)` (ax = p while μ = 1); then for
 * the next step `η = lr / (1 + λ·lr·t)^α`, `μ = 1 / max(1, t − t0)`.
 *
 * Defaults and quirks of `torch.optim.ASGD` (torch 1.13, `foreach=False`): lr 1e-2, lambd 1e-4,
 * alpha 0.75, t0 1e6, weightDecay 0 (added to the gradient); eta starts at lr and mu at 1, and
 * step t uses the eta and mu computed at the end of step t − 1 (from that step's lr). With the
 * default t0 the average only starts after a million steps: `ax` is then a copy of p; set t0 to
 * the step after which to average (e.g. once the loss has levelled off). The decay term
 * (1 − λ·η) shrinks the parameters even with a zero gradient. One read pass over p, g and ax
 * per step. Polyak and Juditsky 1992, "Acceleration of stochastic approximation by averaging";
 * Bottou 2012, "Stochastic gradient descent tricks" (the step-size schedule).
 */
export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: ParamsInput<ASGDOptions>, options: OptimizerOptions<ASGDOptions> = {}) {
    super(asgdRule, params, options);
  }

  /**
   * The averaged parameters (state `ax`), the point to evaluate and to ship, in the flat order
   * of `params`: copied into `out` (one buffer per parameter, of its length) to spare the
   * allocation, or into new buffers of the parameters' types. A parameter that has not taken a
   * step yet is its own average. The same call as Schedule-Free's `evalParams`. To put the
   * average into the model, pass the model's own buffers (`opt.evalParams(params)` with the
   * array the optimizer was built from), after keeping a copy of the raw iterates if training
   * continues: the optimizer steps from them.
   */
  evalParams(out?: FloatBuffer[]): FloatBuffer[] {
    const params = this.params;
    const result = evalTargets(NAME, params, out);
    params.forEach((p, i) => {
      const dst = result[i] as FloatBuffer;
      const ax = this.state[i]?.slots.ax;
      if (ax) dst.set(ax);
      else if (dst !== p) dst.set(p);
    });
    return result;
  }
}

export const asgdDescriptor = describeOptimizer(ASGD, asgdRule, {
  name: 'asgd',
  label: 'ASGD',
  formula:
    'p ← p(1 − λη) − η(g + wd·p);  ax += μ(p − ax);  η = lr/(1 + λ·lr·t)^α, μ = 1/max(1, t − t0)',
  variants: [
    {},
    { lr: 0.05, lambd: 1e-3, alpha: 0.5, t0: 2, weightDecay: 0.01 },
    { maximize: true },
  ],
  refused: [
    { options: { lambd: -1 }, error: /^ASGD: lambd must be a finite number >= 0, got -1$/ },
    { options: { t0: NaN }, error: /^ASGD: t0 must be a finite number >= 0, got NaN$/ },
    { options: { lr: -1 }, error: /^ASGD: lr must be a finite number >= 0, got -1$/ },
  ],
  slots: ['ax'],
  sparse: false,
  bench: { written: 2, kernel: 'asgd' },
  lab: { family: 'sgd', lrDecades: [-4, 0.5], lrCapped: true },
  sliders: [
    SLIDERS.lr,
    { key: 'lambd', label: 'λ', min: 0, max: 0.1, scale: 'linear' },
    { key: 'alpha', label: 'α', min: 0, max: 1, scale: 'linear' },
    { key: 't0', label: 't0', min: 1, max: 1e6, scale: 'log' },
    SLIDERS.weightDecay,
  ],
});
