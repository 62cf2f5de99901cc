import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { isFloatBuffer } from '../core/gradients.ts';
import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type {
  CommonOptions,
  FloatBuffer,
  OptimizerOptions,
  ParamGroupSpec,
  ParamsInput,
  Shape,
} from '../core/types.ts';
import { check, checkBoolean, checkNonNegative } from '../core/validate.ts';
import { matmul } from '../linalg/matmul.ts';

/** How the step is scaled to the matrix's shape (torch's `adjust_lr_fn`). */
export type MuonAdjustLr = 'original' | 'match_rms_adamw';

export interface MuonOptions extends CommonOptions {
  /** Decoupled: `p ← p·(1 − lr·wd)`, with the unscaled lr. */
  weightDecay: number;
  momentum: number;
  /** Orthogonalise `μB + (1−μ)g` instead of B. */
  nesterov: boolean;
  /** (a, b, c) of the quintic Newton–Schulz step `X ← aX + (bA + cA²)X`, `A = XXᵀ`. */
  nsCoefficients: [number, number, number];
  /** Floor of the Frobenius norm that normalises the update before Newton–Schulz. */
  eps: number;
  /** Newton–Schulz iterations, 0 to 99 (torch refuses 100 and more). */
  nsSteps: number;
  /**
   * The step's shape factor s: `null` or `'original'` √max(1, rows/cols) (Keller Jordan's),
   * `'match_rms_adamw'` 0.2·√max(rows, cols) (Moonshot's, to reuse AdamW's lr and decay).
   */
  adjustLrFn: MuonAdjustLr | null;
}

const NAME = 'Muon';
const ADJUST = ['original', 'match_rms_adamw'] as const;

// A constant list: `slots` runs on every step, which must not allocate.
const SLOTS: readonly SlotSpec[] = [{ name: 'momentum_buffer', fill: 0 }];

/**
 * The scratch of the Newton–Schulz iteration for one shape and float type: X and Y (m×n, m ≤ n
 * the matrix's sides) and the Gram matrices A and A² (m×m). Not state: it holds nothing
 * between steps.
 */
interface Scratch {
  x: FloatBuffer;
  y: FloatBuffer;
  gram: FloatBuffer;
  gram2: FloatBuffer;
}

/**
 * Per-shape scratch, created on the first step of each shape and reused (a step must not
 * allocate): by float type, then m, then n (small-integer keys, which a lookup does not box).
 */
class ScratchCache {
  private readonly f32 = new Map<number, Map<number, Scratch>>();
  private readonly f64 = new Map<number, Map<number, Scratch>>();

  get(like: FloatBuffer, m: number, n: number): Scratch {
    const f32 = like instanceof Float32Array;
    const byM = f32 ? this.f32 : this.f64;
    let byN = byM.get(m);
    if (!byN) {
      byN = new Map();
      byM.set(m, byN);
    }
    let s = byN.get(n);
    if (!s) {
      const Buf = f32 ? Float32Array : Float64Array;
      s = { x: new Buf(m * n), y: new Buf(m * n), gram: new Buf(m * m), gram2: new Buf(m * m) };
      byN.set(n, s);
    }
    return s;
  }
}

