import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { GroupStep, Rule, SlotSpec } from '../core/rule.ts';
import type {
  CommonOptions,
  FloatBuffer,
  OptimizerOptions,
  ParamsInput,
  Shape,
} from '../core/types.ts';
import {
  check,
  checkBetas,
  checkBoolean,
  checkInteger,
  checkNonNegative,
} from '../core/validate.ts';

export interface ProdigyOptions extends CommonOptions {
  /**
   * A multiplier of the learned step size d (default 1, as the reference advises: leave it at 1
   * unless the run is unstable). It is not a step size: d is (see {@link Prodigy}).
   */
  lr: number;
  /** β₁ of the first moment (0 keeps none and steps by the gradient) and β₂ of the second. */
  betas: [number, number];
  /** Decay of the d estimate's running sums (s and the numerator); null: √β₂. */
  beta3: number | null;
  /** Added to √v, times d (so it scales with the step size). */
  eps: number;
  weightDecay: number;
  /** AdamW's decoupled decay `p ← p − wd·d·lr·p` (true, the default) or an L2 term in g (false). */
  decouple: boolean;
  /** Adam's bias correction, folded into the step: `√(1 − β₂ᵏ⁺¹) / (1 − β₁ᵏ⁺¹)`. */
  useBiasCorrection: boolean;
  /** s takes d·g instead of d·lr·g: a warm-up's small lr stays out of the estimate's denominator. */
  safeguardWarmup: boolean;
  /** The initial d; rarely needs changing. */
  d0: number;
  /** Multiplies the estimate d̂: the preferred way to tune Prodigy (0.5 and 2 also work well). */
  dCoef: number;
  /** d grows at most by this factor per step (Infinity: unlimited; 1.02 acts as a warm-up). */
  growthRate: number;
  /**
   * The d estimate reads every `sliceP`-th element of each tensor (s and p0 shrink to match): an
   * approximation that saves memory for values above 1 (about 11 is reasonable). Keep it fixed
   * once the group has stepped (a change that alters the statistics' length is refused).
   */
  sliceP: number;
}

const NAME = 'Prodigy';

/**
 * Slot lists, constant per configuration (`slots` runs on every step, which must not allocate):
 * with β₁ = 0 the reference keeps no exp_avg; with sliceP > 1, s and p0 hold one value per
 * sliceP-th element of the flattened tensor (torch's `p.flatten()[::slice_p]`).
 */
const SLOT_LISTS = new Map<number, readonly SlotSpec[]>();

/** Entries of s and p0 for a tensor of `n` elements: `ceil(n / sliceP)`. */
const slicedLength = (n: number, sliceP: number): number => Math.ceil(n / sliceP);

function slotList(sliceP: number, withMomentum: boolean): readonly SlotSpec[] {
  const key = 2 * sliceP + (withMomentum ? 1 : 0);
  let list = SLOT_LISTS.get(key);
  if (!list) {
    const length =
      sliceP === 1
        ? {}
        : {
            length: (shape: Shape) =>
              slicedLength(
                shape.reduce((a, b) => a * b, 1),
                sliceP,
              ),
          };
    list = [
      { name: 's', fill: 0, ...length },
      { name: 'p0', fill: 0, ...length },
      ...(withMomentum ? [{ name: 'exp_avg', fill: 0 }] : []),
      { name: 'exp_avg_sq', fill: 0 },
    ];
    SLOT_LISTS.set(key, list);
  }
  return list;
}

// Validation runs on every step: a constant list, not a new array.
const FLAGS = ['decouple', 'useBiasCorrection', 'safeguardWarmup', 'maximize'] as const;

// The first pass's second sum (Σ|s| of one buffer), beside the dot product it returns: two
// results without allocating.
const sums = { den: 0 };

