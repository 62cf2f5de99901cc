import type { OptimizerDescriptor } from 'descent-optim/internal/core/descriptor';
import type { Optimizer } from 'descent-optim/internal/core/optimizer';
import type { CommonOptions, FloatBuffer } from 'descent-optim/internal/core/types';
import { findOptimizer, OPTIMIZERS } from 'descent-optim/internal/optimizers';
import type { GoldenCase } from './case.ts';
import { gradient, objective } from './case-gradients.ts';
import { createScheduler } from 'descent-optim/internal/schedules/create-scheduler';
import { readHyper, Scheduler } from 'descent-optim/internal/schedules/scheduler';

export type Dtype = 'float32' | 'float64';

/**
 * How close a replay must be to the float64 reference: 1e-10 relative in float64; in float32,
 * which keeps 24 bits, N·4·2⁻²⁴ after N steps (each step rounds the gradient, every slot and the
 * parameter, so a run that does not amplify errors drifts by at most that; x0 itself is rounded
 * once more), times the case's {@link roundingAmplification} (L-BFGS's Hessian, Prodigy's d).
 */
/** A float32 bound this large says nothing about the digits: only finiteness is checked. */
export const VACUOUS = 0.1;

export function replayTolerance(dtype: Dtype, steps: number, amplification = 1): number {
  return dtype === 'float32' ? steps * 4 * 2 ** -24 * amplification : 1e-10;
}

export interface ReplayResult {
  name: string;
  trajectory: number[][];
  /** Scheduler cases: the lr used by each step (and momentum where the scheduler cycles it). */
  lr?: number[];
  momentum?: number[];
  /** ASGD: its averaged parameters (state `ax`) after each step. */
  ax?: number[][];
  /** Schedule-Free: the eval-mode point x after each step (`trajectory` is the train point y). */
  trajectory_eval?: number[][];
  /** Prodigy: the first group's d after each step. */
  d?: number[];
  /** Closure optimizers (LBFGS): closure calls and loop iterations inside each step. */
  closure_evals?: number[];
  iterations?: number[];
}

/** What the replay reads of an optimizer whose step takes a closure (LBFGS). */
interface ClosureStepper {
  step(closure: (grads: readonly FloatBuffer[]) => number): number;
  readonly lastStep: { readonly closureEvals: number; readonly iterations: number };
}

/** What the replay reads of a Schedule-Free optimizer: the eval point, without moving to it. */
interface EvalPoint {
  evalParams(): FloatBuffer[];
}

/**
 * The optimizer a case names: a `createOptimizer` name, or the reference's class name as the
 * rule carries it (`AdamWScheduleFree`), case-insensitively.
 */
export function caseOptimizer(name: string): OptimizerDescriptor {
  const key = name.toLowerCase();
  const byAlgorithm = OPTIMIZERS.find(
    (d) => d.algorithm.toLowerCase() === key && Object.keys(d.preset).length === 0,
  );
  return byAlgorithm ?? findOptimizer(name);
}

/** `"inf"` is how the cases write float +infinity (Prodigy's `growth_rate`). */
function readSpecial(v: unknown): unknown {
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return Array.isArray(v) ? v.map(readSpecial) : v;
}

// PyTorch keyword arguments that choose an implementation, not the math.
const IMPLEMENTATION_KWARGS = new Set(['foreach', 'fused', 'capturable', 'differentiable']);

/** PyTorch's keyword arguments, camelCased (`weight_decay` -> `weightDecay`). */
export function torchOptionsToDescent(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (IMPLEMENTATION_KWARGS.has(k)) continue;
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = readSpecial(v);
  }
  return out;
}

/**
 * Runs a golden case with descent's public optimizers and records x after every step (all
 * tensors, flattened in the case's order), plus what the case records of the optimizer's state:
 * ASGD's `ax`, Schedule-Free's eval point, Prodigy's `d`, LBFGS's closure counts.
 */
export function replayCase(c: GoldenCase, dtype: Dtype = 'float64'): ReplayResult {
  const Buf = dtype === 'float32' ? Float32Array : Float64Array;
  const shapes = c.shapes ?? [[c.x0.length]];
  const params: FloatBuffer[] = [];
  const grads: FloatBuffer[] = [];
  let offset = 0;
  for (const shape of shapes) {
    const size = shape.reduce((a, d) => a * d, 1);
    params.push(Buf.from(c.x0.slice(offset, offset + size)));
    grads.push(new Buf(size));
    offset += size;
  }
  // The problem sees one flat float64 vector, as the generator did.
  const x = new Float64Array(offset);
  const g = new Float64Array(offset);
  const gather = (bufs: readonly FloatBuffer[], out: Float64Array) => {
    let o = 0;
    for (const b of bufs) {
      out.set(b, o);
      o += b.length;
    }
  };
  const scatter = (from: Float64Array, bufs: readonly FloatBuffer[]) => {
    let o = 0;
    for (const b of bufs) {
      b.set(from.subarray(o, o + b.length));
      o += b.length;
    }
  };
  const d = caseOptimizer(c.optimizer);
  const kwargs = torchOptionsToDescent(c.options);
  const options = d.fromReference ? d.fromReference(kwargs) : kwargs;
  const opt = d.create([{ params, shapes }] as never, options);
  const result: ReplayResult = { name: c.name, trajectory: [] };
  const record = <K extends 'ax' | 'trajectory_eval' | 'd' | 'closure_evals' | 'iterations'>(
    key: K,
    value: NonNullable<ReplayResult[K]>[number],
  ) => {
    if (c[key] === undefined) return;
    const series = (result[key] ?? []) as unknown[];
    series.push(value);
    (result as unknown as Record<string, unknown>)[key] = series;
  };

  if (d.closure) {
    const stepper = opt as unknown as ClosureStepper;
    for (let k = 0; k < c.steps; k++) {
      // LBFGS's closure evaluates the objective at k = 0 (the README's driver).
      stepper.step((into) => {
        gather(params, x);
        gradient(c.problem, x, 0, g);
        scatter(g, into);
        return objective(c.problem, x, 0);
      });
      gather(params, x);
      result.trajectory.push(Array.from(x));
      record('closure_evals', stepper.lastStep.closureEvals);
      record('iterations', stepper.lastStep.iterations);
    }
    return result;
  }

  let scheduler: Scheduler | null = null;
  if (c.scheduler) {
    const { type, ...schedulerKwargs } = c.scheduler;
    const built = createScheduler(type, opt, schedulerKwargs);
    if (!(built instanceof Scheduler)) {
      throw new RangeError(`${c.name}: ${type} needs a metric and cannot be replayed`);
    }
    scheduler = built;
  }
  const group = opt.paramGroups[0]!;
  const cycled = scheduler?.tracks.find((t) => t.key !== 'lr')?.key;
  const lr: number[] = [];
  const momentum: number[] = [];
  for (let k = 0; k < c.steps; k++) {
    gather(params, x);
    gradient(c.problem, x, k, g);
    scatter(g, grads);
    lr.push(group.lr);
    if (cycled) momentum.push(readHyper(group, cycled, c.name));
    opt.step(grads);
    scheduler?.step();
    gather(params, x);
    result.trajectory.push(Array.from(x));
    recordState(opt, record);
  }
  if (!scheduler) return result;
  return { ...result, lr, ...(cycled ? { momentum } : {}) };
}

