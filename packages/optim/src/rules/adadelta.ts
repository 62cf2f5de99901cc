import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBoolean, checkInRange, checkNonNegative } from '../core/validate.ts';
import { fastAdadelta } from '../kernels/rules.ts';
import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';

export interface AdadeltaOptions extends CommonOptions {
  rho: number;
  eps: number;
  weightDecay: number;
}

const NAME = 'Adadelta';

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [
  { name: 'square_avg', fill: 0 },
  { name: 'acc_delta', fill: 0 },
];

export const adadeltaRule: Rule<AdadeltaOptions> = {
  name: NAME,
  defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkInRange(NAME, 'rho', h.rho, 0, 1, true);
    checkNonNegative(NAME, 'eps', h.eps);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: () => SLOTS,
  update(p, g, st, h, gs) {
    const { square_avg, acc_delta } = st.slots as Record<string, FloatBuffer>;
    adadeltaKernel(p, g, square_avg!, acc_delta!, gs, h.lr, h.rho, h.eps, h.weightDecay);
  },
};

function adadeltaKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  v: FloatBuffer,
  u: FloatBuffer,
  gs: number,
  lr: number,
  rho: number,
  eps: number,
  wd: number,
): void {
  if (fastAdadelta(p, g, v, u, gs, lr, rho, eps, wd)) return;
  const c = 1 - rho;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (wd !== 0) d += wd * p[i];
    v[i] = rho * v[i] + c * d * d;
    // eps inside both roots, as in PyTorch (and Zeiler's paper).
    const delta = (Math.sqrt(u[i] + eps) / Math.sqrt(v[i] + eps)) * d;
    u[i] = rho * u[i] + c * delta * delta;
    p[i] -= lr * delta;
  }
}

/**
 * Adadelta: step sizes from the ratio of running RMS of updates and of gradients.
 *
 * `d = g + wd·p; v = ρv + (1−ρ)d²; Δ = √(u+eps)/√(v+eps)·d; u = ρu + (1−ρ)Δ²; p −= lr·Δ`.
 *
 * Defaults match `torch.optim.Adadelta` (lr 1.0). Zeiler 2012, arXiv 1212.5701.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(
    params: ParamsInput<AdadeltaOptions>,
    options: OptimizerOptions<AdadeltaOptions> = {},
  ) {
    super(adadeltaRule, params, options);
  }
}

export const adadeltaDescriptor = describeOptimizer(Adadelta, adadeltaRule, {
  name: 'adadelta',
  label: 'Adadelta',
  formula: 'v = ρv + (1−ρ)g²;  Δ = √(u+ε)/√(v+ε)·g;  u = ρu + (1−ρ)Δ²;  p −= lr·Δ',
  variants: [{}, { lr: 0.5, rho: 0.8, weightDecay: 0.1 }],
  refused: [{ options: { rho: 1.5 }, error: /^Adadelta: rho must be in \[0, 1\], got 1.5$/ }],
  slots: ['square_avg', 'acc_delta'],
  sparse: false,
  // Its lr multiplies a self-scaled step (default 1): swept over [1e-2, 32], never capped.
  lab: { family: 'adaptive', lrDecades: [-2, 1.5], lrCapped: false },
  sliders: [
    SLIDERS.lr,
    { key: 'rho', label: 'ρ', min: 0.5, max: 0.999, scale: 'linear' },
    SLIDERS.eps,
  ],
  bench: { written: 3, kernel: 'adadelta' },
  tfjs: (tf, lr) => tf.adadelta(lr),
});