export const prodigyRule: Rule<ProdigyOptions> = {
  name: NAME,
  defaults: {
    lr: 1,
    betas: [0.9, 0.999],
    beta3: null,
    eps: 1e-8,
    weightDecay: 0,
    decouple: true,
    useBiasCorrection: false,
    safeguardWarmup: false,
    d0: 1e-6,
    dCoef: 1,
    growthRate: Infinity,
    sliceP: 1,
    maximize: false,
  },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkBetas(NAME, h.betas);
    const b3 = h.beta3;
    check(
      NAME,
      'beta3',
      b3 === null || (typeof b3 === 'number' && b3 >= 0 && b3 <= 1),
      'null (√β₂) or in [0, 1]',
      b3,
    );
    checkPositive('eps', h.eps);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    for (const key of FLAGS) checkBoolean(NAME, key, h[key]);
    checkPositive('d0', h.d0);
    checkPositive('dCoef', h.dCoef);
    // Below 1, d would shrink on every step whatever the estimate says (the reference does not
    // check); >= 1 also keeps d >= d0 > 0, which the first step's `d = 0` test relies on.
    const gr = h.growthRate;
    check(
      NAME,
      'growthRate',
      typeof gr === 'number' && gr >= 1,
      'a number >= 1 (Infinity: no limit)',
      gr,
    );
    checkInteger(NAME, 'sliceP', h.sliceP);
  },
  slots: (h) => slotList(h.sliceP, h.betas[0] > 0),
  // d, its running maximum, the numerator Σ of the weighted ⟨g, p0 − p⟩ and the step count k:
  // the reference's param-group entries, with its names. d_denom and d_hat are the last step's
  // Σ|s| and raw estimate (the reference keeps them too; nothing reads them back).
  // d starts at 0, read as "not started": the first step sets d = d_max = d0 from the options.
  groupScalars: { d: 0, d_max: 0, d_numerator: 0, d_denom: 0, d_hat: 0, k: 0 },
  update() {
    throw new Error('Prodigy steps whole groups (its d is estimated over every tensor of a group)');
  },
  updateGroup: prodigyStep,
};

function checkPositive(option: string, value: unknown): void {
  check(
    NAME,
    option,
    typeof value === 'number' && Number.isFinite(value) && value > 0,
    'a finite number > 0',
    value,
  );
}

/** One Prodigy step over a group (the class TSDoc has the math). */
function prodigyStep(s: GroupStep<ProdigyOptions>): void {
  const h = s.hyper;
  const sc = s.scalars;
  const sp = h.sliceP;
  const n = s.params.length;
  // p0 is the parameter at its first step (the reference copies it when it creates the state).
  for (let j = 0; j < n; j++) {
    const st = s.states[j];
    if (s.grads[j] && st && st.step === 1) {
      copyStrided(st.slots.p0 as FloatBuffer, s.params[j] as FloatBuffer, sp);
    }
  }
  for (let j = 0; j < n; j++) {
    const st = s.states[j];
    const p = s.params[j] as FloatBuffer;
    const len = (st?.slots.s as FloatBuffer | undefined)?.length;
    if (s.grads[j] && len !== undefined && len !== slicedLength(p.length, sp)) {
      throw new RangeError(
        `${NAME}: sliceP cannot change once a group has stepped: parameter ${j} of the group keeps ${len} statistics, sliceP ${sp} needs ${slicedLength(p.length, sp)}`,
      );
    }
  }
  if (sc.d === 0) {
    sc.d = h.d0;
    sc.d_max = h.d0;
  }
  const [b1, b2] = h.betas;
  const b3 = h.beta3 ?? Math.sqrt(b2);
  const k = sc.k as number;
  const d = sc.d as number;
  const d0 = h.d0;
  const bc = h.useBiasCorrection ? Math.sqrt(1 - b2 ** (k + 1)) / (1 - b1 ** (k + 1)) : 1;
  const dlr = d * h.lr * bc;
  const l2 = h.decouple ? 0 : h.weightDecay;
  const numerator = (sc.d_numerator as number) * b3;
  let delta = 0;
  let den = 0;
  // With lr 0 the reference's first loop skips every tensor, so Σ|s| = 0 and the step returns.
  if (h.lr > 0) {
    const cs = (d / d0) * (h.safeguardWarmup ? d : dlr);
    for (let j = 0; j < n; j++) {
      const g = s.grads[j];
      const st = s.states[j];
      if (!g || !st) continue;
      const dot = prodigyAccumulate(
        s.params[j] as FloatBuffer,
        g,
        st.slots.p0 as FloatBuffer,
        st.slots.s as FloatBuffer,
        b1 > 0 ? (st.slots.exp_avg as FloatBuffer) : null,
        st.slots.exp_avg_sq as FloatBuffer,
        s.gradScale,
        l2,
        b1,
        d * (1 - b1),
        b2,
        d * d * (1 - b2),
        b3,
        cs,
        sp,
      );
      delta += (d / d0) * dlr * dot;
      den += sums.den;
    }
  }
  // No progress to measure (no gradient, or all zero): p, d and k stay; m, v and s have moved.
  if (den === 0) return;
  const dHat = (h.dCoef * (numerator + delta)) / den;
  let dNew = d;
  // Only while d is still d0 may it jump straight to the estimate.
  if (d === d0) dNew = Math.max(d, dHat);
  const dMax = Math.max(sc.d_max as number, dHat);
  dNew = Math.min(dMax, dNew * h.growthRate);
  sc.d = dNew;
  sc.d_max = dMax;
  sc.d_numerator = numerator + delta;
  sc.d_denom = den;
  sc.d_hat = dHat;
  const decay = h.decouple ? -h.weightDecay * dlr : 0;
  // With β₁ = 0 the step is (dlr·d)·g: the old d's dlr times the new d (the reference's).
  const step = b1 > 0 ? -dlr : -dlr * dNew;
  for (let j = 0; j < n; j++) {
    const g = s.grads[j];
    const st = s.states[j];
    if (!g || !st) continue;
    prodigyMove(
      s.params[j] as FloatBuffer,
      g,
      b1 > 0 ? (st.slots.exp_avg as FloatBuffer) : null,
      st.slots.exp_avg_sq as FloatBuffer,
      s.gradScale,
      l2,
      decay,
      step,
      dNew * h.eps,
    );
  }
  sc.k = k + 1;
}

