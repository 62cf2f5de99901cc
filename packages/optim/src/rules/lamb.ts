import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { GroupStep, Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBetas, checkBoolean, checkNonNegative } from '../core/validate.ts';

export interface LambOptions extends CommonOptions {
  betas: [number, number];
  weightDecay: number;
  /** AdamW's decoupled decay `p ← p(1 − lr·wd)` (true) or an L2 term added to g (false). */
  weightDecouple: boolean;
  /** Decoupled decay without the lr: `p ← p(1 − wd)`. */
  fixedDecay: boolean;
  /** RAdam's rectification of the step size. */
  rectify: boolean;
  /** While the rectification is undefined (ρₜ < `nSmaThreshold`), step by m with rt = 1, not −1. */
  degeneratedToSgd: boolean;
  nSmaThreshold: number;
  /** m's gradient weight is 1 − β₁ (true) or 1 (false). */
  gradAveraging: boolean;
  /** The pre-norm's target norm (0: no pre-norm scaling). */
  maxGradNorm: number;
  /** Trust ratio 1: Adam with LAMB's bias correction (of m only), for comparison. */
  adam: boolean;
  /** Scale every gradient of the group by the pre-norm factor σ (see the class TSDoc). */
  preNorm: boolean;
  eps: number;
}

const NAME = 'Lamb';
/** The reference's clamp on the weight norm in the trust ratio. */
const WEIGHT_NORM_CLAMP = 10;

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [
  { name: 'exp_avg', fill: 0 },
  { name: 'exp_avg_sq', fill: 0 },
];

export const lambRule: Rule<LambOptions> = {
  name: NAME,
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    weightDecay: 0,
    weightDecouple: true,
    fixedDecay: false,
    rectify: false,
    degeneratedToSgd: false,
    nSmaThreshold: 5,
    gradAveraging: true,
    maxGradNorm: 1,
    adam: false,
    preNorm: false,
    eps: 1e-6,
    maximize: false,
  },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkBetas(NAME, h.betas);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkNonNegative(NAME, 'nSmaThreshold', h.nSmaThreshold);
    checkNonNegative(NAME, 'maxGradNorm', h.maxGradNorm);
    checkNonNegative(NAME, 'eps', h.eps);
    for (const key of [
      'weightDecouple',
      'fixedDecay',
      'rectify',
      'degeneratedToSgd',
      'gradAveraging',
      'adam',
      'preNorm',
      'maximize',
    ] as const) {
      checkBoolean(NAME, key, h[key]);
    }
  },
  slots: () => SLOTS,
  // The per-buffer pass, without the pre-norm (a reduction over the whole group: updateGroup).
  update(p, g, st, h, gs) {
    lambKernel(
      p,
      g,
      st.slots.exp_avg as FloatBuffer,
      st.slots.exp_avg_sq as FloatBuffer,
      h,
      gs,
      st.step,
    );
  },
  updateGroup(s) {
    const h = s.hyper;
    // g/σ folded into the kernel's gradient scale: g·(gs/σ) differs from (g·gs)/σ by an ulp.
    const gs = h.preNorm ? s.gradScale / preNormFactor(s, h.maxGradNorm, h.eps) : s.gradScale;
    for (let j = 0; j < s.params.length; j++) {
      const g = s.grads[j];
      const st = s.states[j];
      if (!g || !st) continue;
      const m = st.slots.exp_avg as FloatBuffer;
      const v = st.slots.exp_avg_sq as FloatBuffer;
      lambKernel(s.params[j] as FloatBuffer, g, m, v, h, gs, st.step);
    }
  },
};

/**
 * The reference's pre-norm factor σ over every gradient of the group, in float32 as the
 * reference computes it (`fl` = Math.fround): acc = fl(Σ fl(‖g‖²)) with ‖g‖ in float64;
 * σ = min(fl(fl(1/fl(fl(√acc) + fl(eps)))·fl(maxGradNorm)), 1), and 1 when maxGradNorm is 0.
 * One read pass over the gradients. σ is a clip factor that the reference divides by, so it
 * scales a gradient whose norm exceeds maxGradNorm up (kept on purpose).
 */
