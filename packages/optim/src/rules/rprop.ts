import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import { fastRprop } from '../kernels/rules.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { check, checkBoolean, checkNonNegative } from '../core/validate.ts';

export interface RpropOptions extends CommonOptions {
  /** `[η⁻, η⁺]`: a step size shrinks by η⁻ after a sign flip and grows by η⁺ otherwise. */
  etas: [number, number];
  /** `[min, max]`: the range each element's step size is clamped to. */
  stepSizes: [number, number];
}

const NAME = 'Rprop';

// A constant list: `slots` runs on every step, which must not allocate. `step_size` starts at
// the group's lr, which a constant fill cannot say: the update fills it on the step that
// allocates it (`created`).
const SLOTS: readonly SlotSpec[] = [
  { name: 'prev', fill: 0 },
  { name: 'step_size', fill: 0 },
];

function checkPair(option: string, value: unknown, names: string): asserts value is number[] {
  check(NAME, option, Array.isArray(value) && value.length === 2, `a pair ${names}`, value);
}

export const rpropRule: Rule<RpropOptions> = {
  name: NAME,
  defaults: { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    // torch's check, `0 < etas[0] < 1 < etas[1]` (torch tells a sign flip by its factor η⁻, so
    // η⁻ must differ from 1 and η⁺); η⁺ finite besides. No check of step_sizes in torch: here
    // 0 <= min <= max < Infinity, so that the clamp means what it says.
    checkPair('etas', h.etas, '[etaminus, etaplus]');
    const [em, ep] = h.etas;
    check(NAME, 'etas[0]', typeof em === 'number' && em > 0 && em < 1, 'in (0, 1)', em);
    check(
      NAME,
      'etas[1]',
      typeof ep === 'number' && ep > 1 && ep < Infinity,
      'a finite number > 1',
      ep,
    );
    checkPair('stepSizes', h.stepSizes, '[min, max]');
    const [lo, hi] = h.stepSizes;
    checkNonNegative(NAME, 'stepSizes[0]', lo);
    checkNonNegative(NAME, 'stepSizes[1]', hi, lo as number);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: () => SLOTS,
  update(p, g, st, h, gs, created) {
    const size = st.slots.step_size as FloatBuffer;
    if (created) size.fill(h.lr);
    const [em, ep] = h.etas;
    const [lo, hi] = h.stepSizes;
    rpropKernel(p, g, st.slots.prev as FloatBuffer, size, gs, em, ep, lo, hi);
  },
};

/**
 * The fused Rprop pass, in torch's order: the factor from the sign of g·prev, the clamped step
 * size, a zero gradient where the sign flipped, the signed step, then prev.
 */
function rpropKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  prev: FloatBuffer,
  size: FloatBuffer,
  gs: number,
  em: number,
  ep: number,
  lo: number,
  hi: number,
): void {
  if (fastRprop(p, g, prev, size, gs, em, ep, lo, hi)) return;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    // torch takes the sign of the product, not of each factor: a product that underflows to 0
    // counts as no sign information (factor 1), and a NaN gives a NaN factor.
    const q = d * prev[i];
    const factor = q > 0 ? ep : q < 0 ? em : q === 0 ? 1 : q;
    const s = Math.min(Math.max(size[i] * factor, lo), hi);
    size[i] = s;
    // After a sign flip the element does not move and its prev becomes 0, so that the next
    // step's factor is 1 (torch's `grad[sign.eq(etaminus)] = 0`).
    if (q < 0) d = 0;
    p[i] -= Math.sign(d) * s;
    prev[i] = d;
  }
}

/**
 * Rprop (resilient backpropagation): each element moves by its own step size in the direction
 * of −sign(g); the step size grows by η⁺ while the gradient keeps its sign and shrinks by η⁻ when
 * it flips. Only the signs of gradients are used, so it is meant for full-batch gradients: on
 * mini-batches the noise flips signs at random and the step sizes collapse (use Adam or SGD
 * there).
 *
 * `f = η⁺ if g·prev > 0, η⁻ if g·prev < 0, else 1;  s = clamp(s·f, min, max);
 *  g' = (f = η⁻) ? 0 : g;  p −= sign(g')·s;  prev = g'`.
 *
 * Defaults and quirks of `torch.optim.Rprop` (torch 1.13, `foreach=False`): lr 1e-2, etas
 * [0.5, 1.2], stepSizes [1e-6, 50]; the step sizes start at lr (state `step_size`, the group's lr
 * when the parameter takes its first step); on the first step every element moves by exactly
 * lr·sign(g); after a sign flip the element does not move; a zero gradient does not move it.
 * One read pass over p, g, prev and step_size per step (plus one fill of step_size on the
 * first). Riedmiller and Braun 1993, "A direct adaptive method for faster backpropagation
 * learning: the RPROP algorithm".
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: ParamsInput<RpropOptions>, options: OptimizerOptions<RpropOptions> = {}) {
    super(rpropRule, params, options);
  }
}

export const rpropDescriptor = describeOptimizer(Rprop, rpropRule, {
  name: 'rprop',
  label: 'Rprop',
  formula: 's = clamp(s·(η⁺ | η⁻ | 1 by sign(g·prev)), min, max);  p −= sign(g)·s (0 after a flip)',
  variants: [{}, { lr: 0.05, etas: [0.3, 1.5], stepSizes: [1e-3, 0.2] }, { maximize: true }],
  refused: [
    { options: { etas: [1, 1.2] }, error: /^Rprop: etas\[0\] must be in \(0, 1\), got 1$/ },
    {
      options: { etas: [0.5, 1] },
      error: /^Rprop: etas\[1\] must be a finite number > 1, got 1$/,
    },
    {
      options: { stepSizes: [0.1, 0.01] },
      error: /^Rprop: stepSizes\[1\] must be a finite number >= 0.1, got 0.01$/,
    },
    { options: { lr: -1 }, error: /^Rprop: lr must be a finite number >= 0, got -1$/ },
  ],
  slots: ['prev', 'step_size'],
  sparse: false,
  bench: { written: 3, kernel: 'rprop' },
  // Not raced: the lab's races use mini-batch gradients, whose noise flips signs and collapses
  // Rprop's step sizes; it is a full-batch method.
  sliders: [
    SLIDERS.lr,
    { key: 'etas.0', label: 'η⁻', min: 0.05, max: 0.95, scale: 'linear' },
    { key: 'etas.1', label: 'η⁺', min: 1.05, max: 2, scale: 'linear' },
  ],
});
