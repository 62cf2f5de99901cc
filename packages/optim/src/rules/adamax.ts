import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkAdamFamily } from '../core/validate.ts';
import { fastAdamax } from '../kernels/rules.ts';
import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';

export interface AdamaxOptions extends CommonOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

const NAME = 'Adamax';

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [
  { name: 'exp_avg', fill: 0 },
  { name: 'exp_inf', fill: 0 },
];

export const adamaxRule: Rule<AdamaxOptions> = {
  name: NAME,
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  validate(h) {
    checkAdamFamily(NAME, h);
  },
  slots: () => SLOTS,
  update(p, g, st, h, gs) {
    const [b1, b2] = h.betas;
    const clr = h.lr / (1 - b1 ** st.step);
    const m = st.slots.exp_avg as FloatBuffer;
    const u = st.slots.exp_inf as FloatBuffer;
    adamaxKernel(p, g, m, u, gs, b1, b2, h.weightDecay, clr, h.eps);
  },
};

function adamaxKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer,
  u: FloatBuffer,
  gs: number,
  b1: number,
  b2: number,
  wd: number,
  clr: number,
  eps: number,
): void {
  if (fastAdamax(p, g, m, u, gs, b1, b2, wd, clr, eps)) return;
  const c1 = 1 - b1;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (wd !== 0) d += wd * p[i];
    m[i] = b1 * m[i] + c1 * d;
    // eps inside the max, as in PyTorch: u never reaches 0, so no eps in the division.
    // Math.max propagates NaN like torch.amax.
    u[i] = Math.max(b2 * u[i], Math.abs(d) + eps);
    p[i] -= (clr * m[i]) / u[i];
  }
}

/**
 * Adamax: Adam with the infinity norm in place of the second moment.
 *
 * `d = g + wd·p; m = β₁m + (1−β₁)d; u = max(β₂u, |d| + eps); p −= lr/(1−β₁ᵗ) · m/u`.
 *
 * Defaults match `torch.optim.Adamax` (lr 2e-3). Kingma and Ba 2015, Sec. 7.1.
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsInput<AdamaxOptions>, options: OptimizerOptions<AdamaxOptions> = {}) {
    super(adamaxRule, params, options);
  }
}

export const adamaxDescriptor = describeOptimizer(Adamax, adamaxRule, {
  name: 'adamax',
  label: 'Adamax',
  formula: 'm = β₁m + (1−β₁)g;  u = max(β₂u, |g| + ε);  p −= lr/(1−β₁ᵗ) · m/u',
  variants: [{}, { weightDecay: 0.1 }],
  refused: [
    {
      options: { weightDecay: -0.1 },
      error: /^Adamax: weightDecay must be a finite number >= 0, got -0.1$/,
    },
  ],
  slots: ['exp_avg', 'exp_inf'],
  sparse: false,
  lab: ADAPTIVE_LAB,
  sliders: [SLIDERS.lr, SLIDERS.beta1, SLIDERS.beta2, SLIDERS.eps],
  bench: { written: 3, kernel: 'adamax' },
  tfjs: (tf, lr) => tf.adamax(lr),
});