/** torch's `lerp(a, b, w)`: `a + w(b − a)`, evaluated from b's side when |w| ≥ 0.5. */
function lerp(a: number, b: number, w: number): number {
  return Math.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/**
 * Muon's rule with its own scratch (each {@link Muon} builds one, so that the scratch lives and
 * dies with the optimizer). {@link muonRule} is the one the registry describes.
 */
export function createMuonRule(): Rule<MuonOptions> {
  const scratch = new ScratchCache();
  return {
    name: NAME,
    defaults: {
      lr: 1e-3,
      weightDecay: 0.1,
      momentum: 0.95,
      nesterov: true,
      nsCoefficients: [3.4445, -4.775, 2.0315],
      eps: 1e-7,
      nsSteps: 5,
      adjustLrFn: null,
      maximize: false,
    },
    validate(h) {
      checkNonNegative(NAME, 'lr', h.lr);
      checkNonNegative(NAME, 'weightDecay', h.weightDecay);
      // torch's range: momentum ≥ 0 (above 1 the buffer's lerp extrapolates; the normalisation
      // keeps the step bounded).
      checkNonNegative(NAME, 'momentum', h.momentum);
      checkBoolean(NAME, 'nesterov', h.nesterov);
      const c = h.nsCoefficients;
      check(
        NAME,
        'nsCoefficients',
        // Spelled out, no callback: validate runs on every step, which must not allocate.
        Array.isArray(c) &&
          c.length === 3 &&
          Number.isFinite(c[0]) &&
          Number.isFinite(c[1]) &&
          Number.isFinite(c[2]),
        'three finite numbers [a, b, c]',
        c,
      );
      checkNonNegative(NAME, 'eps', h.eps);
      check(
        NAME,
        'nsSteps',
        Number.isInteger(h.nsSteps) && h.nsSteps >= 0 && h.nsSteps < 100,
        'an integer in [0, 99]',
        h.nsSteps,
      );
      check(
        NAME,
        'adjustLrFn',
        h.adjustLrFn === null || (ADJUST as readonly unknown[]).includes(h.adjustLrFn),
        'null, "original" or "match_rms_adamw"',
        h.adjustLrFn,
      );
      checkBoolean(NAME, 'maximize', h.maximize);
    },
    slots: () => SLOTS,
    update(p, g, st, h, gs, _created, shape) {
      // The constructor admits matrices only (torch checks it there too).
      const rows = shape[0]!;
      const cols = shape[1]!;
      const tall = rows > cols;
      const m = tall ? cols : rows;
      const n = tall ? rows : cols;
      const s = scratch.get(p, m, n);
      const ratio =
        h.adjustLrFn === 'match_rms_adamw'
          ? 0.2 * Math.sqrt(Math.max(rows, cols))
          : Math.sqrt(Math.max(1, rows / cols));
      momentumInto(g, st.slots.momentum_buffer as FloatBuffer, s.x, gs, h, rows, cols);
      newtonSchulz(s, m, n, h.nsCoefficients, h.nsSteps, h.eps);
      applyStep(p, s.x, rows, cols, 1 - h.lr * h.weightDecay, h.lr * ratio);
    },
  };
}

/**
 * Updates the buffer `B ← lerp(B, g, 1 − μ)` and writes the matrix to orthogonalise into `x`,
 * transposed when the parameter is tall (so that x is m×n with m ≤ n): the nesterov
 * `lerp(g, B, μ)`, or B. One read pass over g and B.
 */
function momentumInto(
  g: FloatBuffer,
  buf: FloatBuffer,
  x: FloatBuffer,
  gs: number,
  h: MuonOptions,
  rows: number,
  cols: number,
): void {
  const mu = h.momentum;
  // torch computes the weight `1 - momentum` in float64 and lerps with it (an EMA of g, not
  // the docstring's μB + g).
  const w = 1 - mu;
  const nesterov = h.nesterov;
  const tall = rows > cols;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = i * cols + j;
      const d = g[k]! * gs;
      buf[k] = lerp(buf[k]!, d, w);
      // Read back: in float32 the stored (rounded) buffer is what torch's nesterov lerp reads.
      const b = buf[k]!;
      x[tall ? j * rows + i : k] = nesterov ? lerp(d, b, mu) : b;
    }
  }
}

/**
 * torch's `_zeropower_via_newtonschulz` on the m×n matrix in `s.x` (m ≤ n), in place, in the
 * scratch's float type: `X ← X / max(‖X‖_F, eps)`, then `steps` times `A = XXᵀ;
 * X ← aX + (bA + cA²)X`.
 */
