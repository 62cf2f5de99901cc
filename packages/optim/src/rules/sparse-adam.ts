import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkAdamFamily } from '../core/validate.ts';
import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';

export interface SparseAdamOptions extends CommonOptions {
  betas: [number, number];
  eps: number;
}

const NAME = 'SparseAdam';

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [
  { name: 'exp_avg', fill: 0 },
  { name: 'exp_avg_sq', fill: 0 },
];

/**
 * One row range of the lazy Adam update. PyTorch's SparseAdam folds √(1−β₂ᵗ) into the step
 * size and adds eps to √v (not to the bias-corrected root): `stepSize = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)`.
 */
function lazyAdamRows(
  p: FloatBuffer,
  m: FloatBuffer,
  v: FloatBuffer,
  values: FloatBuffer,
  from: number,
  to: number,
  valuesFrom: number,
  gs: number,
  b1: number,
  b2: number,
  stepSize: number,
  eps: number,
): void {
  for (let i = from, k = valuesFrom; i < to; i++, k++) {
    const d = values[k] * gs;
    m[i] += (d - m[i]) * (1 - b1);
    v[i] += (d * d - v[i]) * (1 - b2);
    p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + eps);
  }
}

export const sparseAdamRule: Rule<SparseAdamOptions> = {
  name: NAME,
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, maximize: false },
  validate(h) {
    checkAdamFamily(NAME, h);
  },
  slots: () => SLOTS,
  // A dense gradient is the sparse one with every row listed: all moments decay every step.
  update(p, g, st, h, gs) {
    const [b1, b2] = h.betas;
    const t = st.step;
    const stepSize = (h.lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const { exp_avg: m, exp_avg_sq: v } = st.slots as Record<string, FloatBuffer>;
    lazyAdamRows(
      p,
      m as FloatBuffer,
      v as FloatBuffer,
      g,
      0,
      p.length,
      0,
      gs,
      b1,
      b2,
      stepSize,
      h.eps,
    );
  },
  sparseRefusal: () => null,
  updateSparse(p, g, st, h, gs) {
    const [b1, b2] = h.betas;
    const t = st.step;
    const stepSize = (h.lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const { exp_avg: m, exp_avg_sq: v } = st.slots as Record<string, FloatBuffer>;
    const rowSize = g.rowSize ?? 1;
    for (let k = 0; k < g.indices.length; k++) {
      const from = (g.indices[k] as number) * rowSize;
      lazyAdamRows(
        p,
        m as FloatBuffer,
        v as FloatBuffer,
        g.values,
        from,
        from + rowSize,
        k * rowSize,
        gs,
        b1,
        b2,
        stepSize,
        h.eps,
      );
    }
  },
};

/**
 * SparseAdam: lazy Adam for sparse gradients; only rows with a gradient update their moments
 * and values, so a step costs O(nnz) (rows never seen keep their state untouched).
 *
 * On listed rows: `m += (1−β₁)(g − m); v += (1−β₂)(g² − v); p −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + eps)`,
 * with t the optimizer's step count.
 *
 * Defaults and formula match `torch.optim.SparseAdam` (which refuses dense gradients; here a
 * dense gradient updates every row). Kingma and Ba 2015.
 */
export class SparseAdam extends Optimizer<SparseAdamOptions> {
  constructor(
    params: ParamsInput<SparseAdamOptions>,
    options: OptimizerOptions<SparseAdamOptions> = {},
  ) {
    super(sparseAdamRule, params, options);
  }
}

export const sparseAdamDescriptor = describeOptimizer(SparseAdam, sparseAdamRule, {
  name: 'sparseadam',
  label: 'SparseAdam',
  formula: 'm += (1−β₁)(g − m);  v += (1−β₂)(g² − v);  p −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)',
  variants: [{}, { lr: 0.01, betas: [0.8, 0.99] }],
  refused: [
    { options: { lr: -1 }, error: /^SparseAdam: lr must be a finite number >= 0, got -1$/ },
  ],
  slots: ['exp_avg', 'exp_avg_sq'],
  sparse: true,
  // Not raced: the lab's problems have dense gradients, which SparseAdam treats as all rows.
  sliders: [SLIDERS.lr, SLIDERS.beta1, SLIDERS.beta2, SLIDERS.eps],
});
