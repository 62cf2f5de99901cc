import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBoolean, checkNonNegative } from '../core/validate.ts';
import { fastAdagrad } from '../kernels/rules.ts';
import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';

export interface AdagradOptions extends CommonOptions {
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

const NAME = 'Adagrad';

// \`slots\` runs on every step, which must not allocate: the list is rebuilt only when the
// initial accumulator value differs from the last one asked for.
let lastSlots: readonly SlotSpec[] = [{ name: 'sum', fill: 0 }];
function sumSlot(fill: number): readonly SlotSpec[] {
  if ((lastSlots[0] as SlotSpec).fill !== fill) lastSlots = [{ name: 'sum', fill }];
  return lastSlots;
}

export const adagradRule: Rule<AdagradOptions> = {
  name: NAME,
  defaults: {
    lr: 1e-2,
    lrDecay: 0,
    weightDecay: 0,
    initialAccumulatorValue: 0,
    eps: 1e-10,
    maximize: false,
  },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkNonNegative(NAME, 'lrDecay', h.lrDecay);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkNonNegative(NAME, 'initialAccumulatorValue', h.initialAccumulatorValue);
    checkNonNegative(NAME, 'eps', h.eps);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: (h) => sumSlot(h.initialAccumulatorValue),
  update(p, g, st, h, gs) {
    const clr = h.lr / (1 + (st.step - 1) * h.lrDecay);
    adagradKernel(p, g, st.slots.sum as FloatBuffer, gs, clr, h.weightDecay, h.eps);
  },
  sparseRefusal: (h) =>
    h.weightDecay !== 0
      ? `Adagrad takes sparse gradients only with weightDecay 0, got ${h.weightDecay}`
      : null,
  // Only the listed rows change; on them the update equals the dense one, as in PyTorch.
  updateSparse(p, g, st, h, gs) {
    const clr = h.lr / (1 + (st.step - 1) * h.lrDecay);
    const sum = st.slots.sum as FloatBuffer;
    const rowSize = g.rowSize ?? 1;
    const { indices, values } = g;
    for (let k = 0; k < indices.length; k++) {
      const base = (indices[k] as number) * rowSize;
      for (let j = 0; j < rowSize; j++) {
        const d = values[k * rowSize + j] * gs;
        const i = base + j;
        sum[i] += d * d;
        p[i] -= (clr * d) / (Math.sqrt(sum[i]) + h.eps);
      }
    }
  },
};

function adagradKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  sum: FloatBuffer,
  gs: number,
  clr: number,
  wd: number,
  eps: number,
): void {
  if (fastAdagrad(p, g, sum, gs, clr, wd, eps)) return;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (wd !== 0) d += wd * p[i];
    sum[i] += d * d;
    // eps outside the root, as in PyTorch.
    p[i] -= (clr * d) / (Math.sqrt(sum[i]) + eps);
  }
}

/**
 * Adagrad: per-coordinate step sizes shrinking with the accumulated squared gradient.
 *
 * `d = g + wd·p; s += d²; p −= lr/(1 + (t−1)·lrDecay) · d / (√s + eps)`.
 *
 * Defaults match `torch.optim.Adagrad`. Duchi, Hazan and Singer 2011.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options: OptimizerOptions<AdagradOptions> = {}) {
    super(adagradRule, params, options);
  }
}

export const adagradDescriptor = describeOptimizer(Adagrad, adagradRule, {
  name: 'adagrad',
  label: 'Adagrad',
  formula: 's += g²;  p −= lr/(1 + (t−1)·decay) · g/(√s + ε)',
  variants: [
    { lr: 0.1 },
    { lr: 0.1, weightDecay: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 },
  ],
  refused: [
    { options: { lrDecay: -1 }, error: /^Adagrad: lrDecay must be a finite number >= 0, got -1$/ },
  ],
  slots: ['sum'],
  sparse: true,
  lab: ADAPTIVE_LAB,
  sliders: [
    SLIDERS.lr,
    { key: 'lrDecay', label: 'lr decay', min: 0, max: 0.1, scale: 'linear' },
    SLIDERS.eps,
  ],
  bench: { written: 2, kernel: 'adagrad' },
  tfjs: (tf, lr) => tf.adagrad(lr),
});