function newtonSchulz(
  s: Scratch,
  m: number,
  n: number,
  coefficients: readonly [number, number, number],
  steps: number,
  eps: number,
): void {
  const { x, y, gram, gram2 } = s;
  const a = coefficients[0];
  const b = coefficients[1];
  const c = coefficients[2];
  const size = m * n;
  let ss = 0;
  for (let i = 0; i < size; i++) ss += x[i]! * x[i]!;
  const norm = Math.max(Math.sqrt(ss), eps);
  for (let i = 0; i < size; i++) x[i] = x[i]! / norm;
  const mm = m * m;
  for (let t = 0; t < steps; t++) {
    matmul(x, x, gram, m, n, m, false, true);
    matmul(gram, gram, gram2, m, m, m);
    // torch.addmm(A, A, A, beta=b, alpha=c)
    for (let i = 0; i < mm; i++) gram2[i] = b * gram[i]! + c * gram2[i]!;
    matmul(gram2, x, y, m, m, n);
    // torch.addmm(X, B, X, beta=a)
    for (let i = 0; i < size; i++) x[i] = a * x[i]! + y[i]!;
  }
}

/** `p ← p·decay − step·O`, O read from x (transposed back for a tall parameter). One pass. */
function applyStep(
  p: FloatBuffer,
  x: FloatBuffer,
  rows: number,
  cols: number,
  decay: number,
  step: number,
): void {
  const tall = rows > cols;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = i * cols + j;
      p[k] = p[k]! * decay + x[tall ? j * rows + i : k]! * -step;
    }
  }
}

/** The rule the registry describes (a {@link Muon} builds its own, with its own scratch). */
export const muonRule: Rule<MuonOptions> = createMuonRule();

/** Refuses a parameter that is not a matrix, naming it and its shape. */
function refuseShape(shape: Shape, j: number, group: number): void {
  if (shape.length === 2) return;
  throw new RangeError(
    `${NAME}: parameter ${j} of param group ${group} has shape [${shape.join(', ')}]; Muon takes ` +
      '2-D parameters only: give each group its shapes ({ params, shapes: [[rows, cols], ...] }) ' +
      'and optimize vectors and other tensors with another optimizer (AdamW)',
  );
}

/**
 * Muon (MomentUm Orthogonalized by Newton–Schulz): the momentum of a matrix's gradient, made
 * nearly orthogonal by a quintic Newton–Schulz iteration, is the step.
 *
 * `B = μB + (1−μ)g;  M = nesterov ? μB + (1−μ)g : B;  O = NS(M / max(‖M‖_F, eps));
 *  p ← p·(1 − lr·wd) − lr·s·O`, with `NS`: nsSteps times `A = XXᵀ; X ← aX + (bA + cA²)X` on
 * the wide orientation of M, and s = √max(1, rows/cols) (`adjustLrFn` null / 'original') or
 * 0.2·√max(rows, cols) ('match_rms_adamw').
 *
 * torch.optim.Muon (torch ≥ 2.9, `torch/optim/_muon.py`, commit b5ee4d7a) and its defaults
 * (lr 1e-3, weightDecay 0.1, momentum 0.95, nesterov, coefficients (3.4445, −4.775, 2.0315),
 * eps 1e-7, 5 steps). Keller Jordan 2024 (kellerjordan.github.io/posts/muon); Liu et al. 2025,
 * arXiv 2502.16982 ('match_rms_adamw').
 *
 * Parameters must be matrices: give their shapes (`{ params, shapes: [[rows, cols]] }`); any
 * other shape is refused, as torch refuses it. Kept from torch on purpose: the buffer is an
 * EMA (torch's lerp), not the docstring's `μB + g`; weight decay uses lr without the shape
 * factor. Differences: torch casts the matrix to bfloat16 for Newton–Schulz; here it runs in
 * the parameter's precision, float64 or float32 (the plain matrix products sum in float64 and
 * round once per entry; where the wasm kernels are loaded, a product of 216 multiply-adds or
 * more runs on the wasm SIMD one: equal bit for bit in float64, summed in float32 for float32
 * matrices, within (k + 2)·2⁻²⁴·Σ|a·b| per entry). Against the float64 reference cases (torch's
 * rule with Newton–Schulz in float64): float64 matches at 1e-10 (measured 1e-15), float32 stays
 * within 2e-7 over 60 steps (the N·4·2⁻²⁴ bound is 1.4e-5), while bfloat16 torch is up to
 * 2.2e-3 away after one step of about 2e-2 (the reference README). `maximize` negates the
 * gradient, as for every descent optimizer (torch's Muon has none).
 *
 * One step reads g and B once and p once; the iteration's matrix products (`linalg/matmul.ts`,
 * on the wasm SIMD product where loaded) cost nsSteps·(2m²n + m³) multiply-adds for an m×n
 * orientation (m ≤ n), in scratch of 2mn + 2m² floats per shape kept by the optimizer (not
 * state).
 */
