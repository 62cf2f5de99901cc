import { ADAPTIVE_LAB, SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import { fastAdopt } from '../kernels/rules.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { check, checkAdamFamily, checkBoolean } from '../core/validate.ts';

export interface ADOPTOptions extends CommonOptions {
  betas: [number, number];
  eps: number;
  /**
   * The clip of the normalised gradient is `s^clipExponent` after `s` completed steps; `null`
   * does not clip. The reference takes a function (`clip_lambda`, default `step ↦ step**0.25`);
   * an exponent keeps the options plain data (state dicts and checkpoints copy them as JSON).
   */
  clipExponent: number | null;
  weightDecay: number;
  /** Weight decay shrinks the parameter (`p ← p − lr·wd·p`) instead of joining the gradient. */
  decouple: boolean;
}

const NAME = 'ADOPT';

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [
  { name: 'exp_avg', fill: 0 },
  { name: 'exp_avg_sq', fill: 0 },
];

export const adoptRule: Rule<ADOPTOptions> = {
  name: NAME,
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.9999],
    eps: 1e-6,
    clipExponent: 0.25,
    weightDecay: 0,
    decouple: false,
    maximize: false,
  },
  validate(h) {
    checkAdamFamily(NAME, h);
    const e = h.clipExponent;
    check(
      NAME,
      'clipExponent',
      e === null || (typeof e === 'number' && Number.isFinite(e) && e >= 0),
      'a finite number >= 0 or null',
      e,
    );
    checkBoolean(NAME, 'decouple', h.decouple);
  },
  slots: () => SLOTS,
  update(p, g, st, h, gs) {
    const m = st.slots.exp_avg as FloatBuffer;
    const v = st.slots.exp_avg_sq as FloatBuffer;
    const l2 = h.decouple ? 0 : h.weightDecay;
    // The reference's step counter s counts completed steps (t − 1): 0 on the first call, which
    // only seeds v.
    const s = st.step - 1;
    if (s === 0) {
      adoptSeed(p, g, v, gs, l2);
      return;
    }
    const [b1, b2] = h.betas;
    const w = 1 - b1;
    adoptKernel(
      p,
      g,
      m,
      v,
      gs,
      l2,
      h.decouple ? h.lr * h.weightDecay : 0,
      h.clipExponent === null ? Infinity : s ** h.clipExponent,
      w,
      b2,
      h.lr,
      h.eps,
      // torch's lerp: a + w·(b − a) for |w| < 0.5, else b − (b − a)·(1 − w) (rounding only).
      w < 0.5,
    );
  },
};

/** The first step: v = G² (G with coupled decay), nothing else moves. */
function adoptSeed(p: FloatBuffer, g: FloatBuffer, v: FloatBuffer, gs: number, l2: number): void {
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (l2 !== 0) d += l2 * p[i];
    v[i] = d * d;
  }
}

/**
 * Every later step, one fused pass in the reference's order: decoupled decay, the gradient
 * normalised by the PREVIOUS v (floored at eps) and clipped to ±clip, m ← lerp(m, n, w),
 * p −= lr·m, and only then v takes this gradient. `clip` is Infinity when not clipping; `low`
 * (w < 0.5) picks the form of the lerp.
 */
function adoptKernel(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer,
  v: FloatBuffer,
  gs: number,
  l2: number,
  lrWd: number,
  clip: number,
  w: number,
  b2: number,
  lr: number,
  eps: number,
  low: boolean,
): void {
  if (fastAdopt(p, g, m, v, gs, l2, lrWd, clip, w, b2, lr, eps, low)) return;
  const c2 = 1 - b2;
  const w1 = 1 - w;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    // Coupled decay uses p before the decoupled shrink; the two never apply together.
    if (l2 !== 0) d += l2 * p[i];
    let x = p[i];
    if (lrWd !== 0) x -= lrWd * x;
    // eps floors √v (torch.clamp), it is not added to it; Math.max/min propagate NaN as clamp does.
    let n = d / Math.max(Math.sqrt(v[i]), eps);
    n = Math.min(Math.max(n, -clip), clip);
    const mi = m[i];
    m[i] = low ? mi + w * (n - mi) : n - (n - mi) * w1;
    // The step uses m as stored (rounded to the buffer's type), as the reference's in-place ops.
    p[i] = x + -lr * m[i];
    v[i] = v[i] * b2 + c2 * d * d;
  }
}

