import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBoolean, checkNonNegative } from '../core/validate.ts';
import { fastRmsprop } from '../kernels/rules.ts';
import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';

export interface RMSpropOptions extends CommonOptions {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

const NAME = 'RMSprop';

// The slot lists of the four configurations, built once: \`slots\` runs on every step, which
// must not allocate. Index: momentum > 0 adds 1, centered adds 2.
const SQUARE_AVG: SlotSpec = { name: 'square_avg', fill: 0 };
const BUFFER: SlotSpec = { name: 'momentum_buffer', fill: 0 };
const GRAD_AVG: SlotSpec = { name: 'grad_avg', fill: 0 };
const SLOTS: readonly (readonly SlotSpec[])[] = [
  [SQUARE_AVG],
  [SQUARE_AVG, BUFFER],
  [SQUARE_AVG, GRAD_AVG],
  [SQUARE_AVG, BUFFER, GRAD_AVG],
];

export const rmspropRule: Rule<RMSpropOptions> = {
  name: NAME,
  defaults: {
    lr: 1e-2,
    alpha: 0.99,
    eps: 1e-8,
    weightDecay: 0,
    momentum: 0,
    centered: false,
    maximize: false,
  },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkNonNegative(NAME, 'alpha', h.alpha);
    checkNonNegative(NAME, 'eps', h.eps);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkNonNegative(NAME, 'momentum', h.momentum);
    checkBoolean(NAME, 'centered', h.centered);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: (h) => SLOTS[(h.momentum > 0 ? 1 : 0) + (h.centered ? 2 : 0)] as readonly SlotSpec[],
  update(p, g, st, h, gs) {
    const { square_avg, momentum_buffer, grad_avg } = st.slots;
    rmspropKernel(
      p,
      g,
      square_avg as FloatBuffer,
      h.momentum > 0 ? (momentum_buffer as FloatBuffer) : null,
      h.centered ? (grad_avg as FloatBuffer) : null,
      gs,
      h.lr,
      h.alpha,
      h.eps,
      h.weightDecay,
      h.momentum,
    );
  },
};

function rmspropKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  v: FloatBuffer,
  buf: FloatBuffer | null,
  ga: FloatBuffer | null,
  gs: number,
  lr: number,
  alpha: number,
  eps: number,
  wd: number,
  mom: number,
): void {
  if (fastRmsprop(p, g, v, buf, ga, gs, lr, alpha, eps, wd, mom)) return;
  const c = 1 - alpha;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (wd !== 0) d += wd * p[i];
    v[i] = alpha * v[i] + c * d * d;
    let avg: number;
    if (ga) {
      ga[i] = alpha * ga[i] + c * d;
      // v − ḡ² is a variance, >= 0 in exact arithmetic; rounding (e.g. float32 underflow of
      // v) can make it slightly negative, where PyTorch's root gives NaN. Clamp it at 0.
      avg = Math.sqrt(Math.max(v[i] - ga[i] * ga[i], 0)) + eps;
    } else {
      avg = Math.sqrt(v[i]) + eps;
    }
    if (buf) {
      buf[i] = mom * buf[i] + d / avg;
      p[i] -= lr * buf[i];
    } else {
      p[i] -= (lr * d) / avg;
    }
  }
}

/**
 * RMSprop: divide the gradient by a running RMS of recent gradients (optionally centered, with
 * momentum).
 *
 * `d = g + wd·p; v = αv + (1−α)d²; a = √(v − ḡ²) + eps` (centered, `ḡ = αḡ + (1−α)d`) or
 * `√v + eps`; `b = μb + d/a, p −= lr·b` (momentum) or `p −= lr·d/a`. No bias correction.
 *
 * Defaults match `torch.optim.RMSprop`. Hinton, Coursera lecture 6e (2012); centered: Graves 2013.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: OptimizerOptions<RMSpropOptions> = {}) {
    super(rmspropRule, params, options);
  }
}

export const rmspropDescriptor = describeOptimizer(RMSprop, rmspropRule, {
  name: 'rmsprop',
  label: 'RMSprop',
  formula: 'v = αv + (1−α)g²;  b = μb + g/(√v + ε);  p −= lr·b',
  variants: [
    { lr: 0.01 },
    { lr: 0.01, centered: true },
    { lr: 0.01, momentum: 0.9 },
    { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 },
  ],
  refused: [
    { options: { alpha: -0.9 }, error: /^RMSprop: alpha must be a finite number >= 0, got -0.9$/ },
    { options: { centered: 'yes' }, error: /^RMSprop: centered must be true or false, got "yes"$/ },
  ],
  slots: ['square_avg', 'grad_avg', 'momentum_buffer'],
  sparse: false,
  lab: ADAPTIVE_LAB,
  sliders: [
    SLIDERS.lr,
    { key: 'alpha', label: 'α', min: 0.5, max: 0.999, scale: 'linear' },
    SLIDERS.momentum,
    SLIDERS.eps,
  ],
  bench: { written: 2, kernel: 'rmsprop' },
  tfjs: (tf, lr) => tf.rmsprop(lr, 0.99),
});
