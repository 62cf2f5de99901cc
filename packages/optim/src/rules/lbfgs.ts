import { SLIDERS, describeOptimizer } from '../core/descriptor.ts';
import { floatDtype } from '../core/gradients.ts';
import { Optimizer, type Gradients } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { OptimizerStateDict } from '../core/state-dict.ts';
import type {
  CommonOptions,
  FloatBuffer,
  OptimizerOptions,
  ParamGroupSpec,
  ParamsInput,
} from '../core/types.ts';
import {
  check,
  checkBoolean,
  checkInteger,
  checkNonNegative,
  describe,
  describeWithArticle,
} from '../core/validate.ts';

export interface LBFGSOptions extends CommonOptions {
  /** Loop iterations per `step` (torch's `max_iter`). */
  maxIter: number;
  /**
   * Closure calls per `step` after which the loop stops (torch's `max_eval`); `null` becomes
   * ⌊1.25·maxIter⌋ at construction, as in torch.
   */
  maxEval: number | null;
  /** The step ends when max|g| is at most this. */
  toleranceGrad: number;
  /** The step ends when the move, the loss change or the slope g·d falls below this. */
  toleranceChange: number;
  /** Curvature pairs (s, y) kept. */
  historySize: number;
  /** `null`: a fixed step lr·d; `'strong_wolfe'`: a line search (cubic interpolation, zoom). */
  lineSearchFn: 'strong_wolfe' | null;
}

/**
 * What `LBFGS.step` calls, possibly several times: fill `grads` (the optimizer's own buffers, one
 * per parameter, of its type and length) with the gradient at the parameters as they are now, and
 * return the loss there.
 */
export type LBFGSClosure = (grads: readonly FloatBuffer[]) => number;

/** What the last `step` did: closure calls and loop iterations (torch's `current_evals`, `n_iter`). */
export interface LBFGSStepReport {
  readonly closureEvals: number;
  readonly iterations: number;
}

/**
 * The vectors of L-BFGS's global state, over all parameters flattened in order (torch keeps them
 * as the state of its first parameter): the last direction, the gradient the next curvature pair
 * is measured from, the pairs (oldest first) and their ρ = 1/(y·s). `d` and `prev_flat_grad` are
 * null before the first iteration.
 */
export interface LBFGSHistory {
  d: FloatBuffer | null;
  prev_flat_grad: FloatBuffer | null;
  old_dirs: FloatBuffer[];
  old_stps: FloatBuffer[];
  ro: number[];
}

/** LBFGS's state dict: the common one (scalars in `groupState[0]`) and its vectors. */
export type LBFGSStateDict = OptimizerStateDict & { lbfgs: LBFGSHistory };

/** The scalars of the global state, by their torch names (`groupState(0)` reads them). */
interface LBFGSScalars extends Record<string, number> {
  func_evals: number;
  n_iter: number;
  t: number;
  H_diag: number;
  prev_loss: number;
}

const NAME = 'LBFGS';
const NO_SLOTS: readonly SlotSpec[] = [];
// torch's _strong_wolfe constants; its tolerance_change is its own default, not the optimizer's.
const C1 = 1e-4;
const C2 = 0.9;
const LS_TOLERANCE = 1e-9;
const MAX_LS = 25;
// torch's curvature test: a pair with y·s at most this is not stored.
const MIN_YS = 1e-10;

const closureNeeded = (got: unknown) =>
  new TypeError(
    `${NAME}: step needs a closure, step((grads) => loss), that fills grads with the gradient at the current parameters and returns the loss: L-BFGS evaluates it several times per step, so it cannot step from one precomputed gradient (got ${describeWithArticle(got)})`,
  );

export const lbfgsRule: Rule<LBFGSOptions> = {
  name: NAME,
  defaults: {
    lr: 1,
    maxIter: 20,
    maxEval: null,
    toleranceGrad: 1e-7,
    toleranceChange: 1e-9,
    historySize: 100,
    lineSearchFn: null,
    maximize: false,
  },
  // torch checks none of these; here each is refused where its loop would be meaningless.
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkInteger(NAME, 'maxIter', h.maxIter);
    const me = h.maxEval;
    check(
      NAME,
      'maxEval',
      me === null || (Number.isInteger(me) && me >= 1),
      'null or an integer >= 1',
      me,
    );
    checkNonNegative(NAME, 'toleranceGrad', h.toleranceGrad);
    checkNonNegative(NAME, 'toleranceChange', h.toleranceChange);
    // history_size 0 fails in torch (it pops from an empty list).
    checkInteger(NAME, 'historySize', h.historySize);
    check(
      NAME,
      'lineSearchFn',
      h.lineSearchFn === null || h.lineSearchFn === 'strong_wolfe',
      'null or "strong_wolfe"',
      h.lineSearchFn,
    );
    checkBoolean(NAME, 'maximize', h.maximize);
  },
  slots: () => NO_SLOTS,
  groupScalars: { func_evals: 0, n_iter: 0, t: 0, H_diag: 1, prev_loss: 0 },
  // The facade's per-buffer step never runs: LBFGS.step takes a closure.
  update() {
    throw closureNeeded(undefined);
  },
};

