import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBoolean, checkInRange, checkNonNegative } from '../core/validate.ts';

export interface LARSOptions extends CommonOptions {
  /** L2 term of matrices (tensors of 2+ dimensions) only, added before the trust ratio. */
  weightDecay: number;
  momentum: number;
  dampening: number;
  /** η in the trust ratio η‖p‖/‖g‖. */
  trustCoefficient: number;
  nesterov: boolean;
}

const NAME = 'LARS';

// Constant lists: `slots` runs on every step, which must not allocate.
const NO_SLOTS: readonly SlotSpec[] = [];
const MOMENTUM_SLOTS: readonly SlotSpec[] = [{ name: 'momentum_buffer', fill: 0 }];

export const larsRule: Rule<LARSOptions> = {
  name: NAME,
  defaults: {
    lr: 1e-3,
    weightDecay: 0,
    momentum: 0.9,
    dampening: 0,
    trustCoefficient: 1e-3,
    nesterov: false,
    maximize: false,
  },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkInRange(NAME, 'momentum', h.momentum, 0, 1);
    checkInRange(NAME, 'dampening', h.dampening, 0, 1);
    checkNonNegative(NAME, 'trustCoefficient', h.trustCoefficient);
    checkBoolean(NAME, 'nesterov', h.nesterov);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: (h) => (h.momentum > 0 ? MOMENTUM_SLOTS : NO_SLOTS),
  update(p, g, st, h, gs, created, shape) {
    const matrix = shape.length > 1;
    let trust = 1;
    if (matrix) {
      // One read pass for both norms; the gradient's excludes weight decay.
      let p2 = 0;
      let g2 = 0;
      for (let i = 0; i < p.length; i++) {
        p2 += p[i]! * p[i]!;
        g2 += g[i]! * g[i]!;
      }
      const pn = Math.sqrt(p2);
      const gn = Math.sqrt(g2) * Math.abs(gs);
      if (pn > 0 && gn > 0) trust = (h.trustCoefficient * pn) / gn;
    }
    const buf = st.slots.momentum_buffer;
    // The buffer starts as a copy of the gradient as the caller gave it: before maximize's
    // negation, weight decay and the trust ratio (the reference's order, kept).
    const raw = h.maximize ? -gs : gs;
    larsKernel(p, g, buf, gs, raw, matrix ? h.weightDecay : 0, trust, h, created);
  },
};

/** The fused LARS move: scaled gradient, momentum (optionally Nesterov), step. */
function larsKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  buf: FloatBuffer | undefined,
  gs: number,
  raw: number,
  wd: number,
  trust: number,
  h: LARSOptions,
  first: boolean,
): void {
  const lr = -h.lr;
  if (!buf) {
    for (let i = 0; i < p.length; i++) p[i] = p[i]! + lr * ((g[i]! * gs + wd * p[i]!) * trust);
    return;
  }
  const mu = h.momentum;
  const keep = 1 - h.dampening;
  const nesterov = h.nesterov;
  for (let i = 0; i < p.length; i++) {
    const d = (g[i]! * gs + wd * p[i]!) * trust;
    // First step: μ·g_raw + (1 − dampening)·g_scaled, not torch SGD's b = g.
    const b = mu * (first ? g[i]! * raw : buf[i]!) + keep * d;
    buf[i] = b;
    p[i] = p[i]! + lr * (nesterov ? d + mu * b : b);
  }
}

/**
 * LARS (layer-wise adaptive rate scaling): momentum SGD whose gradient is rescaled per matrix so
 * that each layer's step is proportional to its weights' norm.
 *
 * For a tensor of 2+ dimensions: `g ← (g + wd·p)·η‖p‖/‖g‖` (ratio 1 when ‖p‖ or ‖g‖ is 0);
 * vectors keep g. Then `b = μb + (1−τ)g;  p −= lr·(nesterov ? g + μb : b)`.
 *
 * kozistr/pytorch_optimizer 3.9.0 `LARS` (commit 7a076d2f): its defaults (lr 1e-3, momentum 0.9,
 * dampening 0, trustCoefficient η 1e-3, weightDecay 0) and its quirks, kept on purpose:
 * - vectors (biases, norm gains: a buffer whose group gives no shape of 2+ dimensions) get
 *   neither the trust ratio nor weight decay;
 * - the momentum buffer starts as a copy of the raw gradient (before maximize's negation, weight
 *   decay and the trust ratio), so step 1 moves by μ·g_raw + (1−τ)·g_scaled;
 * - ‖g‖ in the trust ratio excludes weight decay.
 * The trust ratio needs the tensor's shape: give `shapes` in the param group (`[[rows, cols]]`),
 * or every buffer is a vector and LARS is momentum SGD.
 *
 * Read passes over memory per step and tensor: 2 for a matrix (both norms, then the move), 1
 * for a vector. You, Gitman and Ginsburg 2017, arXiv 1708.03888.
 */
export class LARS extends Optimizer<LARSOptions> {
  constructor(params: ParamsInput<LARSOptions>, options: OptimizerOptions<LARSOptions> = {}) {
    super(larsRule, params, options);
  }
}

export const larsDescriptor = describeOptimizer(LARS, larsRule, {
  name: 'lars',
  label: 'LARS',
  formula: 'g ← (g + wd·p)·η‖p‖/‖g‖ (matrices);  b = μb + g;  p −= lr·b',
  variants: [
    {},
    { lr: 0.05, nesterov: true, trustCoefficient: 0.02, weightDecay: 0.005 },
    { lr: 0.05, momentum: 0, maximize: true, trustCoefficient: 0.05, weightDecay: 0.01 },
    { lr: 0.05, weightDecay: 0.01, dampening: 0.1, trustCoefficient: 0.02, maximize: true },
  ],
  refused: [
    { options: { momentum: 1 }, error: /^LARS: momentum must be in \[0, 1\), got 1$/ },
    {
      options: { trustCoefficient: -1 },
      error: /^LARS: trustCoefficient must be a finite number >= 0, got -1$/,
    },
    { options: { lr: -1 }, error: /^LARS: lr must be a finite number >= 0, got -1$/ },
  ],
  slots: ['momentum_buffer'],
  sparse: false,
  // Not raced: the lab hands optimizers vectors without shapes, where LARS is momentum SGD
  // (already raced as `momentum`) with a different first step.
  sliders: [SLIDERS.lr, SLIDERS.momentum, SLIDERS.weightDecay],
});
