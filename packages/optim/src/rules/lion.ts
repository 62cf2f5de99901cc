import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import { fastLion } from '../kernels/rules.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBetas, checkBoolean, checkNonNegative } from '../core/validate.ts';

export interface LionOptions extends CommonOptions {
  betas: [number, number];
  weightDecay: number;
}

const NAME = 'Lion';

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [{ name: 'exp_avg', fill: 0 }];

export const lionRule: Rule<LionOptions> = {
  name: NAME,
  defaults: { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkBetas(NAME, h.betas);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: () => SLOTS,
  update(p, g, st, h, gs) {
    const [b1, b2] = h.betas;
    lionKernel(p, g, st.slots.exp_avg as FloatBuffer, gs, b1, b2, h.lr, 1 - h.lr * h.weightDecay);
  },
};

/**
 * The fused Lion pass, in the reference's order: decay the parameter, step by the sign of the
 * β₁ interpolation, then track m with β₂. One read pass over p, g and m.
 */
function lionKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer,
  gs: number,
  b1: number,
  b2: number,
  lr: number,
  decay: number,
): void {
  if (fastLion(p, g, m, gs, b1, b2, lr, decay)) return;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < p.length; i++) {
    const d = g[i] * gs;
    // Math.sign(0) is 0, as torch.sign: an element whose m and g are both 0 does not move.
    const c = m[i] * b1 + c1 * d;
    p[i] = p[i] * decay + -lr * Math.sign(c);
    m[i] = m[i] * b2 + c2 * d;
  }
}

/**
 * Lion (EvoLved Sign Momentum): the step is the sign of an interpolation of momentum and
 * gradient, so every coordinate moves by exactly lr.
 *
 * `p ← p·(1 − lr·wd); p −= lr·sign(β₁m + (1−β₁)g); m = β₂m + (1−β₂)g`.
 *
 * Defaults and order of the reference implementation (google/automl `lion/lion_pytorch.py`:
 * lr 1e-4, betas (0.9, 0.99), weight decay 0, decoupled); `maximize` negates the gradient, as for
 * every descent optimizer (the reference has none). Chen et al. 2023, arXiv 2302.06675.
 */
export class Lion extends Optimizer<LionOptions> {
  constructor(params: ParamsInput<LionOptions>, options: OptimizerOptions<LionOptions> = {}) {
    super(lionRule, params, options);
  }
}

export const lionDescriptor = describeOptimizer(Lion, lionRule, {
  name: 'lion',
  label: 'Lion',
  formula: 'p ← p(1 − lr·wd);  p −= lr·sign(β₁m + (1−β₁)g);  m = β₂m + (1−β₂)g',
  variants: [{}, { lr: 0.01, betas: [0.95, 0.98], weightDecay: 0.1 }, { maximize: true }],
  refused: [
    { options: { betas: [1, 0.99] }, error: /^Lion: betas\[0\] must be in \[0, 1\), got 1$/ },
    { options: { lr: -1 }, error: /^Lion: lr must be a finite number >= 0, got -1$/ },
  ],
  slots: ['exp_avg'],
  sparse: false,
  bench: { written: 2, kernel: 'lion' },
  // A sign step moves each coordinate by lr: its good lrs sit 3 to 10 times below Adam's.
  lab: { family: 'adaptive', lrDecades: [-5, 0], lrCapped: true },
  sliders: [SLIDERS.lr, SLIDERS.beta1, { ...SLIDERS.beta2, min: 0.5 }, SLIDERS.weightDecay],
});
