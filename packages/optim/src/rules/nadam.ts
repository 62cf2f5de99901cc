import { Optimizer } from '../core/optimizer.ts';
import type { Rule } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkAdamFamily, checkBoolean, checkNonNegative } from '../core/validate.ts';
import { fastNadam } from '../kernels/rules.ts';
import { ADAM_SLOTS } from './adam.ts';
import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';

export interface NAdamOptions extends CommonOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
  decoupledWeightDecay: boolean;
}

const NAME = 'NAdam';

export const nadamRule: Rule<NAdamOptions> = {
  name: NAME,
  defaults: {
    lr: 2e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    momentumDecay: 4e-3,
    decoupledWeightDecay: false,
    maximize: false,
  },
  validate(h) {
    checkAdamFamily(NAME, h);
    checkNonNegative(NAME, 'momentumDecay', h.momentumDecay);
    checkBoolean(NAME, 'decoupledWeightDecay', h.decoupledWeightDecay);
  },
  slots: () => ADAM_SLOTS,
  scalarState: { mu_product: 1 },
  update(p, g, st, h, gs) {
    const [b1, b2] = h.betas;
    const t = st.step;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * h.momentumDecay));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * h.momentumDecay));
    const product = (st.scalars.mu_product as number) * mu;
    st.scalars.mu_product = product;
    const decoupled = h.decoupledWeightDecay;
    nadamKernel(
      p,
      g,
      st.slots.exp_avg as FloatBuffer,
      st.slots.exp_avg_sq as FloatBuffer,
      gs,
      b1,
      b2,
      decoupled ? 0 : h.weightDecay,
      decoupled ? 1 - h.lr * h.weightDecay : 1,
      1 - b2 ** t,
      (h.lr * (1 - mu)) / (1 - product),
      (h.lr * muNext) / (1 - product * muNext),
      h.eps,
    );
  },
};

function nadamKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer,
  v: FloatBuffer,
  gs: number,
  b1: number,
  b2: number,
  l2: number,
  decay: number,
  bc2: number,
  gradStep: number,
  momStep: number,
  eps: number,
): void {
  if (fastNadam(p, g, m, v, gs, b1, b2, l2, decay, bc2, gradStep, momStep, eps)) return;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (l2 !== 0) d += l2 * p[i];
    m[i] = b1 * m[i] + c1 * d;
    v[i] = b2 * v[i] + c2 * d * d;
    // Unlike Adam, PyTorch's NAdam bias-corrects v under the root.
    const den = Math.sqrt(v[i] / bc2) + eps;
    p[i] = p[i] * decay - (gradStep * d) / den - (momStep * m[i]) / den;
  }
}

/**
 * NAdam: Adam with Nesterov momentum and a momentum schedule.
 *
 * `μₜ = β₁(1 − ½·0.96^(t·ψ)); Πₜ = ∏μᵢ; d = g + wd·p; m, v as Adam; D = √(v/(1−β₂ᵗ)) + eps`;
 * `p −= lr(1−μₜ)/(1−Πₜ) · d/D + lr·μₜ₊₁/(1−Πₜμₜ₊₁) · m/D`.
 *
 * Defaults and formula match `torch.optim.NAdam` of PyTorch >= 2.0 (lr 2e-3, momentumDecay 4e-3;
 * `decoupledWeightDecay` as in PyTorch 2.1). Dozat 2016, "Incorporating Nesterov Momentum into Adam".
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsInput<NAdamOptions>, options: OptimizerOptions<NAdamOptions> = {}) {
    super(nadamRule, params, options);
  }
}

export const nadamDescriptor = describeOptimizer(NAdam, nadamRule, {
  name: 'nadam',
  label: 'NAdam',
  formula: 'μₜ = β₁(1 − ½·0.96^(tψ));  p −= lr(1−μₜ)/(1−Πₜ)·g/D + lr·μₜ₊₁/(1−Πₜ₊₁)·m/D',
  variants: [{}, { weightDecay: 0.1 }, { weightDecay: 0.1, decoupledWeightDecay: true }],
  refused: [
    {
      options: { betas: [0.9] },
      error: /^NAdam: betas must be a pair \[beta1, beta2\], got \[0.9\]$/,
    },
    {
      options: { momentumDecay: -1 },
      error: /^NAdam: momentumDecay must be a finite number >= 0, got -1$/,
    },
  ],
  slots: ['exp_avg', 'exp_avg_sq'],
  sparse: false,
  lab: ADAPTIVE_LAB,
  sliders: [SLIDERS.lr, SLIDERS.beta1, SLIDERS.beta2, SLIDERS.eps],
  bench: { written: 3, kernel: 'nadam' },
});
