import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkAdamFamily, checkBoolean } from '../core/validate.ts';
import { fastAdam } from '../kernels/rules.ts';
import {
  ADAPTIVE_LAB,
  SLIDERS,
  describeOptimizer,
  type OptimizerDescriptor,
} from '../core/descriptor.ts';

export interface AdamOptions extends CommonOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/** Adam's options; in AdamW `weightDecay` is decoupled from the gradient (default 1e-2). */
export type AdamWOptions = AdamOptions;

// Constant lists: `slots` runs on every step, which must not allocate. NAdam and RAdam keep
// the same two moments.
export const ADAM_SLOTS: readonly SlotSpec[] = [
  { name: 'exp_avg', fill: 0 },
  { name: 'exp_avg_sq', fill: 0 },
];
const AMSGRAD_SLOTS: readonly SlotSpec[] = [...ADAM_SLOTS, { name: 'max_exp_avg_sq', fill: 0 }];

function makeAdamRule(name: string, decoupled: boolean): Rule<AdamOptions> {
  return {
    name,
    traits: { adamMoments: true },
    defaults: {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: decoupled ? 1e-2 : 0,
      amsgrad: false,
      maximize: false,
    },
    validate(h) {
      checkAdamFamily(name, h);
      checkBoolean(name, 'amsgrad', h.amsgrad);
    },
    slots: (h) => (h.amsgrad ? AMSGRAD_SLOTS : ADAM_SLOTS),
    update(p, g, st, h, gs) {
      const [b1, b2] = h.betas;
      const t = st.step;
      adamKernel(
        p,
        g,
        st.slots.exp_avg as FloatBuffer,
        st.slots.exp_avg_sq as FloatBuffer,
        h.amsgrad ? (st.slots.max_exp_avg_sq as FloatBuffer) : null,
        gs,
        b1,
        b2,
        decoupled ? 0 : h.weightDecay,
        decoupled ? 1 - h.lr * h.weightDecay : 1,
        h.lr / (1 - b1 ** t),
        Math.sqrt(1 - b2 ** t),
        h.eps,
      );
    },
  };
}

export const adamRule = makeAdamRule('Adam', false);
export const adamWRule = makeAdamRule('AdamW', true);

/**
 * The fused Adam / AdamW / AMSGrad pass. `l2` adds weight decay to the gradient (Adam), `decay`
 * shrinks the parameter first (AdamW); both scalars are computed once per step in float64.
 */
export function adamKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer,
  v: FloatBuffer,
  vmax: FloatBuffer | null,
  gs: number,
  b1: number,
  b2: number,
  l2: number,
  decay: number,
  stepSize: number,
  bc2Sqrt: number,
  eps: number,
): void {
  if (fastAdam(p, g, m, v, vmax, gs, b1, b2, l2, decay, stepSize, bc2Sqrt, eps)) return;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (l2 !== 0) d += l2 * p[i];
    m[i] = b1 * m[i] + c1 * d;
    v[i] = b2 * v[i] + c2 * d * d;
    let vi = v[i];
    if (vmax) {
      // Math.max propagates NaN like torch.maximum.
      vmax[i] = Math.max(vmax[i], vi);
      vi = vmax[i];
    }
    // eps is added after the bias correction of the root, as in PyTorch.
    p[i] = p[i] * decay - (stepSize * m[i]) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

/**
 * Adam: momentum on the gradient, step sizes from its running second moment, both bias-corrected.
 *
 * `d = g + wd·p; m = β₁m + (1−β₁)d; v = β₂v + (1−β₂)d²` (amsgrad: `v̂ = max(v̂, v)`);
 * `p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps)`.
 *
 * Defaults match `torch.optim.Adam`. Kingma and Ba 2015, arXiv 1412.6980; AMSGrad: Reddi et al.
 * 2018.
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsInput<AdamOptions>, options: OptimizerOptions<AdamOptions> = {}) {
    super(adamRule, params, options);
  }
}

/**
 * AdamW: Adam with decoupled weight decay.
 *
 * `p ← p·(1 − lr·wd)`, then the Adam step without weight decay in the gradient.
 *
 * Defaults match `torch.optim.AdamW` (weightDecay 1e-2). Loshchilov and Hutter 2019,
 * arXiv 1711.05101.
 */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: ParamsInput<AdamWOptions>, options: OptimizerOptions<AdamWOptions> = {}) {
    super(adamWRule, params, options);
  }
}

const ADAM_SLIDERS = [SLIDERS.lr, SLIDERS.beta1, SLIDERS.beta2, SLIDERS.eps];

/** `adam`, `amsgrad` (Adam with amsgrad) and `adamw`. */
export const adamDescriptors: readonly OptimizerDescriptor[] = [
  describeOptimizer(Adam, adamRule, {
    name: 'adam',
    label: 'Adam',
    formula: 'm = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  p −= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)',
    variants: [
      { lr: 0.01 },
      { lr: 0.01, weightDecay: 0.1 },
      { lr: 0.01, amsgrad: true, maximize: true },
    ],
    refused: [
      { options: { lr: -1 }, error: /^Adam: lr must be a finite number >= 0, got -1$/ },
      {
        options: { betas: [1.2, 0.999] },
        error: /^Adam: betas\[0\] must be in \[0, 1\), got 1.2$/,
      },
    ],
    slots: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
    sparse: false,
    lab: ADAPTIVE_LAB,
    sliders: ADAM_SLIDERS,
    bench: { written: 3, kernel: 'adam' },
    tfjs: (tf, lr) => tf.adam(lr),
  }),
  describeOptimizer(AdamW, adamWRule, {
    name: 'adamw',
    label: 'AdamW',
    formula: 'p ← p(1 − lr·wd);  then Adam: p −= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)',
    variants: [{ lr: 0.01 }, { lr: 0.01, amsgrad: true, weightDecay: 0.1 }],
    refused: [
      { options: { betas: [0.9, 1] }, error: /^AdamW: betas\[1\] must be in \[0, 1\), got 1$/ },
    ],
    slots: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
    sparse: false,
    lab: ADAPTIVE_LAB,
    sliders: [...ADAM_SLIDERS, SLIDERS.weightDecay],
    bench: { written: 3, kernel: 'adam' },
  }),
  describeOptimizer(Adam, adamRule, {
    name: 'amsgrad',
    label: 'AMSGrad',
    preset: { amsgrad: true },
    formula: 'Adam with v̂ = max(v̂, v):  p −= lr/(1−β₁ᵗ) · m/(√v̂/√(1−β₂ᵗ) + ε)',
    variants: [{ lr: 0.01 }, { lr: 0.01, weightDecay: 0.1 }],
    refused: [{ options: { eps: -1 }, error: /^Adam: eps must be a finite number >= 0, got -1$/ }],
    slots: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
    sparse: false,
    lab: ADAPTIVE_LAB,
    sliders: ADAM_SLIDERS,
    bench: { written: 4, kernel: 'adam' },
  }),
];