/**
 * The state a case may record after a step: the eval point, which is ASGD's average (`ax`) and
 * Schedule-Free's x (`trajectory_eval`), and Prodigy's d. `record` keeps only what the case has.
 */
function recordState(
  opt: Optimizer<CommonOptions>,
  record: (key: 'ax' | 'trajectory_eval' | 'd', value: number[] | number) => void,
): void {
  const evalPoint = (opt as unknown as Partial<EvalPoint>).evalParams;
  if (evalPoint) {
    const x = evalPoint.call(opt).flatMap((b) => Array.from(b));
    record('ax', x);
    record('trajectory_eval', x);
  }
  const d = opt.groupState(0).d;
  if (d !== undefined) record('d', d);
}

/** The reference trajectory a case is checked against (NAdam: PyTorch >= 2.0's formula). */
export function referenceTrajectory(c: GoldenCase): number[][] | undefined {
  return c.optimizer === 'NAdam' ? c.trajectory_torch2 : c.trajectory;
}

/**
 * The worst `|x − x_ref| / max(1, |x_ref|)` over a trajectory (Infinity on a shape mismatch or
 * a NaN, so that a broken run never passes).
 */
export function worstRelativeError(got: number[][], ref: number[][]): number {
  if (got.length !== ref.length) return Infinity;
  let worst = 0;
  got.forEach((row, k) => {
    const refRow = ref[k] as number[];
    if (row.length !== refRow.length) worst = Infinity;
    row.forEach((v, i) => {
      const r = refRow[i] as number;
      const err = Math.abs(v - r) / Math.max(1, Math.abs(r));
      worst = err > worst || Number.isNaN(err) ? (Number.isNaN(err) ? Infinity : err) : worst;
    });
  });
  return worst;
}

/**
 * The worst relative error of a replay against the case's references: the trajectory, and
 * where the case records them the per-step lr and momentum, ASGD's average, Schedule-Free's eval
 * point, and (float64 replays only) Prodigy's d and L-BFGS's counts, which must match exactly.
 * A float32 replay is held to the points only: its d and its line search may rightly differ.
 * `undefined` when the case has no reference trajectory.
 */
export function caseError(
  c: GoldenCase,
  result: ReplayResult,
  dtype: Dtype = 'float64',
): number | undefined {
  const ref = referenceTrajectory(c);
  if (!ref) return undefined;
  const series = (xs: number[] | undefined) => (xs ?? []).map((x) => [x]);
  let worst = worstRelativeError(result.trajectory, ref);
  if (c.lr) worst = Math.max(worst, worstRelativeError(series(result.lr), series(c.lr)));
  if (c.momentum) {
    worst = Math.max(worst, worstRelativeError(series(result.momentum), series(c.momentum)));
  }
  if (c.ax) worst = Math.max(worst, worstRelativeError(result.ax ?? [], c.ax));
  if (c.trajectory_eval) {
    worst = Math.max(worst, worstRelativeError(result.trajectory_eval ?? [], c.trajectory_eval));
  }
  // d is compared relative to itself (it starts near 1e-6): the README's |d − d_ref| ≤ 1e-10 |d_ref|.
  if (dtype === 'float32') return worst;
  if (c.d) worst = Math.max(worst, worstPureRelativeError(result.d ?? [], c.d));
  // LBFGS's counts must match exactly: any difference is an infinite error.
  for (const key of ['closure_evals', 'iterations'] as const) {
    const want = c[key];
    const got = result[key];
    if (want && (!got || got.length !== want.length || got.some((v, k) => v !== want[k]))) {
      worst = Infinity;
    }
  }
  return worst;
}

/** The worst `|x − x_ref| / |x_ref|` of a series (Infinity on a length mismatch or a NaN). */
function worstPureRelativeError(got: number[], ref: number[]): number {
  if (got.length !== ref.length) return Infinity;
  let worst = 0;
  got.forEach((v, k) => {
    const r = ref[k] as number;
    const err = v === r ? 0 : Math.abs(v - r) / Math.abs(r);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  });
  return worst;
}
