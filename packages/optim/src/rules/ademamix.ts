import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import { fastAdemamix } from '../kernels/rules.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { check, checkBoolean, checkInRange, checkNonNegative } from '../core/validate.ts';

export interface AdEMAMixOptions extends CommonOptions {
  /** β₁ (the fast EMA, 0 keeps none), β₂ (the second moment), β₃ (the slow EMA). */
  betas: [number, number, number];
  /** Weight of the slow EMA in the step. */
  alpha: number;
  /** Steps over which β₃ warms up from β₁ (linearly in half-life); null: none. */
  beta3Warmup: number | null;
  /** Steps over which α ramps up linearly from 0; null: none. */
  alphaWarmup: number | null;
  eps: number;
  /** Decoupled: `p −= lr·wd·p` (scaled by lr only). */
  weightDecay: number;
}

const NAME = 'AdEMAMix';

// Constant lists: `slots` runs on every step, which must not allocate. With β₁ = 0 the
// reference keeps no fast EMA (the gradient stands in for it).
const SLOTS: readonly SlotSpec[] = [
  { name: 'exp_avg_fast', fill: 0 },
  { name: 'exp_avg_slow', fill: 0 },
  { name: 'exp_avg_sq', fill: 0 },
];
const SLOTS_NO_FAST: readonly SlotSpec[] = SLOTS.slice(1);

function checkWarmup(option: string, value: unknown): void {
  check(
    NAME,
    option,
    value === null || (Number.isSafeInteger(value) && (value as number) >= 0),
    'an integer >= 0 or null',
    value,
  );
}

/** α at step t: a linear ramp from 0 over `warmup` steps, as the reference's scheduler. */
export function ademamixAlpha(alpha: number, warmup: number | null, t: number): number {
  if (warmup === null || t >= warmup) return alpha;
  // The reference's (1 − a)·alpha_start + a·alpha_end with alpha_start = 0: (t/T)·alpha, in
  // that rounding order.
  return (t / warmup) * alpha;
}

/**
 * β₃ at step t: from β₁ to β₃ over `warmup` steps, linear in the half-life
 * f(β) = ln 0.5 / ln(β + 1e-8) − 1, mapped back by f⁻¹(τ) = 0.5^(1/(τ+1)).
 */
export function ademamixBeta3(b1: number, b3: number, warmup: number | null, t: number): number {
  if (warmup === null || t >= warmup) return b3;
  const f = (beta: number) => Math.log(0.5) / Math.log(beta + 1e-8) - 1;
  const a = t / warmup;
  return 0.5 ** (1 / ((1 - a) * f(b1) + a * f(b3) + 1));
}

export const ademamixRule: Rule<AdEMAMixOptions> = {
  name: NAME,
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999, 0.9999],
    alpha: 2,
    beta3Warmup: null,
    alphaWarmup: null,
    eps: 1e-8,
    weightDecay: 0,
    maximize: false,
  },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    const b = h.betas as unknown;
    check(NAME, 'betas', Array.isArray(b), 'a triple [beta1, beta2, beta3]', b);
    // Each element first, so that a bad value is named (`betas[2] ... got undefined` for a pair).
    for (let i = 0; i < 3; i++) checkInRange(NAME, `betas[${i}]`, h.betas[i], 0, 1);
    check(NAME, 'betas', h.betas.length === 3, 'a triple [beta1, beta2, beta3]', b);
    checkNonNegative(NAME, 'alpha', h.alpha);
    checkWarmup('beta3Warmup', h.beta3Warmup);
    checkWarmup('alphaWarmup', h.alphaWarmup);
    checkNonNegative(NAME, 'eps', h.eps);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: (h) => (h.betas[0] === 0 ? SLOTS_NO_FAST : SLOTS),
  update(p, g, st, h, gs) {
    const [b1, b2, b3] = h.betas;
    const t = st.step;
    ademamixKernel(
      p,
      g,
      b1 === 0 ? null : (st.slots.exp_avg_fast as FloatBuffer),
      st.slots.exp_avg_slow as FloatBuffer,
      st.slots.exp_avg_sq as FloatBuffer,
      gs,
      b1,
      b2,
      ademamixBeta3(b1, b3, h.beta3Warmup, t),
      ademamixAlpha(h.alpha, h.alphaWarmup, t),
      1 - b1 ** t,
      Math.sqrt(1 - b2 ** t),
      h.eps,
      h.weightDecay,
      h.lr,
    );
  },
};

/**
 * The fused AdEMAMix pass, in the reference's order and rounding: the three EMAs, then
 * `u = (m₁/bc₁ + α·m₂)/(√v/√bc₂ + eps) + wd·p` and `p += −lr·u`. `m1` null: β₁ = 0, the gradient
 * itself is the fast EMA (and bc₁ = 1).
 */
function ademamixKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m1: FloatBuffer | null,
  m2: FloatBuffer,
  v: FloatBuffer,
  gs: number,
  b1: number,
  b2: number,
  b3: number,
  alpha: number,
  bc1: number,
  bc2Sqrt: number,
  eps: number,
  wd: number,
  lr: number,
): void {
  if (fastAdemamix(p, g, m1, m2, v, gs, b1, b2, b3, alpha, bc1, bc2Sqrt, eps, wd, lr)) return;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const c3 = 1 - b3;
  const nlr = -lr;
  for (let i = 0; i < p.length; i++) {
    const d = g[i] * gs;
    let fast = d;
    // The update reads the EMAs as stored (rounded to the buffer's type), as the reference's
    // in-place ops do.
    if (m1) {
      m1[i] = m1[i] * b1 + c1 * d;
      fast = m1[i];
    }
    m2[i] = m2[i] * b3 + c3 * d;
    v[i] = v[i] * b2 + c2 * d * d;
    // eps is added after the bias correction of the root; the slow EMA has no bias correction.
    const u = (fast / bc1 + alpha * m2[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps) + wd * p[i];
    p[i] = p[i] + nlr * u;
  }
}

/**
 * AdEMAMix: Adam whose momentum mixes a fast EMA of the gradient with a slow one (β₃ close to
 * 1), which keeps gradients from thousands of steps ago in play.
 *
 * `m₁ = β₁m₁ + (1−β₁)g; m₂ = β₃m₂ + (1−β₃)g; v = β₂v + (1−β₂)g²;`
 * `p −= lr·((m₁/(1−β₁ᵗ) + α·m₂)/(√v/√(1−β₂ᵗ) + eps) + wd·p)`, with α and β₃ optionally warmed
 * up (α linearly from 0 over `alphaWarmup` steps; β₃ from β₁ over `beta3Warmup` steps, linearly
 * in half-life).
 *
 * Defaults and order of the reference implementation, apple/ml-ademamix `pytorch/ademamix.py`
 * (commit c3d73c09): lr 1e-3, betas (0.9, 0.999, 0.9999), alpha 2, no warmups, eps 1e-8, weight
 * decay 0 (decoupled, scaled by lr only). Quirks kept on purpose: m₂ has no bias correction;
 * with β₁ = 0 no fast EMA is kept (the state has no `exp_avg_fast`); the warmups use each
 * parameter's own step count. `maximize` negates the gradient, as for every descent optimizer
 * (the reference has none). One read pass over p, g and the three slots per step. Pagliardini,
 * Ablin and Grangier 2024, "The AdEMAMix Optimizer: Better, Faster, Older", arXiv 2409.03137.
 */
export class AdEMAMix extends Optimizer<AdEMAMixOptions> {
  constructor(
    params: ParamsInput<AdEMAMixOptions>,
    options: OptimizerOptions<AdEMAMixOptions> = {},
  ) {
    super(ademamixRule, params, options);
  }
}

export const ademamixDescriptor = describeOptimizer(AdEMAMix, ademamixRule, {
  name: 'ademamix',
  label: 'AdEMAMix',
  formula:
    'm₁ = β₁m₁ + (1−β₁)g;  m₂ = β₃m₂ + (1−β₃)g;  v = β₂v + (1−β₂)g²;  p −= lr·(m₁/(1−β₁ᵗ) + α·m₂)/(√v/√(1−β₂ᵗ) + ε)',
  variants: [
    {},
    {
      lr: 0.01,
      betas: [0, 0.999, 0.999],
      beta3Warmup: 3,
      alphaWarmup: 5,
      weightDecay: 0.1,
    },
    { lr: 0.01, betas: [0.8, 0.99, 0.999], alpha: 5, beta3Warmup: 2, maximize: true },
  ],
  refused: [
    {
      options: { betas: [0.9, 0.999] },
      error: /^AdEMAMix: betas\[2\] must be in \[0, 1\), got undefined$/,
    },
    {
      options: { betas: [0.9, 0.999, 1] },
      error: /^AdEMAMix: betas\[2\] must be in \[0, 1\), got 1$/,
    },
    {
      options: { alphaWarmup: 2.5 },
      error: /^AdEMAMix: alphaWarmup must be an integer >= 0 or null, got 2.5$/,
    },
    { options: { alpha: -1 }, error: /^AdEMAMix: alpha must be a finite number >= 0, got -1$/ },
  ],
  slots: ['exp_avg_fast', 'exp_avg_slow', 'exp_avg_sq'],
  sparse: false,
  bench: { written: 4, kernel: 'ademamix' },
  lab: ADAPTIVE_LAB,
  sliders: [
    SLIDERS.lr,
    SLIDERS.beta1,
    SLIDERS.beta2,
    { key: 'betas.2', label: 'β₃', min: 0.9, max: 0.99999, scale: 'linear' },
    { key: 'alpha', label: 'α', min: 0, max: 10, scale: 'linear' },
    SLIDERS.weightDecay,
  ],
});