/**
 * ADOPT: Adam whose step normalises the gradient by the second moment of the steps BEFORE it
 * (so g and v are independent), clips the normalised gradient, then takes momentum.
 *
 * Step 1: `v = g²`, p does not move. Step t > 1, s = t − 1:
 * `n = clip(g / max(√v, eps), ±s^clipExponent); m = β₁m + (1−β₁)n; p −= lr·m; v = β₂v + (1−β₂)g²`
 * (weightDecay: `g += wd·p`, or with `decouple` `p −= lr·wd·p` before the step).
 *
 * Defaults and order of the reference implementation, iShohei220/adopt `src/adopt/adopt.py`
 * (commit 6468572b, single-tensor path): lr 1e-3, betas (0.9, 0.9999), eps 1e-6, clip
 * `step ↦ step**0.25` (here `clipExponent` 0.25; null for the reference's `clip_lambda=None`),
 * weight decay 0 coupled. Quirks kept on purpose: the first call only seeds v (the trajectory
 * starts with x0 repeated); eps is a floor on √v, not a term added to it; m has no bias
 * correction. One read pass over p, g, m and v per step (the first: over g, and p with decay).
 * Taniguchi et al. 2024, "ADOPT: Modified Adam Can Converge with Any β₂ with the Optimal Rate",
 * arXiv 2411.02853.
 */
export class ADOPT extends Optimizer<ADOPTOptions> {
  constructor(params: ParamsInput<ADOPTOptions>, options: OptimizerOptions<ADOPTOptions> = {}) {
    super(adoptRule, params, options);
  }
}

/**
 * The reference's `clip_lambda` (the fixtures write `"step**0.25"`, or null for no clipping) as
 * a `clipExponent`. Any other expression has no descent equivalent and is refused.
 */
export function clipExponentFromReference(clipLambda: unknown): number | null {
  if (clipLambda === null) return null;
  const m =
    typeof clipLambda === 'string' ? /^\s*step\s*\*\*\s*([0-9.eE+-]+)\s*$/.exec(clipLambda) : null;
  const e = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(e)) {
    throw new RangeError(
      `ADOPT: clip_lambda must be "step**<exponent>" or null, got ${JSON.stringify(clipLambda)}`,
    );
  }
  return e;
}

export const adoptDescriptor = describeOptimizer(ADOPT, adoptRule, {
  name: 'adopt',
  label: 'ADOPT',
  formula:
    'n = clip(g/max(√v, ε), ±(t−1)^¼);  m = β₁m + (1−β₁)n;  p −= lr·m;  v = β₂v + (1−β₂)g²  (v from earlier steps)',
  variants: [
    {},
    { lr: 0.01, weightDecay: 0.1 },
    { lr: 0.01, weightDecay: 0.1, decouple: true, clipExponent: null, maximize: true },
    // β₁ <= 0.5: m's lerp takes its other form (b − (b − a)(1 − w)).
    { betas: [0.5, 0.99] },
  ],
  refused: [
    { options: { betas: [1, 0.9999] }, error: /^ADOPT: betas\[0\] must be in \[0, 1\), got 1$/ },
    {
      options: { clipExponent: -1 },
      error: /^ADOPT: clipExponent must be a finite number >= 0 or null, got -1$/,
    },
    {
      options: { clipExponent: 'step**0.25' },
      error: /^ADOPT: clipExponent must be a finite number >= 0 or null, got "step\*\*0\.25"$/,
    },
  ],
  slots: ['exp_avg', 'exp_avg_sq'],
  sparse: false,
  bench: { written: 3, kernel: 'adopt' },
  lab: ADAPTIVE_LAB,
  sliders: [SLIDERS.lr, SLIDERS.beta1, SLIDERS.beta2, SLIDERS.eps, SLIDERS.weightDecay],
  fromReference: ({ clipLambda, ...rest }) =>
    clipLambda === undefined
      ? rest
      : { ...rest, clipExponent: clipExponentFromReference(clipLambda) },
});