function preNormFactor(s: GroupStep<LambOptions>, maxGradNorm: number, eps: number): number {
  if (maxGradNorm === 0) return 1;
  const f = Math.fround;
  const scale = Math.abs(s.gradScale);
  let acc = 0;
  for (const g of s.grads) {
    if (!g) continue;
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
    const norm = Math.sqrt(sq) * scale;
    acc = f(acc + f(norm * norm));
  }
  const n = f(f(Math.sqrt(acc)) + f(eps));
  return Math.min(f(f(1 / n) * f(maxGradNorm)), 1);
}

/** The rectification rt of step t (RAdam's), or null while it is undefined (ρₜ < threshold). */
function rectification(t: number, b2: number, threshold: number): number | null {
  const nMax = 2 / (1 - b2) - 1;
  const b2t = b2 ** t;
  const n = nMax - (2 * t * b2t) / (1 - b2t);
  if (n < threshold) return null;
  // Left to right, as the reference evaluates it.
  return Math.sqrt(((((((1 - b2t) * (n - 4)) / (nMax - 4)) * (n - 2)) / n) * nMax) / (nMax - 2));
}

/**
 * One LAMB step on one buffer. Without `adam`: a read pass that updates m and v and sums ‖x‖²
 * and ‖u‖² (or ‖x − step·u‖², rectified), then a pass that moves p by the trust-scaled u
 * (recomputed from m and v: no buffer for u). With `adam` (trust ratio 1): one fused pass.
 */
function lambKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer,
  v: FloatBuffer,
  h: LambOptions,
  gs: number,
  t: number,
): void {
  const [b1, b2] = h.betas;
  const b3 = h.gradAveraging ? 1 - b1 : 1;
  const c2 = 1 - b2;
  const eps = h.eps;
  const wd = h.weightDecay;
  // Decoupled decay (a factor of exactly 1 without it); x is p after the decay.
  const decay = h.weightDecouple ? 1 - wd * (h.fixedDecay ? 1 : h.lr) : 1;
  // The rectified path (the reference's per-parameter code) silently ignores coupled decay.
  const l2 = !h.weightDecouple && !h.rectify ? wd : 0;
  let rt = 1;
  let adaptive = true;
  if (h.rectify) {
    const r = rectification(t, b2, h.nSmaThreshold);
    adaptive = r !== null;
    // Undefined rectification: a plain momentum step, uphill (rt = −1) unless degeneratedToSgd.
    rt = r ?? (h.degeneratedToSgd ? 1 : -1);
  }
  // Bias correction of m in the step size only; v is never bias-corrected (paper v3).
  const stepSize = (h.lr * rt) / (1 - b1 ** t);

  if (h.adam) {
    const a = -stepSize;
    for (let i = 0; i < p.length; i++) {
      const x = p[i]!;
      const d = g[i]! * gs + l2 * x;
      const mi = b1 * m[i]! + b3 * d;
      const vi = b2 * v[i]! + c2 * d * d;
      m[i] = mi;
      v[i] = vi;
      p[i] = x * decay + a * (adaptive ? mi / (Math.sqrt(vi) + eps) : mi);
    }
    return;
  }

  let w2 = 0;
  let q2 = 0;
  const rectified = h.rectify;
  const toCandidate = -stepSize;
  for (let i = 0; i < p.length; i++) {
    const x0 = p[i]!;
    const d = g[i]! * gs + l2 * x0;
    const mi = b1 * m[i]! + b3 * d;
    const vi = b2 * v[i]! + c2 * d * d;
    m[i] = mi;
    v[i] = vi;
    const x = x0 * decay;
    const u = adaptive ? mi / (Math.sqrt(vi) + eps) : mi;
    w2 += x * x;
    // The rectified path's trust ratio divides by the norm of the candidate point x − step·u,
    // not of the step (a quirk of the reference, kept).
    const q = rectified ? x + toCandidate * u : u;
    q2 += q * q;
  }
  const w = Math.min(Math.sqrt(w2), WEIGHT_NORM_CLAMP);
  const q = Math.sqrt(q2);
  const trust = w !== 0 && q !== 0 ? w / (q + eps) : 1;
  const a = -stepSize * trust;
  for (let i = 0; i < p.length; i++) {
    const mi = m[i]!;
    p[i] = p[i]! * decay + a * (adaptive ? mi / (Math.sqrt(v[i]!) + eps) : mi);
  }
}

