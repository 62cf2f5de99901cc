import { createOptimizer } from 'descent-optim/internal/optimizers';
import type { FloatBuffer } from 'descent-optim/internal/core/types';
import type { GoldenCase } from './case.ts';
import { gradient } from './case-gradients.ts';
import { createScheduler } from 'descent-optim/internal/schedules/create-scheduler';
import { readHyper, Scheduler } from 'descent-optim/internal/schedules/scheduler';

export type Dtype = 'float32' | 'float64';

/**
 * How close a replay must be to the float64 reference: 1e-10 relative in float64; in float32,
 * which keeps 24 bits, N·4·2⁻²⁴ after N steps (each step rounds the gradient, every slot and the
 * parameter, so a run that does not amplify errors drifts by at most that; x0 itself is rounded
 * once more).
 */
export function replayTolerance(dtype: Dtype, steps: number): number {
  return dtype === 'float32' ? steps * 4 * 2 ** -24 : 1e-10;
}

export interface ReplayResult {
  name: string;
  trajectory: number[][];
  /** Scheduler cases: the lr used by each step (and momentum where the scheduler cycles it). */
  lr?: number[];
  momentum?: number[];
}

// PyTorch keyword arguments that choose an implementation, not the math.
const IMPLEMENTATION_KWARGS = new Set(['foreach', 'fused', 'capturable', 'differentiable']);

/** PyTorch's keyword arguments, camelCased (`weight_decay` -> `weightDecay`). */
export function torchOptionsToDescent(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (IMPLEMENTATION_KWARGS.has(k)) continue;
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  return out;
}

/** Runs a golden case with descent's public optimizers and records x after every step. */
export function replayCase(c: GoldenCase, dtype: Dtype = 'float64'): ReplayResult {
  const Buf = dtype === 'float32' ? Float32Array : Float64Array;
  const x: FloatBuffer = Buf.from(c.x0);
  const g: FloatBuffer = new Buf(x.length);
  const opt = createOptimizer(c.optimizer, [x], torchOptionsToDescent(c.options));
  const trajectory: number[][] = [];
  let scheduler: Scheduler | null = null;
  if (c.scheduler) {
    const { type, ...kwargs } = c.scheduler;
    const built = createScheduler(type, opt, kwargs);
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
    gradient(c.problem, x, k, g);
    lr.push(group.lr);
    if (cycled) momentum.push(readHyper(group, cycled, c.name));
    opt.step([g]);
    scheduler?.step();
    trajectory.push(Array.from(x));
  }
  if (!scheduler) return { name: c.name, trajectory };
  return { name: c.name, trajectory, lr, ...(cycled ? { momentum } : {}) };
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
 * The worst relative error of a replay against the case's references: the trajectory, and the
 * per-step lr and momentum where the case records them. `undefined` when the case has no
 * reference trajectory.
 */
export function caseError(c: GoldenCase, result: ReplayResult): number | undefined {
  const ref = referenceTrajectory(c);
  if (!ref) return undefined;
  const series = (xs: number[] | undefined) => (xs ?? []).map((x) => [x]);
  let worst = worstRelativeError(result.trajectory, ref);
  if (c.lr) worst = Math.max(worst, worstRelativeError(series(result.lr), series(c.lr)));
  if (c.momentum) {
    worst = Math.max(worst, worstRelativeError(series(result.momentum), series(c.momentum)));
  }
  return worst;
}
