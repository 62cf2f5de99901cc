import { Optimizer } from '../core/optimizer.ts';
import type { Rule } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkAdamFamily, checkBoolean } from '../core/validate.ts';
import { fastRadam } from '../kernels/rules.ts';
import { ADAM_SLOTS } from './adam.ts';
import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';

export interface RAdamOptions extends CommonOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupledWeightDecay: boolean;
}

const NAME = 'RAdam';

export const radamRule: Rule<RAdamOptions> = {
  name: NAME,
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    decoupledWeightDecay: false,
    maximize: false,
  },
  validate(h) {
    checkAdamFamily(NAME, h);
    checkBoolean(NAME, 'decoupledWeightDecay', h.decoupledWeightDecay);
  },
  slots: () => ADAM_SLOTS,
  update(p, g, st, h, gs) {
    const [b1, b2] = h.betas;
    const t = st.step;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    // Below rho_t = 5 the variance of the adaptive step is intractable: plain momentum SGD.
    const rect =
      rhoT > 5
        ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
        : 0;
    const decoupled = h.decoupledWeightDecay;
    radamKernel(
      p,
      g,
      st.slots.exp_avg as FloatBuffer,
      st.slots.exp_avg_sq as FloatBuffer,
      gs,
      b1,
      b2,
      decoupled ? 0 : h.weightDecay,
      decoupled ? 1 - h.lr * h.weightDecay : 1,
      h.lr / bc1,
      rhoT > 5 ? rect * Math.sqrt(bc2) : 0,
      h.eps,
    );
  },
};

/** `adaptive` is `r·√(1−β₂ᵗ)` once rectified, 0 during the warm-up (momentum SGD) steps. */
function radamKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer,
  v: FloatBuffer,
  gs: number,
  b1: number,
  b2: number,
  l2: number,
  decay: number,
  stepSize: number,
  adaptive: number,
  eps: number,
): void {
  if (fastRadam(p, g, m, v, gs, b1, b2, l2, decay, stepSize, adaptive, eps)) return;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (l2 !== 0) d += l2 * p[i];
    m[i] = b1 * m[i] + c1 * d;
    v[i] = b2 * v[i] + c2 * d * d;
    // eps is added to √v, not to the bias-corrected root, as in PyTorch.
    const step = adaptive !== 0 ? (adaptive * m[i]) / (Math.sqrt(v[i]) + eps) : m[i];
    p[i] = p[i] * decay - stepSize * step;
  }
}

/**
 * RAdam: Adam whose adaptive step is switched on gradually, by a rectifier of the variance of
 * the second-moment estimate, so that no warm-up is needed.
 *
 * `ρ∞ = 2/(1−β₂) − 1; ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ); m̂ = m/(1−β₁ᵗ)`; if `ρₜ > 5`:
 * `p −= lr·m̂·r·√(1−β₂ᵗ)/(√v + eps)` with `r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))`, else
 * `p −= lr·m̂`.
 *
 * Defaults match `torch.optim.RAdam`. Liu et al. 2020, arXiv 1908.03265.
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsInput<RAdamOptions>, options: OptimizerOptions<RAdamOptions> = {}) {
    super(radamRule, params, options);
  }
}

export const radamDescriptor = describeOptimizer(RAdam, radamRule, {
  name: 'radam',
  label: 'RAdam',
  formula: 'ρₜ > 5: p −= lr·m̂·rₜ·√(1−β₂ᵗ)/(√v + ε);  else p −= lr·m̂',
  variants: [{}, { weightDecay: 0.1 }, { weightDecay: 0.1, decoupledWeightDecay: true }],
  refused: [
    { options: { eps: -1e-8 }, error: /^RAdam: eps must be a finite number >= 0, got -1e-8$/ },
  ],
  slots: ['exp_avg', 'exp_avg_sq'],
  sparse: false,
  lab: ADAPTIVE_LAB,
  sliders: [SLIDERS.lr, SLIDERS.beta1, SLIDERS.beta2, SLIDERS.eps],
  bench: { written: 3, kernel: 'radam' },
});