/**
 * LAMB (layer-wise adaptive moments): Adam's direction, rescaled per tensor so that the step
 * is proportional to the tensor's norm.
 *
 * `m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  u = m/(√v + ε);
 * p ← p(1 − lr·wd);  p −= lr/(1−β₁ᵗ) · min(‖p‖, 10)/(‖u‖ + ε) · u` (trust ratio 1 when ‖p‖ or
 * ‖u‖ is 0; with `adam`, always 1).
 *
 * kozistr/pytorch_optimizer 3.9.0 `Lamb` (commit 7a076d2f), the paper's v3 form: its defaults
 * (lr 1e-3, betas (0.9, 0.999), eps 1e-6, weightDecay 0 decoupled, maxGradNorm 1) and its
 * quirks, kept on purpose:
 * - m is bias-corrected in the step size only, v never;
 * - `gradAveraging: false` weighs g by 1 in m;
 * - `rectify` (RAdam's rt; the reference's per-parameter path): while ρₜ < `nSmaThreshold` the
 *   step is `rt·lr/(1−β₁ᵗ)·m` with rt = −1, uphill, for about the first 5 steps (rt = 1 with
 *   `degeneratedToSgd`); its trust ratio divides by ‖p − step·u‖ (the candidate point) instead
 *   of ‖u‖; and it ignores coupled weight decay (`weightDecouple: false`) altogether;
 * - `preNorm` multiplies every gradient of the group by 1/σ, σ = min(maxGradNorm/(‖g‖ + ε), 1)
 *   over all of them, computed in float32: a clip factor that is divided by, so it scales a
 *   gradient with ‖g‖ > maxGradNorm up. The reference's σ spans all param groups (and reads
 *   the constructor's preNorm, maxGradNorm and eps); here it spans the group, the same for one
 *   group;
 * - the step count is the buffer's (the reference counts steps per group: they differ only for
 *   a buffer that skipped steps without a gradient).
 *
 * Read passes over memory per step and tensor: 2 (the norms, then the move), 1 with `adam`;
 * `preNorm` adds 1 read pass over every gradient of the group. You et al. 2020, arXiv 1904.00962;
 * rectification: Liu et al. 2020, arXiv 1908.03265.
 */
export class LAMB extends Optimizer<LambOptions> {
  constructor(params: ParamsInput<LambOptions>, options: OptimizerOptions<LambOptions> = {}) {
    super(lambRule, params, options);
  }
}

export const lambDescriptor = describeOptimizer(LAMB, lambRule, {
  name: 'lamb',
  label: 'LAMB',
  formula: 'u = m/(√v+ε);  p −= lr/(1−β₁ᵗ) · min(‖p‖,10)/(‖u‖+ε) · u',
  variants: [
    {},
    { lr: 0.02, weightDecay: 0.01, gradAveraging: false },
    { lr: 0.02, weightDecay: 0.02, fixedDecay: true, adam: true, maximize: true },
    { lr: 0.02, weightDecay: 0.05, weightDecouple: false, preNorm: true, maxGradNorm: 0.1 },
    { lr: 0.02, weightDecay: 0.01, rectify: true },
    {
      lr: 0.02,
      weightDecay: 0.01,
      weightDecouple: false,
      rectify: true,
      degeneratedToSgd: true,
      preNorm: true,
      maxGradNorm: 0.1,
    },
    { preNorm: true, maxGradNorm: 0 },
  ],
  refused: [
    { options: { betas: [1, 0.999] }, error: /^Lamb: betas\[0\] must be in \[0, 1\), got 1$/ },
    { options: { eps: -1 }, error: /^Lamb: eps must be a finite number >= 0, got -1$/ },
    {
      options: { maxGradNorm: -1 },
      error: /^Lamb: maxGradNorm must be a finite number >= 0, got -1$/,
    },
    { options: { preNorm: 1 }, error: /^Lamb: preNorm must be true or false, got 1$/ },
  ],
  slots: ['exp_avg', 'exp_avg_sq'],
  sparse: false,
  // Not raced: the lab's problems are single vectors, where a per-tensor trust ratio is only a
  // step proportional to ‖x‖ (it blows up on Rosenbrock); LAMB is for many layers, large batches.
  sliders: [SLIDERS.lr, SLIDERS.beta1, SLIDERS.beta2, SLIDERS.weightDecay],
});
