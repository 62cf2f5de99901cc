import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type {
  CommonOptions,
  FloatBuffer,
  OptimizerOptions,
  ParamsInput,
  Shape,
} from '../core/types.ts';
import { check, checkBoolean, checkNonNegative } from '../core/validate.ts';

export interface AdafactorOptions extends CommonOptions {
  /** τ in `1 − β₂,t = t^τ`, ≤ 0 (at t = 1 the second moment is the squared gradient). */
  beta2Decay: number;
  /**
   * [eps1, eps2]: eps1 floors the second-moment estimate (as eps1², and the mean row factor
   * as eps1); `null` is the machine epsilon of the parameter's type (2⁻⁵² for float64, 2⁻²³
   * for float32), as torch's `finfo(dtype).eps`. eps2 floors the parameter's RMS in the step size.
   */
  eps: [number | null, number];
  /** Update clipping threshold d ≥ 1: the update's RMS is capped at d. */
  d: number;
  /** Decoupled: `p ← p·(1 − lr·wd)`. */
  weightDecay: number;
}

const NAME = 'Adafactor';
const EPS64 = 2 ** -52;
const EPS32 = 2 ** -23;

/** The last two sizes of a tensor of 2+ dimensions, and how many such matrices it stacks. */
function matrixOf(shape: Shape): { batch: number; rows: number; cols: number } {
  const k = shape.length;
  let batch = 1;
  for (let i = 0; i < k - 2; i++) batch *= shape[i]!;
  return { batch, rows: shape[k - 2]!, cols: shape[k - 1]! };
}

// Constant lists: `slots` runs on every step, which must not allocate. A tensor of 2+
// dimensions keeps one value per row and one per column of each of its matrices (torch's
// row_var, shape [..., r, 1], and col_var, [..., 1, c]); a vector keeps a full second moment.
const FACTORED: readonly SlotSpec[] = [
  {
    name: 'row_var',
    fill: 0,
    length: (shape) => {
      const { batch, rows } = matrixOf(shape);
      return batch * rows;
    },
  },
  {
    name: 'col_var',
    fill: 0,
    length: (shape) => {
      const { batch, cols } = matrixOf(shape);
      return batch * cols;
    },
  },
];
const VECTOR: readonly SlotSpec[] = [{ name: 'variance', fill: 0 }];