/** Python's max(a, b) (b only if b > a: a NaN `a` is kept), as torch's line search uses it. */
const pyMax = (a: number, b: number): number => (b > a ? b : a);
/** Python's min(a, b). */
const pyMin = (a: number, b: number): number => (b < a ? b : a);

/** max|a| as torch's `a.abs().max()`: NaN if any element is NaN; 0 for an empty buffer. */
function maxAbs(a: FloatBuffer): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) {
    const v = Math.abs(a[j]);
    if (v > m || v !== v) m = v;
  }
  return m;
}

function dot(a: FloatBuffer, b: FloatBuffer): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

/**
 * torch's `_cubic_interpolate`: the minimiser of the cubic through (x1, f1, slope g1) and
 * (x2, f2, g2), clamped to [lo, hi]; the midpoint when the cubic has none.
 */
function cubic(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  lo: number,
  hi: number,
): number {
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  // d1 * d1, not d1 ** 2: torch squares a tensor by one multiply.
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return pyMin(pyMax(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/** Buffers of the line search, allocated on its first use. */
interface LineSearchSpace {
  /** The parameters where the search started (torch's `x_init`). */
  readonly x: FloatBuffer;
  /** Copies of gradients the search keeps (g_prev and the bracket's); never more than 3 live. */
  readonly work: readonly [FloatBuffer, FloatBuffer, FloatBuffer];
  /** The bracket: its two step sizes, losses, slopes g·d and gradients. */
  readonly bt: Float64Array;
  readonly bf: Float64Array;
  readonly bgtd: Float64Array;
  readonly bg: FloatBuffer[];
}

/**
 * L-BFGS, torch 1.13's `torch.optim.LBFGS`: a quasi-Newton method that takes its direction from
 * the last `historySize` curvature pairs, with a fixed step or a strong-Wolfe line search. Every
 * step calls the closure (possibly many times), which fills the gradient at the current
 * parameters and returns the loss:
 *
 * `opt.step((grads) => { fill grads; return loss })` returns the loss at the step's start.
 *
 * One step (all parameters as one flattened vector x, as torch flattens them):
 * `f, g ← closure()`; stop at once if max|g| ≤ toleranceGrad. Then up to maxIter iterations:
 * y = g − g_prev, s = t·d; store (s, y, 1/(y·s)) if y·s > 1e-10 (dropping the oldest beyond
 * historySize) and set H₀ = (y·s)/(y·y); d = −H·g by the two-loop recursion; t = lr (on the very
 * first iteration ever min(1, 1/Σ|g|)·lr); stop if g·d > −toleranceChange; x += t·d (t from the
 * line search, which calls the closure as often as it needs, or fixed: one closure call, none on
 * the last iteration); stop at maxIter, at maxEval closure calls, when max|g| ≤ toleranceGrad,
 * max|t·d| ≤ toleranceChange or |f − f_prev| < toleranceChange. `lastStep` says how many closure
 * calls and iterations the step made.
 *
 * Defaults as torch: lr 1, maxIter 20, maxEval ⌊1.25·maxIter⌋ (null), toleranceGrad 1e-7,
 * toleranceChange 1e-9, historySize 100, no line search. Nocedal 1980; Liu and Nocedal 1989;
 * the line search is Nocedal and Wright, Numerical Optimization, algorithms 3.5–3.6, as torch
 * ports it from minFunc.
 *
 * torch's quirks, kept on purpose:
 * - without a line search the last iteration (it = maxIter) moves without calling the closure,
 *   so f and g are stale; the next step re-evaluates at its start;
 * - with the default maxEval the eval limit usually ends a step before maxIter (maxIter 3 gives
 *   maxEval 3: 2 iterations, 3 evaluations);
 * - the first step size min(1, 1/Σ|g|)·lr is used on the first iteration of all, not of each step;
 * - the line search stops a bracket shorter than 1e-9/max|d|, not the optimizer's toleranceChange;
 * - a start with max|g| ≤ toleranceGrad counts 1 closure call, 0 iterations and changes nothing.
 *
 * Full-batch only (no lab entry): the curvature pairs and the line search assume the same loss at
 * every call of the closure, which mini-batches break. One parameter group only, as torch; no
 * `clipGradNorm` and `nonFinite` only 'propagate' (a clipped or skipped gradient is not the
 * gradient of the loss the line search measures). `maximize` minimises −f. The state is global:
 * `groupState(0)` holds torch's scalars (func_evals, n_iter, t, H_diag, prev_loss), `stateDict()`
 * adds the vectors (`lbfgs`: d, prev_flat_grad, old_dirs, old_stps, ro).
 *
 * Deviation: lowering or raising historySize mid-run trims or grows the history to the new size
 * (torch's LBFGS fails with an IndexError there).
 *
 * Memory: the state is (2 + 2·historySize)·n floats (d, prev_flat_grad, the pairs), as torch's;
 * scratch is 3n more (g, a spare pair) and 4n for the line search, all in the parameters' type
 * (float64 when they mix types). Passes over the n elements per iteration: 1 (y, s, y·s, y·y),
 * k + 1 for the two-loop recursion over k pairs (each dot product fused with the update before
 * it), 1 (g_prev ← g, g·d, Σ|g|), 1 (x += t·d, max|d|) and 1 (max|g|) after each closure call;
 * each line-search evaluation adds 4 (x + t·d, x restored, g·d, a copy of g).
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  private readonly flatParams: readonly FloatBuffer[];
  private readonly n: number;
  private readonly Buf: Float32ArrayConstructor | Float64ArrayConstructor;
  /** The gradient at the current point, flattened (torch's `flat_grad`). */
  private readonly flatGrad: FloatBuffer;
  /** What the closure fills: views of `flatGrad` where the types agree, else own buffers. */
  private readonly gradViews: readonly FloatBuffer[];
  private readonly viewsAreFlat: boolean;
  /** torch's scalars of the global state: the core's group state of the one group. */
  private get scalars(): LBFGSScalars {
    return this.liveGroupScalars(0) as unknown as LBFGSScalars;
  }
  private d: FloatBuffer | null = null;
  private prevFlatGrad: FloatBuffer | null = null;
  private readonly oldDirs: FloatBuffer[] = [];
  private readonly oldStps: FloatBuffer[] = [];
  private readonly ro: number[] = [];
  // Scratch: the candidate pair (recycled from the dropped oldest one), the α of the two-loop
  // recursion, the line search's buffers and its results.
  private ySpare: FloatBuffer | null = null;
  private sSpare: FloatBuffer | null = null;
  private al = new Float64Array(0);
  private ls: LineSearchSpace | null = null;
  private lsT = 0;
  private lsEvals = 0;
  private last: LBFGSStepReport = { closureEvals: 0, iterations: 0 };

  constructor(params: ParamsInput<LBFGSOptions>, options: OptimizerOptions<LBFGSOptions> = {}) {
    super(lbfgsRule, params, options);
    const groups = this.paramGroups.length;
    if (groups !== 1) {
      throw new RangeError(
        `${NAME}: takes exactly one parameter group (torch's LBFGS has no per-parameter options), got ${groups}`,
      );
    }
    this.refuseStepOptions();
    const group = this.paramGroups[0]!;
    // torch resolves max_eval = max_iter * 5 // 4 in its constructor and stores it in the group.
    if (group.maxEval === null) group.maxEval = Math.floor((group.maxIter * 5) / 4);
    this.flatParams = this.params.slice();
    this.n = this.flatParams.reduce((a, p) => a + p.length, 0);
    this.Buf = this.flatParams.every((p) => p instanceof Float32Array)
      ? Float32Array
      : Float64Array;
    this.flatGrad = new this.Buf(this.n);
    this.viewsAreFlat = this.flatParams.every((p) => p.constructor === this.Buf);
    let o = 0;
    this.gradViews = Object.freeze(
      this.flatParams.map((p) => {
        const view = this.viewsAreFlat
          ? this.flatGrad.subarray(o, o + p.length)
          : new (p.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(p.length);
        o += p.length;
        return view;
      }),
    );
  }

  /** Refused: LBFGS keeps one parameter group, as torch's. */
  override addParamGroup(group: ParamGroupSpec<LBFGSOptions>): void {
    void group;
    throw new RangeError(
      `${NAME}: addParamGroup is not supported: LBFGS takes exactly one parameter group (torch's LBFGS has no per-parameter options); build a new LBFGS over all the buffers`,
    );
  }

  /** Closure calls and loop iterations of the last `step` (0 and 0 before the first). */
  get lastStep(): LBFGSStepReport {
    return this.last;
  }

  /**
   * One L-BFGS step (up to maxIter iterations) driven by `closure`, which fills the gradient at
   * the current parameters into the buffers it is handed and returns the loss. Returns the loss
   * at the step's start (the closure's first value). The plain `step(grads)` form throws a
   * TypeError: L-BFGS must re-evaluate the loss. A closure that throws leaves the parameters and
   * the state where that call found them, as in torch.
   */
  override step(closure: LBFGSClosure): number;
  override step(grads: Gradients, gradScale?: number): never;
  override step(closure: LBFGSClosure | Gradients, _gradScale?: number): number {
    if (typeof closure !== 'function') throw closureNeeded(closure);
    const h = this.paramGroups[0]!;
    this.rule.validate(h);
    this.refuseStepOptions();
    const { lr, maxIter, toleranceGrad, toleranceChange, historySize } = h;
    const maxEval = h.maxEval ?? Math.floor((maxIter * 5) / 4);
    const sign = h.maximize ? -1 : 1;
    const st = this.scalars;
    const g = this.flatGrad;
    const n = this.n;

    const origLoss = this.evaluate(closure, sign);
    let loss = sign * origLoss;
    let evals = 1;
    st.func_evals += 1;
    if (maxAbs(g) <= toleranceGrad) {
      this.last = { closureEvals: 1, iterations: 0 };
      return origLoss;
    }

    const d = (this.d ??= new this.Buf(n));
    const prev = (this.prevFlatGrad ??= new this.Buf(n));
    let t = st.t;
    let hDiag = st.H_diag;
    let prevLoss = st.prev_loss;
    let it = 0;
    while (it < maxIter) {
      it += 1;
      st.n_iter += 1;
      const first = st.n_iter === 1;
      if (first) {
        for (let j = 0; j < n; j++) d[j] = -g[j];
        this.oldDirs.length = 0;
        this.oldStps.length = 0;
        this.ro.length = 0;
        hDiag = 1;
      } else {
        hDiag = this.updateHistory(g, prev, d, t, historySize, hDiag);
        this.twoLoop(g, d, hDiag);
      }

      let gtd = 0;
      let sumAbs = 0;
      for (let j = 0; j < n; j++) {
        const gj = g[j];
        prev[j] = gj;
        gtd += gj * d[j];
        sumAbs += Math.abs(gj);
      }
      prevLoss = loss;
      t = first ? pyMin(1, 1 / sumAbs) * lr : lr;
      if (gtd > -toleranceChange) break;

      let moveEvals = 0;
      let optCond = false;
      let dMax: number;
      if (h.lineSearchFn === 'strong_wolfe') {
        loss = this.strongWolfe(closure, sign, t, d, loss, gtd);
        t = this.lsT;
        moveEvals = this.lsEvals;
        dMax = this.move(t, d);
        optCond = maxAbs(g) <= toleranceGrad;
      } else {
        dMax = this.move(t, d);
        // torch skips the evaluation on the last iteration: f and g stay those before the move.
        if (it !== maxIter) {
          loss = sign * this.evaluate(closure, sign);
          optCond = maxAbs(g) <= toleranceGrad;
          moveEvals = 1;
        }
      }
      evals += moveEvals;
      st.func_evals += moveEvals;

      if (it === maxIter) break;
      if (evals >= maxEval) break;
      if (optCond) break;
      // max|d·t| = max|d|·|t| exactly: rounding is monotone.
      if (dMax * Math.abs(t) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    st.t = t;
    st.H_diag = hDiag;
    st.prev_loss = prevLoss;
    this.last = { closureEvals: evals, iterations: it };
    return origLoss;
  }

  /** The state: the common dict, the scalars in `groupState[0]`, the vectors in `lbfgs`. */
  override stateDict(): LBFGSStateDict {
    const copy = (b: FloatBuffer) => b.slice();
    return {
      ...super.stateDict(),
      lbfgs: {
        d: this.d && this.scalars.n_iter > 0 ? this.d.slice() : null,
        prev_flat_grad:
          this.prevFlatGrad && this.scalars.n_iter > 0 ? this.prevFlatGrad.slice() : null,
        old_dirs: this.oldDirs.map(copy),
        old_stps: this.oldStps.map(copy),
        ro: this.ro.slice(),
      },
    };
  }

  /**
   * Restores a state from `stateDict()`: the common checks, then the L-BFGS vectors (each of the
   * flattened length, d and prev_flat_grad present exactly when n_iter > 0, as many ρ as pairs).
   * On a refusal nothing changes.
   */
  override loadStateDict(dict: OptimizerStateDict): void {
    if ((dict as { optimizer?: unknown } | null)?.optimizer !== NAME) {
      // Not a dict, or another optimizer's: the common checks refuse it with their message.
      super.loadStateDict(dict);
      return;
    }
    const history = this.checkHistory(dict);
    super.loadStateDict(dict);
    const own = (v: ArrayLike<number>) => this.Buf.from(v);
    this.d = history.d ? own(history.d) : null;
    this.prevFlatGrad = history.prevFlatGrad ? own(history.prevFlatGrad) : null;
    this.oldDirs.length = 0;
    this.oldStps.length = 0;
    this.ro.length = 0;
    for (const y of history.oldDirs) this.oldDirs.push(own(y));
    for (const s of history.oldStps) this.oldStps.push(own(s));
    this.ro.push(...history.ro);
  }

  /** The L-BFGS part of a state dict, checked whole; throws a RangeError naming the problem. */
  private checkHistory(dict: OptimizerStateDict): {
    d: ArrayLike<number> | null;
    prevFlatGrad: ArrayLike<number> | null;
    oldDirs: ArrayLike<number>[];
    oldStps: ArrayLike<number>[];
    ro: number[];
  } {
    const bad = (why: string): never => {
      throw new RangeError(`${NAME}: cannot load state dict: ${why}`);
    };
    if (Array.isArray(dict.state)) {
      const at = dict.state.findIndex((s) => s !== null && s !== undefined);
      if (at >= 0) {
        bad(`parameter ${at} has state, but LBFGS keeps none per parameter (its state is global)`);
      }
    }
    const scalars = dict.groupState?.[0] as Record<string, unknown> | undefined;
    for (const key of ['func_evals', 'n_iter']) {
      const v = scalars?.[key];
      if (!Number.isInteger(v) || (v as number) < 0) {
        bad(`groupState[0].${key} must be an integer >= 0, got ${String(v)}`);
      }
    }
    const started = (scalars!.n_iter as number) > 0;
    const saved = (dict as Partial<LBFGSStateDict>).lbfgs as unknown;
    if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) {
      bad(
        `lbfgs must be an object with d, prev_flat_grad, old_dirs, old_stps and ro, got ${describe(saved)}`,
      );
    }
    const s = saved as Record<string, unknown>;
    const known = ['d', 'prev_flat_grad', 'old_dirs', 'old_stps', 'ro'];
    for (const key of Object.keys(s)) {
      if (!known.includes(key)) bad(`lbfgs has an unknown entry "${key}"`);
    }
    const vector = (v: unknown, what: string): ArrayLike<number> => {
      if (floatDtype(v) === null && !Array.isArray(v)) {
        bad(
          `${what} must be a Float32Array, a Float64Array or an array of numbers, got ${describe(v)}`,
        );
      }
      const values = v as ArrayLike<unknown>;
      if (values.length !== this.n) {
        bad(
          `${what} must hold ${this.n} values (all parameters flattened), it has ${values.length}`,
        );
      }
      if (Array.isArray(values) && !values.every((x) => typeof x === 'number')) {
        bad(`${what} must hold numbers only`);
      }
      return values as ArrayLike<number>;
    };
    const startVector = (key: 'd' | 'prev_flat_grad') => {
      const v = s[key];
      if (!started) {
        if (v !== null && v !== undefined) bad(`lbfgs.${key} must be null while n_iter is 0`);
        return null;
      }
      return vector(v, `lbfgs.${key}`);
    };
    const list = (key: 'old_dirs' | 'old_stps' | 'ro'): unknown[] => {
      const v = s[key];
      if (!Array.isArray(v)) bad(`lbfgs.${key} must be an array, got ${describe(v)}`);
      return v as unknown[];
    };
    const d = startVector('d');
    const prevFlatGrad = startVector('prev_flat_grad');
    const oldDirs = list('old_dirs').map((v, i) => vector(v, `lbfgs.old_dirs[${i}]`));
    const oldStps = list('old_stps').map((v, i) => vector(v, `lbfgs.old_stps[${i}]`));
    const ro = list('ro');
    if (oldStps.length !== oldDirs.length || ro.length !== oldDirs.length) {
      bad(
        `lbfgs holds ${oldDirs.length} old_dirs, ${oldStps.length} old_stps and ${ro.length} ro: they must be as many`,
      );
    }
    if (!ro.every((x) => typeof x === 'number')) bad('lbfgs.ro must hold numbers only');
    return { d, prevFlatGrad, oldDirs, oldStps, ro: ro as number[] };
  }

  private refuseStepOptions(): void {
    if (this.clipGradNorm !== null) {
      throw new RangeError(
        `${NAME}: clipGradNorm must be null, got ${String(this.clipGradNorm)}: a clipped gradient is not the gradient of the loss that the line search and the curvature pairs measure`,
      );
    }
    if (this.nonFinite !== 'propagate') {
      throw new RangeError(
        `${NAME}: nonFinite must be "propagate" (as torch), got ${JSON.stringify(this.nonFinite)}: a step cannot skip one of its closure calls`,
      );
    }
  }

  /**
   * Calls the closure at the current parameters: its gradient lands in `flatGrad` (negated under
   * `maximize`); returns the loss as the closure gave it.
   */
  private evaluate(closure: LBFGSClosure, sign: number): number {
    const loss = closure(this.gradViews);
    if (typeof loss !== 'number') {
      throw new TypeError(
        `${NAME}: the closure must return the loss as a number, got ${describeWithArticle(loss)}`,
      );
    }
    const g = this.flatGrad;
    if (!this.viewsAreFlat) {
      let o = 0;
      for (const v of this.gradViews) {
        g.set(v, o);
        o += v.length;
      }
    }
    if (sign < 0) for (let j = 0; j < g.length; j++) g[j] = -g[j];
    return loss;
  }

  /** x += t·d over the parameters (torch's `_add_grad`); returns max|d| (NaN if any is NaN). */
  private move(t: number, d: FloatBuffer): number {
    let o = 0;
    let m = 0;
    for (const p of this.flatParams) {
      for (let j = 0; j < p.length; j++) {
        const dj = d[o + j];
        p[j] = p[j] + t * dj;
        const a = Math.abs(dj);
        if (a > m || a !== a) m = a;
      }
      o += p.length;
    }
    return m;
  }

  /**
   * The curvature pair of the last move: y = g − g_prev, s = t·d. Stored (the oldest dropped
   * when the history is full) if y·s > 1e-10; returns the new H_diag = (y·s)/(y·y), or the old
   * one when the pair is skipped.
   */
  private updateHistory(
    g: FloatBuffer,
    prev: FloatBuffer,
    d: FloatBuffer,
    t: number,
    historySize: number,
    hDiag: number,
  ): number {
    const n = this.n;
    const y = (this.ySpare ??= new this.Buf(n));
    const s = (this.sSpare ??= new this.Buf(n));
    let ys = 0;
    let yy = 0;
    for (let j = 0; j < n; j++) {
      y[j] = g[j] - prev[j];
      s[j] = d[j] * t;
      // Read back: in float32 the products are of the stored (rounded) values, as torch's.
      const yj = y[j];
      ys += yj * s[j];
      yy += yj * yj;
    }
    if (!(ys > MIN_YS)) return hDiag;
    this.ySpare = null;
    this.sSpare = null;
    while (this.oldDirs.length >= historySize) {
      this.ySpare = this.oldDirs.shift()!;
      this.sSpare = this.oldStps.shift()!;
      this.ro.shift();
    }
    this.oldDirs.push(y);
    this.oldStps.push(s);
    this.ro.push(1 / ys);
    return ys / yy;
  }

  /**
   * d = −H·g by the two-loop recursion over the stored pairs (i = 0 the oldest), in place in d
   * (torch's q, then r): αᵢ = (Sᵢ·q)ρᵢ, q −= αᵢYᵢ from the newest down; r = H_diag·q;
   * βᵢ = (Yᵢ·r)ρᵢ, r += (αᵢ − βᵢ)Sᵢ from the oldest up. Each pass updates d and takes the next
   * dot product of the updated values.
   */
  private twoLoop(g: FloatBuffer, d: FloatBuffer, hDiag: number): void {
    const n = this.n;
    const Y = this.oldDirs;
    const S = this.oldStps;
    const ro = this.ro;
    const k = Y.length;
    if (this.al.length < k) this.al = new Float64Array(k);
    const al = this.al;
    if (k === 0) {
      for (let j = 0; j < n; j++) {
        d[j] = -g[j];
        d[j] = d[j] * hDiag;
      }
      return;
    }
    let acc = 0;
    let next = S[k - 1];
    for (let j = 0; j < n; j++) {
      d[j] = -g[j];
      acc += next[j] * d[j];
    }
    for (let i = k - 1; i >= 0; i--) {
      const a = acc * ro[i];
      al[i] = a;
      const yi = Y[i];
      acc = 0;
      if (i > 0) {
        next = S[i - 1];
        for (let j = 0; j < n; j++) {
          d[j] = d[j] - a * yi[j];
          acc += next[j] * d[j];
        }
      } else {
        // The last update of q, then r = H_diag·q, then Y₀·r.
        next = Y[0];
        for (let j = 0; j < n; j++) {
          d[j] = d[j] - a * yi[j];
          d[j] = d[j] * hDiag;
          acc += next[j] * d[j];
        }
      }
    }
    for (let i = 0; i < k; i++) {
      const c = al[i] - acc * ro[i];
      const si = S[i];
      acc = 0;
      if (i < k - 1) {
        next = Y[i + 1];
        for (let j = 0; j < n; j++) {
          d[j] = d[j] + c * si[j];
          acc += next[j] * d[j];
        }
      } else {
        for (let j = 0; j < n; j++) d[j] = d[j] + c * si[j];
      }
    }
  }

  private lineSearchSpace(): LineSearchSpace {
    if (!this.ls) {
      const n = this.n;
      const work = [new this.Buf(n), new this.Buf(n), new this.Buf(n)] as const;
      this.ls = {
        x: new this.Buf(n),
        work,
        bt: new Float64Array(2),
        bf: new Float64Array(2),
        bgtd: new Float64Array(2),
        bg: [work[0], work[1]],
      };
    }
    return this.ls;
  }

  /** A copy of the current gradient in a work buffer that is neither `a` nor `b`. */
  private keep(a: FloatBuffer, b: FloatBuffer): FloatBuffer {
    const work = this.ls!.work;
    const w =
      work[0] !== a && work[0] !== b ? work[0] : work[1] !== a && work[1] !== b ? work[1] : work[2];
    w.set(this.flatGrad);
    return w;
  }

  /** f at x + t·d (the gradient lands in flatGrad), then the parameters back at x. */
  private evaluateAt(closure: LBFGSClosure, sign: number, t: number, d: FloatBuffer): number {
    const x = this.ls!.x;
    let o = 0;
    for (const p of this.flatParams) {
      for (let j = 0; j < p.length; j++) p[j] = x[o + j] + t * d[o + j];
      o += p.length;
    }
    const f = sign * this.evaluate(closure, sign);
    o = 0;
    for (const p of this.flatParams) {
      for (let j = 0; j < p.length; j++) p[j] = x[o + j];
      o += p.length;
    }
    return f;
  }

  /**
   * torch's `_strong_wolfe` from the current parameters along d, starting at step t: returns the
   * loss at the accepted step, whose gradient it leaves in flatGrad; the step and the closure
   * calls go to `lsT` and `lsEvals`. The parameters are where they were. The gradient at the
   * start is read from prev_flat_grad, which holds it.
   */
  private strongWolfe(
    closure: LBFGSClosure,
    sign: number,
    t0: number,
    d: FloatBuffer,
    f: number,
    gtd: number,
  ): number {
    const ls = this.lineSearchSpace();
    const g = this.flatGrad;
    const g0 = this.prevFlatGrad!;
    const { x, bt, bf, bgtd, bg } = ls;
    let o = 0;
    for (const p of this.flatParams) {
      for (let j = 0; j < p.length; j++) x[o + j] = p[j];
      o += p.length;
    }
    const dNorm = maxAbs(d);
    let t = t0;
    let fNew = this.evaluateAt(closure, sign, t, d);
    let evals = 1;
    let gtdNew = dot(g, d);
    let tPrev = 0;
    let fPrev = f;
    let gPrev = g0;
    let gtdPrev = gtd;
    let done = false;
    let lsIter = 0;
    let bracketed = false;

    // Bracketing: grow t until the interval [t_prev, t] holds a point of the strong Wolfe
    // conditions, or t meets them.
    while (lsIter < MAX_LS) {
      if (fNew > f + C1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
        bracketed = true;
      } else if (Math.abs(gtdNew) <= -C2 * gtd) {
        bt[0] = t;
        bf[0] = fNew;
        bg[0] = this.keep(gPrev, gPrev);
        done = true;
        break;
      } else if (gtdNew >= 0) {
        bracketed = true;
      }
      if (bracketed) {
        bt[0] = tPrev;
        bf[0] = fPrev;
        bgtd[0] = gtdPrev;
        bg[0] = gPrev;
        bt[1] = t;
        bf[1] = fNew;
        bgtd[1] = gtdNew;
        bg[1] = this.keep(gPrev, gPrev);
        break;
      }
      const minStep = t + 0.01 * (t - tPrev);
      const maxStep = t * 10;
      const tmp = t;
      t = cubic(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
      tPrev = tmp;
      fPrev = fNew;
      gPrev = this.keep(gPrev, gPrev);
      gtdPrev = gtdNew;
      fNew = this.evaluateAt(closure, sign, t, d);
      evals += 1;
      gtdNew = dot(g, d);
      lsIter += 1;
    }
    if (lsIter === MAX_LS) {
      // Out of evaluations: the bracket is [0, t] (torch leaves its slopes unset; the zoom,
      // which would read them, does not run).
      bt[0] = 0;
      bf[0] = f;
      bg[0] = g0;
      bt[1] = t;
      bf[1] = fNew;
      bg[1] = this.keep(g0, g0);
    }

    // Zoom: shrink the bracket by cubic interpolation until a point meets the conditions. With
    // one point (done), bf[0] <= bf[0] makes it the low end.
    let low = done || bf[0] <= bf[1] ? 0 : 1;
    let high = 1 - low;
    let insufficient = false;
    while (!done && lsIter < MAX_LS) {
      if (Math.abs(bt[1] - bt[0]) * dNorm < LS_TOLERANCE) break;
      const b0 = bt[0];
      const b1 = bt[1];
      const lo = b0 <= b1 ? b0 : b1;
      const hi = b0 <= b1 ? b1 : b0;
      t = cubic(b0, bf[0], bgtd[0], b1, bf[1], bgtd[1], lo, hi);
      const bMax = pyMax(b0, b1);
      const bMin = pyMin(b0, b1);
      const eps = 0.1 * (bMax - bMin);
      if (pyMin(bMax - t, t - bMin) < eps) {
        // Too close to an end: after a second time in a row, or at an end, move 0.1 of the
        // bracket inside.
        if (insufficient || t >= bMax || t <= bMin) {
          t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
          insufficient = false;
        } else {
          insufficient = true;
        }
      } else {
        insufficient = false;
      }
      fNew = this.evaluateAt(closure, sign, t, d);
      evals += 1;
      gtdNew = dot(g, d);
      lsIter += 1;
      if (fNew > f + C1 * t * gtd || fNew >= bf[low]) {
        bt[high] = t;
        bf[high] = fNew;
        bg[high] = this.keep(bg[low], bg[low]);
        bgtd[high] = gtdNew;
        low = bf[0] <= bf[1] ? 0 : 1;
        high = 1 - low;
      } else {
        if (Math.abs(gtdNew) <= -C2 * gtd) {
          done = true;
        } else if (gtdNew * (bt[high] - bt[low]) >= 0) {
          bt[high] = bt[low];
          bf[high] = bf[low];
          bg[high] = bg[low];
          bgtd[high] = bgtd[low];
        }
        bt[low] = t;
        bf[low] = fNew;
        bg[low] = this.keep(bg[high], bg[high]);
        bgtd[low] = gtdNew;
      }
    }
    g.set(bg[low]);
    this.lsT = bt[low];
    this.lsEvals = evals;
    return bf[low];
  }
}

export const lbfgsDescriptor = describeOptimizer(LBFGS, lbfgsRule, {
  name: 'lbfgs',
  label: 'L-BFGS',
  formula:
    'd = −H·g (two-loop over the last m pairs s = Δx, y = Δg, H₀ = s·y/y·y);  x += t·d (t = lr, or a strong-Wolfe line search); several closure calls per step',
  variants: [
    {},
    { lineSearchFn: 'strong_wolfe' },
    { historySize: 2, maxIter: 5, maxEval: 4, lr: 0.5 },
    { lineSearchFn: 'strong_wolfe', historySize: 3, toleranceChange: 1e-3 },
    { maximize: true },
  ],
  refused: [
    { options: { historySize: 0 }, error: /^LBFGS: historySize must be an integer >= 1, got 0$/ },
    {
      options: { lineSearchFn: 'backtracking' },
      error: /^LBFGS: lineSearchFn must be null or "strong_wolfe", got "backtracking"$/,
    },
    { options: { maxEval: 0 }, error: /^LBFGS: maxEval must be null or an integer >= 1, got 0$/ },
    { options: { lr: -1 }, error: /^LBFGS: lr must be a finite number >= 0, got -1$/ },
    { options: { clipGradNorm: 1 }, error: /^LBFGS: clipGradNorm must be null, got 1: / },
  ],
  slots: [],
  sparse: false,
  closure: true,
  // Not raced (no lab entry): the lab's races hand mini-batch gradients, and L-BFGS needs a
  // closure over one full-batch loss.
  sliders: [SLIDERS.lr],
});
