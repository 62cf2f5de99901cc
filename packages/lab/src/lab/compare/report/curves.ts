import type * as Plot from '@observablehq/plot';
import { testFunction } from '../../functions.ts';
import type { OptimizerResult, ProblemResult } from '../results.ts';
import { linearScale, logScale } from './axes.ts';
import {
  figure,
  lrSetting,
  markerPoints,
  pick,
  positive,
  render,
  series,
  type XY,
} from './figure.ts';
import type { FigureContext } from './series-style.ts';

// Loss curves: against steps on test functions, per epoch (and wall time) on data sets.

/**
 * Loss against steps on a 2-D or n-D test function (seed 0 at the tuned lr, each of the 120
 * buckets' lowest loss): log scale above the known minimum; for saddles, which are unbounded
 * below, a linear scale clipped at -5.
 */
export function lossCurves(p: ProblemResult, ctx: FigureContext, only?: string[]): string {
  const fn = p.fn ? testFunction(p.fn.name) : undefined;
  const escape = p.objective === 'escape';
  const shift = fn && Number.isFinite(fn.minValue) ? fn.minValue : 0;
  const drawn: string[] = [];
  const marks: Plot.Markish[] = [];
  const all: number[] = [];
  const chosen = pick(p, only);
  chosen.forEach((o, j) => {
    const r = o.tuned[0];
    if (!r) return;
    const rows: XY[] = [];
    const start = escape ? r.initialLoss : positive(r.initialLoss - shift);
    if (start !== null && Number.isFinite(start)) rows.push({ x: 0, y: start });
    for (let i = 0; i < r.curve.step.length; i++) {
      const raw = r.curve.loss[i]!;
      const v = escape ? (Number.isFinite(raw) ? Math.max(raw, -5) : null) : positive(raw - shift);
      if (v !== null) rows.push({ x: r.curve.step[i]!, y: v });
      // Past the clip a saddle's loss only falls further: the line stops where it escaped.
      if (escape && v === -5) break;
    }
    if (rows.length === 0) return;
    drawn.push(o.name);
    all.push(...rows.map((q) => q.y));
    marks.push(...series(o.name, rows, markerPoints(rows, j, chosen.length), ctx));
  });
  const svg = render({
    width: 560,
    height: 300,
    x: linearScale('step'),
    y: escape
      ? linearScale('loss (drawn down to -5)', { grid: true })
      : logScale(all, shift !== 0 ? `loss − ${shift}` : 'loss'),
    marks,
  });
  const read = escape
    ? 'Each line stops where its loss first reaches -5. Read: how soon each loss turns down, leaving the saddle (the table gives the exact escape steps).'
    : 'Read: how fast and how far each loss falls; lines that flatten high have stalled.';
  return figure(
    '',
    svg,
    drawn,
    ctx,
    `${p.name}: loss against steps, seed 0, the lowest loss in each of ${r0Buckets(p)} equal spans of steps (${lrSetting(p, ctx, drawn)}). ${read}`,
  );
}

const r0Buckets = (p: ProblemResult) => p.optimizers[0]?.tuned[0]?.curve.step.length ?? 0;

/**
 * Data sets: the whole-training-set loss at each epoch's end (mean over the seeds that did not
 * diverge), against steps; and against wall time where runs were long enough for it to mean
 * anything, the first epoch (JIT warm-up) left off the clock.
 */
export function epochCurves(p: ProblemResult, ctx: FigureContext, only?: string[]): string {
  const drawn: string[] = [];
  const bySteps: Plot.Markish[] = [];
  const byTime: Plot.Markish[] = [];
  const ys: number[] = [];
  const warm = p.timesMeaningful;
  const chosen = pick(p, only);
  chosen.forEach((o, j) => {
    const n = Math.max(0, ...o.tuned.map((r) => r.epochs.trainLoss.length));
    const meanAt = (f: (r: OptimizerResult['tuned'][number]) => number | undefined) => {
      const xs = o.tuned.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    };
    const steps: XY[] = [];
    const time: XY[] = [];
    const start = meanAt((r) => r.initialLoss);
    if (positive(start) !== null) steps.push({ x: 0, y: start });
    const t0 = meanAt((r) => r.epochs.timeMs[0]);
    for (let e = 0; e < n; e++) {
      const loss = meanAt((r) => r.epochs.trainLoss[e]);
      if (positive(loss) === null) continue;
      steps.push({ x: (e + 1) * p.stepsPerEpoch, y: loss });
      const ms = meanAt((r) => r.epochs.timeMs[e]);
      if (warm && e >= 1 && Number.isFinite(ms)) time.push({ x: (ms - t0) / 1000, y: loss });
      if (warm && e === 0) time.push({ x: 0, y: loss });
    }
    if (steps.length === 0) return;
    drawn.push(o.name);
    ys.push(...steps.map((q) => q.y));
    bySteps.push(...series(o.name, steps, markerPoints(steps, j, chosen.length), ctx));
    if (time.length)
      byTime.push(...series(o.name, time, markerPoints(time, j, chosen.length), ctx));
  });
  const y = logScale(ys, 'training-set loss (mean over seeds)');
  const setting = lrSetting(p, ctx, drawn);
  const stepsFig = figure(
    '',
    render({ width: 460, height: 280, x: linearScale('step (epoch ends)'), y, marks: bySteps }),
    drawn,
    ctx,
    `${p.name}: loss over the whole training set at each epoch's end (${p.stepsPerEpoch} steps per epoch), mean over the seeds that did not diverge (${setting}). ` +
      (warm
        ? 'Read: how fast each optimizer lowers the training loss per step.'
        : 'Read: how fast each optimizer lowers the training loss per step; runs were too short (under a second) for wall time to mean anything, so progress is shown in steps only.'),
  );
  if (!warm) return stepsFig;
  const timeFig = figure(
    '',
    render({
      width: 460,
      height: 280,
      x: linearScale('training time after epoch 1 (s)'),
      y,
      marks: byTime,
    }),
    drawn,
    ctx,
    `${p.name}: the same loss against training wall time, counted from the end of the first epoch so that JIT warm-up is left out (${setting}). Read: which optimizer gets furthest per second on this machine.`,
  );
  return stepsFig + timeFig;
}