/** `to[j] = from[j·stride]` (a strided copy; a plain one for stride 1). */
function copyStrided(to: FloatBuffer, from: FloatBuffer, stride: number): void {
  if (stride === 1) {
    to.set(from);
    return;
  }
  for (let j = 0, i = 0; i < from.length; j++, i += stride) to[j] = from[i]!;
}

/**
 * The first pass over one buffer: m and v take the gradient (with the coupled decay), and every
 * sliceP-th element feeds s and the estimate. Returns ⟨g, p0 − p⟩ over those elements and leaves
 * Σ|s| in `sums.den`. Reads p, g, m, v (and p0, s); writes m, v, s.
 */
function prodigyAccumulate(
  p: FloatBuffer,
  g: FloatBuffer,
  p0: FloatBuffer,
  s: FloatBuffer,
  m: FloatBuffer | null,
  v: FloatBuffer,
  gs: number,
  l2: number,
  b1: number,
  cm: number,
  b2: number,
  cv: number,
  b3: number,
  cs: number,
  sp: number,
): number {
  let dot = 0;
  let den = 0;
  let next = 0;
  let j = 0;
  for (let i = 0; i < p.length; i++) {
    let gi = g[i]! * gs;
    if (l2 !== 0) gi += l2 * p[i]!;
    if (i === next) {
      dot += gi * (p0[j]! - p[i]!);
      s[j] = s[j]! * b3 + cs * gi;
      // The stored value, as the reference sums its s tensor (float32 rounding included).
      den += Math.abs(s[j]!);
      j++;
      next += sp;
    }
    if (m !== null) m[i] = m[i]! * b1 + cm * gi;
    v[i] = v[i]! * b2 + cv * gi * gi;
  }
  sums.den = den;
  return dot;
}

/**
 * The second pass over one buffer: `p ← p + decay·p + step·u / (√v + d·eps)` with u = m, or the
 * gradient (coupled decay included, from p before this step) when there is no m. Reads p, v and
 * m (or g); writes p.
 */
function prodigyMove(
  p: FloatBuffer,
  g: FloatBuffer,
  m: FloatBuffer | null,
  v: FloatBuffer,
  gs: number,
  l2: number,
  decay: number,
  step: number,
  dEps: number,
): void {
  for (let i = 0; i < p.length; i++) {
    let x = p[i]!;
    let u: number;
    if (m !== null) u = m[i]!;
    else {
      u = g[i]! * gs;
      if (l2 !== 0) u += l2 * x;
    }
    // Decoupled and coupled decay never apply together (one of decay and l2 is 0).
    if (decay !== 0) x += decay * x;
    p[i] = x + (step * u) / (Math.sqrt(v[i]!) + dEps);
  }
}