/** torch's `lerp(a, b, w)`: `a + w(b − a)`, evaluated from b's side when |w| ≥ 0.5. */
function lerp(a: number, b: number, w: number): number {
  return Math.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/**
 * One step's scalars, computed once per buffer outside the passes, and a matrix's sizes: one
 * object per rule, rewritten by every update (a step must not allocate).
 */
interface Scalars {
  /** 1 − β₂,t, the lerp weight. */
  w: number;
  eps1: number;
  /** The weight-decay factor 1 − lr·wd. */
  decay: number;
  /** ρ = min(lr, 1/√t), the relative step. */
  rho: number;
  /** A matrix's sizes, and how many such matrices the tensor stacks. */
  batch: number;
  rows: number;
  cols: number;
}

/**
 * Adafactor's rule with its own scratch: the column sums of the gradient's squares, one float64
 * per column, grown on the first step of a wider matrix and reused (a step must not allocate).
 * Each {@link Adafactor} builds one, so that the scratch lives and dies with the optimizer;
 * {@link adafactorRule} is the one the registry describes.
 */
export function createAdafactorRule(): Rule<AdafactorOptions> {
  let colSums = new Float64Array(0);
  const k: Scalars = { w: 0, eps1: 0, decay: 1, rho: 0, batch: 1, rows: 1, cols: 1 };
  return {
    name: NAME,
    defaults: {
      lr: 1e-2,
      beta2Decay: -0.8,
      eps: [null, 1e-3],
      d: 1,
      weightDecay: 0,
      maximize: false,
    },
    validate(h) {
      checkNonNegative(NAME, 'lr', h.lr);
      const b = h.beta2Decay;
      check(
        NAME,
        'beta2Decay',
        typeof b === 'number' && Number.isFinite(b) && b <= 0,
        'a finite number <= 0',
        b,
      );
      const e = h.eps;
      check(NAME, 'eps', Array.isArray(e) && e.length === 2, 'a pair [eps1 or null, eps2]', e);
      check(
        NAME,
        'eps[0]',
        e[0] === null || (typeof e[0] === 'number' && Number.isFinite(e[0]) && e[0] >= 0),
        'null or a finite number >= 0',
        e[0],
      );
      checkNonNegative(NAME, 'eps[1]', e[1]);
      checkNonNegative(NAME, 'd', h.d, 1);
      checkNonNegative(NAME, 'weightDecay', h.weightDecay);
      checkBoolean(NAME, 'maximize', h.maximize);
    },
    slots: (_h, shape) => (shape.length > 1 ? FACTORED : VECTOR),
    update(p, g, st, h, gs, _created, shape) {
      const t = st.step;
      k.w = t ** h.beta2Decay;
      k.eps1 = h.eps[0] ?? (p instanceof Float32Array ? EPS32 : EPS64);
      k.decay = 1 - h.lr * h.weightDecay;
      // ρ caps the relative step; lr is only its cap (and the decay's coefficient).
      k.rho = Math.min(h.lr, 1 / Math.sqrt(t));
      const dims = shape.length;
      if (dims > 1) {
        k.rows = shape[dims - 2]!;
        k.cols = shape[dims - 1]!;
        k.batch = p.length / (k.rows * k.cols);
        if (colSums.length < k.cols) colSums = new Float64Array(k.cols);
        factoredStep(p, g, st.slots.row_var!, st.slots.col_var!, colSums, gs, k, h);
      } else {
        vectorStep(p, g, st.slots.variance!, gs, k, h);
      }
    },
  };
}

/**
 * A vector's step, two passes: (1) V ← lerp(V, G², w), with ‖P‖² (before decay) and ‖U‖²,
 * U = G·rsqrt(max(V, eps1²)); (2) p ← p·decay − (α/D)·U.
 */
function vectorStep(
  p: FloatBuffer,
  g: FloatBuffer,
  v: FloatBuffer,
  gs: number,
  k: Scalars,
  h: AdafactorOptions,
): void {
  const { w, decay, rho } = k;
  const floor = k.eps1 * k.eps1;
  const n = p.length;
  let p2 = 0;
  let u2 = 0;
  for (let i = 0; i < n; i++) {
    const d = g[i]! * gs;
    v[i] = lerp(v[i]!, d * d, w);
    const u = d * (1 / Math.sqrt(Math.max(v[i]!, floor)));
    p2 += p[i]! * p[i]!;
    u2 += u * u;
  }
  const step = stepSize(p2, u2, n, rho, h);
  for (let i = 0; i < n; i++) {
    const d = g[i]! * gs;
    const u = d * (1 / Math.sqrt(Math.max(v[i]!, floor)));
    p[i] = p[i]! * decay + u * -step;
  }
}

/** α/D: α = max(eps2, RMS(p))·ρ, D = max(1, RMS(U)/d). */
function stepSize(p2: number, u2: number, n: number, rho: number, h: AdafactorOptions): number {
  const root = Math.sqrt(n);
  const alpha = Math.max(h.eps[1], Math.sqrt(p2) / root) * rho;
  return alpha / Math.max(1, Math.sqrt(u2) / (root * h.d));
}

/** The mean of the row factors of matrix b, floored at eps1 (torch: `mean(R).clamp_(eps1)`). */
function rowMean(r: FloatBuffer, b: number, rows: number, eps1: number): number {
  let s = 0;
  for (let i = b * rows; i < (b + 1) * rows; i++) s += r[i]!;
  return Math.max(s / rows, eps1);
}

/**
 * A factored step over `batch` stacked rows×cols matrices, three passes: (1) ‖P‖² and the
 * row and column sums of G², folded into R and C by lerp; (2) ‖U‖², U = G·rsqrt(max(R_i·C_j /
 * max(mean R, eps1), eps1²)); (3) p ← p·decay − (α/D)·U.
 */
function factoredStep(
  p: FloatBuffer,
  g: FloatBuffer,
  r: FloatBuffer,
  c: FloatBuffer,
  colSums: Float64Array,
  gs: number,
  k: Scalars,
  h: AdafactorOptions,
): void {
  const { w, eps1, decay, rho, batch, rows, cols } = k;
  const floor = eps1 * eps1;
  let p2 = 0;
  for (let b = 0; b < batch; b++) {
    colSums.fill(0, 0, cols);
    for (let i = 0; i < rows; i++) {
      const row = b * rows + i;
      const at = row * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const d = g[at + j]! * gs;
        const d2 = d * d;
        s += d2;
        colSums[j] += d2;
        p2 += p[at + j]! * p[at + j]!;
      }
      r[row] = lerp(r[row]!, s / cols, w);
    }
    for (let j = 0; j < cols; j++) c[b * cols + j] = lerp(c[b * cols + j]!, colSums[j]! / rows, w);
  }
  let u2 = 0;
  for (let b = 0; b < batch; b++) {
    const mean = rowMean(r, b, rows, eps1);
    for (let i = 0; i < rows; i++) {
      const ri = r[b * rows + i]!;
      const at = (b * rows + i) * cols;
      for (let j = 0; j < cols; j++) {
        const u =
          g[at + j]! * gs * (1 / Math.sqrt(Math.max((ri * c[b * cols + j]!) / mean, floor)));
        u2 += u * u;
      }
    }
  }
  const step = stepSize(p2, u2, p.length, rho, h);
  for (let b = 0; b < batch; b++) {
    const mean = rowMean(r, b, rows, eps1);
    for (let i = 0; i < rows; i++) {
      const ri = r[b * rows + i]!;
      const at = (b * rows + i) * cols;
      for (let j = 0; j < cols; j++) {
        const u =
          g[at + j]! * gs * (1 / Math.sqrt(Math.max((ri * c[b * cols + j]!) / mean, floor)));
        p[at + j] = p[at + j]! * decay + u * -step;
      }
    }
  }
}