export class Muon extends Optimizer<MuonOptions> {
  constructor(params: ParamsInput<MuonOptions>, options: OptimizerOptions<MuonOptions> = {}) {
    super(createMuonRule(), params, options);
    let first = 0;
    this.paramGroups.forEach((group, gi) => {
      group.params.forEach((_, j) => refuseShape(this.paramShapes[first + j]!, j, gi));
      first += group.params.length;
    });
  }

  /** As {@link Optimizer.addParamGroup}; a group with a parameter that is not a matrix is refused. */
  override addParamGroup(group: ParamGroupSpec<MuonOptions>): void {
    // Checked before the group joins, so that a refusal changes nothing. What is not a group or
    // a buffer is left to the core, which refuses it with its own message.
    const gi = this.paramGroups.length;
    const given = group as Partial<ParamGroupSpec<MuonOptions>> | null;
    const params: unknown = given?.params;
    const shapes: unknown = given?.shapes;
    if (Array.isArray(params)) {
      params.forEach((p: unknown, j) => {
        const shape: unknown = Array.isArray(shapes)
          ? shapes[j]
          : isFloatBuffer(p)
            ? [p.length]
            : undefined;
        if (Array.isArray(shape)) refuseShape(shape as Shape, j, gi);
      });
    }
    super.addParamGroup(group);
  }
}

export const muonDescriptor = describeOptimizer(Muon, muonRule, {
  name: 'muon',
  label: 'Muon',
  formula: 'B = μB + (1−μ)g;  O = NS(nesterov ? μB + (1−μ)g : B);  p ← p(1 − lr·wd) − lr·s·O',
  variants: [
    {},
    { nesterov: false, momentum: 0.9, weightDecay: 0 },
    { adjustLrFn: 'match_rms_adamw', nsSteps: 3 },
    { adjustLrFn: 'original', eps: 1e-3, maximize: true },
  ],
  refused: [
    { options: { momentum: -1 }, error: /^Muon: momentum must be a finite number >= 0, got -1$/ },
    {
      options: { nsSteps: 100 },
      error: /^Muon: nsSteps must be an integer in \[0, 99\], got 100$/,
    },
    {
      options: { adjustLrFn: 'rms' },
      error: /^Muon: adjustLrFn must be null, "original" or "match_rms_adamw", got "rms"$/,
    },
    {
      options: { nsCoefficients: [1, 2] },
      error: /^Muon: nsCoefficients must be three finite numbers \[a, b, c\], got \[1, 2\]$/,
    },
  ],
  takes: ['matrix'],
  slots: ['momentum_buffer'],
  sparse: false,
  // No lab entry: Muon takes matrices only; the lab races it composed, Muon on a model's
  // matrices with AdamW for the rest (its contender `muon`, a Partition of the two).
  sliders: [SLIDERS.lr, SLIDERS.momentum, SLIDERS.weightDecay],
});