/**
 * Prodigy: Adam whose step size d is learned, from how far the parameters have moved along the
 * gradients (a D-Adaptation estimate of the distance to the solution), so there is no learning
 * rate to tune: `lr` is a multiplier of d (default 1).
 *
 * One step, with the current d and dlr = d·lr·bc (bc = 1, or Adam's correction
 * `√(1−β₂ᵏ⁺¹)/(1−β₁ᵏ⁺¹)` with `useBiasCorrection`), over every tensor of the group:
 * `m = β₁m + d(1−β₁)g; v = β₂v + d²(1−β₂)g²; s = β₃s + (d/d0)·dlr·g;`
 * `N = β₃N + (d/d0)·dlr·Σ⟨g, p0 − p⟩; d̂ = dCoef·N / Σ|s|;`
 * `d_max = max(d_max, d̂); d = min(d_max, d·growthRate)` (while d = d0 first `d = max(d, d̂)`);
 * `p −= dlr·m / (√v + d·eps)` with the new d (β₁ = 0: `p −= dlr·d·g / (√v + d·eps)`).
 * p0 is each tensor's value at its first step; weight decay is `p −= wd·dlr·p` before the step
 * (`decouple`, the default) or `g += wd·p`.
 *
 * Reading d: `opt.groupState(g).d` is group g's current step size (0 before the group's first
 * step, then d0, then non-decreasing with the default growthRate); `d_hat` is the last raw
 * estimate, `d_max` the largest. Since m and v carry d and d², m/√v is unit-free: a step moves
 * about d·lr per coordinate, as Adam with learning rate d·lr would.
 *
 * Defaults and order of the reference implementation (konstmish/prodigy `prodigyopt/prodigy.py`,
 * commit 3efb213e): lr 1, betas (0.9, 0.999), beta3 √β₂, eps 1e-8, weight decay 0 decoupled,
 * no bias correction, no safeguard warm-up, d0 1e-6, dCoef 1, growthRate ∞, sliceP 1. Kept
 * quirks: m and v carry the factors d and d² (not only the EMA weights); eps is multiplied by the
 * NEW d while the step uses the OLD d's dlr (with β₁ = 0 the step mixes both); d may only jump to
 * d̂ while it is still d0 (that first jump is not limited by growthRate), afterwards it follows
 * d_max; a step whose Σ|s| is 0 updates m, v and s but moves nothing and keeps d and k; with
 * lr 0 nothing moves (the reference's step with lr 0).
 * Deviations: each param group estimates its own d (the reference shares one d across its groups,
 * all of one lr or 0); `maximize` negates the gradient (the reference has none); no FSDP.
 *
 * Cost: two read passes over the buffers per step, the fewest the math allows (d̂ reduces over
 * the whole group before any parameter can move, and the move needs the new d): the first reads
 * p, g, p0, s, m, v and writes s, m, v; the second reads p, v and m (or g) and writes p. A
 * tensor's first step also copies p into p0.
 *
 * Mishchenko and Defazio 2024, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
 * arXiv 2306.06101.
 */
export class Prodigy extends Optimizer<ProdigyOptions> {
  constructor(params: ParamsInput<ProdigyOptions>, options: OptimizerOptions<ProdigyOptions> = {}) {
    super(prodigyRule, params, options);
  }
}

export const prodigyDescriptor = describeOptimizer(Prodigy, prodigyRule, {
  name: 'prodigy',
  label: 'Prodigy',
  formula:
    'm = β₁m + d(1−β₁)g;  v = β₂v + d²(1−β₂)g²;  d = max(d, dCoef·Σ⟨g, p0−p⟩/Σ|s|);  p −= d·lr·m/(√v + d·ε)',
  variants: [
    {},
    { betas: [0, 0.99], lr: 0.5 },
    { weightDecay: 0.01, decouple: false, safeguardWarmup: true, d0: 1e-4 },
    { weightDecay: 0.01, useBiasCorrection: true, maximize: true },
    { betas: [0, 0.99], weightDecay: 0.01, decouple: false },
    { dCoef: 0.5, growthRate: 1.05, beta3: 0.99, sliceP: 3 },
  ],
  refused: [
    { options: { betas: [1, 0.999] }, error: /^Prodigy: betas\[0\] must be in \[0, 1\), got 1$/ },
    { options: { d0: 0 }, error: /^Prodigy: d0 must be a finite number > 0, got 0$/ },
    { options: { eps: 0 }, error: /^Prodigy: eps must be a finite number > 0, got 0$/ },
    {
      options: { growthRate: 0.5 },
      error: /^Prodigy: growthRate must be a number >= 1 \(Infinity: no limit\), got 0\.5$/,
    },
    { options: { beta3: 2 }, error: /^Prodigy: beta3 must be null \(√β₂\) or in \[0, 1\], got 2$/ },
    { options: { sliceP: 0 }, error: /^Prodigy: sliceP must be an integer >= 1, got 0$/ },
    { options: { fsdpInUse: true }, error: /^Prodigy: unknown option "fsdpInUse"/ },
  ],
  slots: ['s', 'p0', 'exp_avg', 'exp_avg_sq'],
  sparse: false,
  // lr multiplies the learned d: raced at lr 1 only (no sweep), never under a problem's lr cap.
  lab: { family: 'adaptive', lrDecades: [0, 0], lrCapped: false, selfTuning: true },
  sliders: [
    { ...SLIDERS.lr, min: 0.01, max: 10 },
    { key: 'dCoef', label: 'd coef', min: 0.1, max: 10, scale: 'log' },
    SLIDERS.beta1,
    SLIDERS.beta2,
    SLIDERS.weightDecay,
  ],
  // The reference's fsdp_in_use chooses a distributed reduction, not the math: false is the
  // single-process step descent runs.
  fromReference: ({ fsdpInUse, ...rest }) => {
    if (fsdpInUse !== undefined && fsdpInUse !== false) {
      throw new RangeError(
        `Prodigy: fsdp_in_use must be false (descent runs in one process), got ${String(fsdpInUse)}`,
      );
    }
    return rest;
  },
});