/** The rule the registry describes (an {@link Adafactor} builds its own, with its own scratch). */
export const adafactorRule: Rule<AdafactorOptions> = createAdafactorRule();

/**
 * Adafactor: Adam's second moment without its memory: a matrix keeps only the row and column
 * means of the squared gradient, the step is relative to the parameter's RMS and clipped.
 *
 * `w = t^τ;  R = lerp(R, mean_j G², w);  C = lerp(C, mean_i G², w);
 *  V̂ = R·Cᵀ / max(mean R, eps1)  (a vector: V = lerp(V, G², w), V̂ = V);
 *  U = G / √max(V̂, eps1²);  p ← p(1 − lr·wd) − max(eps2, RMS(p))·min(lr, 1/√t) / max(1, RMS(U)/d)·U`.
 *
 * torch.optim.Adafactor (torch ≥ 2.5, `torch/optim/_adafactor.py`, commit 051d6a09, the
 * single-tensor path) and its defaults (lr 1e-2, beta2Decay −0.8, eps [null, 1e-3], d 1,
 * weightDecay 0). Shazeer and Stern 2018, arXiv 1804.04235.
 *
 * Kept from torch on purpose: lr is not a step size but the cap of the relative step ρ and the
 * weight-decay coefficient; eps1 floors V̂ as eps1² but the mean row factor as eps1; the RMS of
 * p is taken before weight decay. A tensor of more than two dimensions is factored over its last
 * two (one R and C per leading index), as torch does; a buffer given without a shape is a
 * vector. Differences: `eps[0]` null takes the epsilon of each parameter's own type (torch takes
 * the first parameter's for the whole group), and the scalars of the step are float64 (float32
 * torch flushes an eps1² below 1e-45 to 0, then 0·rsqrt(0) is NaN where G is 0).
 *
 * State: `row_var` (rows values) and `col_var` (cols values) per matrix, `variance` for a
 * vector. A matrix's step reads g three times and p twice (the sums, ‖U‖, the update); a
 * vector's reads g, p and V twice.
 */
export class Adafactor extends Optimizer<AdafactorOptions> {
  constructor(
    params: ParamsInput<AdafactorOptions>,
    options: OptimizerOptions<AdafactorOptions> = {},
  ) {
    super(createAdafactorRule(), params, options);
  }
}

export const adafactorDescriptor = describeOptimizer(Adafactor, adafactorRule, {
  name: 'adafactor',
  label: 'Adafactor',
  formula:
    'V̂ = RCᵀ/mean R;  U = G/√V̂;  p ← p(1 − lr·wd) − max(eps₂, RMS p)·min(lr, 1/√t)·U/max(1, RMS U/d)',
  variants: [
    {},
    { lr: 0.3, weightDecay: 0.02, d: 2 },
    { eps: [0.01, 0.01], beta2Decay: -0.5 },
    { eps: [1e-30, 1e-3], maximize: true },
  ],
  refused: [
    {
      options: { beta2Decay: 0.5 },
      error: /^Adafactor: beta2Decay must be a finite number <= 0, got 0\.5$/,
    },
    { options: { d: 0.5 }, error: /^Adafactor: d must be a finite number >= 1, got 0\.5$/ },
    {
      options: { eps: [-1, 1e-3] },
      error: /^Adafactor: eps\[0\] must be null or a finite number >= 0, got -1$/,
    },
    {
      options: { eps: [null, -1] },
      error: /^Adafactor: eps\[1\] must be a finite number >= 0, got -1$/,
    },
  ],
  // A matrix keeps factored moments, a vector a full one: generic runs give it both.
  takes: ['vector', 'matrix'],
  slots: ['row_var', 'col_var', 'variance'],
  sparse: false,
  // lr caps a relative step (the parameter's RMS times min(lr, 1/√t)): its useful range is
  // about Adam's.
  lab: { family: 'adaptive', lrDecades: [-4, 0], lrCapped: true },
  sliders: [
    SLIDERS.lr,
    SLIDERS.weightDecay,
    { key: 'd', label: 'd', min: 1, max: 10, scale: 'log' },
  ],
});
