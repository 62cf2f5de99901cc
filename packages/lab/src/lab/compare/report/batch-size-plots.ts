import * as Plot from '@observablehq/plot';
import type { BatchRaceEntry } from '../batch-race.ts';
import type { BatchSize } from '../../sampler.ts';
import { formatTick, logScale } from './axes.ts';
import { figure, positive, render, series, type XY } from './figure.ts';
import type { FigureContext } from './series-style.ts';
import {
  batchLabel,
  entriesOf,
  lrNote,
  optimizerLabel,
  optimizersOf,
  sortedSizes,
  type BatchRaceRecord,
} from './batch-style.ts';

// The batch-size race's per-batch-size figures: throughput, time per update and loss noise
// against a log2 batch-size axis, one line per optimizer, the full batch placed at the
// training-set size.

/** The training-set size the race recorded (null for an empty record). */
export function trainingSetSize(entries: readonly BatchRaceEntry[]): number | null {
  return entries.find((e) => e.trainSize > 0)?.trainSize ?? null;
}

/** A log2 batch-size axis: ticks at the raced sizes, the full batch at n and labelled "full". */
function batchAxis(entries: readonly BatchRaceEntry[], sizes: readonly BatchSize[]) {
  const size = trainingSetSize(entries);
  const numeric = sizes.filter((b): b is number => b !== 'full');
  // Without a size, the full batch sits one doubling past the largest batch raced.
  const fullAt = size ?? 2 * Math.max(1, ...numeric);
  const at = (b: BatchSize) => (b === 'full' ? fullAt : b);
  const ticks = [...new Set(sizes.map(at))].sort((a, b) => a - b);
  const base = logScale(ticks, 'batch size (log2; full = the whole training set)', 2);
  const [lo, hi] = base.domain as [number, number];
  const scale: Plot.ScaleOptions = {
    ...base,
    // Half a doubling of margin, so the end points are not drawn on the frame.
    domain: [Math.min(lo, ticks[0]! / Math.SQRT2), Math.max(hi, ticks.at(-1)! * Math.SQRT2)],
    ticks,
    tickFormat: (x: number) => (x === fullAt && sizes.includes('full') ? 'full' : formatTick(x)),
  };
  const where = !sizes.includes('full')
    ? 'log2 axis'
    : size === null
      ? 'log2 axis; full batch drawn one doubling past the largest batch'
      : `log2 axis; full batch drawn at the training-set size, ${size}`;
  return { scale, at, where };
}

/** A per-batch-size measure, one line per optimizer, against a log2 batch-size axis. */
function byBatchSize(
  batch: BatchRaceRecord,
  problem: string,
  ctx: FigureContext,
  value: (e: BatchRaceEntry) => number | null,
  yLabel: string,
  caption: (where: string, missing: string) => string,
): string {
  const entries = entriesOf(batch, problem);
  const sizes = sortedSizes(batch).filter((b) => entries.some((e) => e.batchSize === b));
  const axis = batchAxis(entries, sizes);
  const opts = optimizersOf(entries);
  const drawn: string[] = [];
  const marks: Plot.Markish[] = [];
  const ys: number[] = [];
  const missing: string[] = [];
  opts.forEach((o, j) => {
    const rows: XY[] = [];
    for (const e of entries.filter((x) => x.optimizer === o)) {
      const v = value(e);
      if (v === null || positive(v) === null)
        missing.push(`${optimizerLabel(o)} at ${batchLabel(e.batchSize)}`);
      else rows.push({ x: axis.at(e.batchSize), y: v });
    }
    if (rows.length === 0) return;
    drawn.push(o);
    ys.push(...rows.map((q) => q.y));
    // Coinciding lines are nudged apart by up to ±2 px.
    const dy = opts.length > 1 ? ((j - (opts.length - 1) / 2) * 4) / (opts.length - 1) : 0;
    marks.push(...series(o, rows, rows, ctx, { dy }));
  });
  if (drawn.length === 0) return '';
  const svg = render({
    width: 460,
    height: 280,
    x: axis.scale,
    y: logScale(ys, yLabel),
    marks,
  });
  return figure(
    '',
    svg,
    drawn,
    ctx,
    caption(axis.where, missing.length ? `no value for ${missing.join(', ')}` : ''),
  );
}

/** Training samples per second against batch size, one line per optimizer. */
export function throughputFigure(batch: BatchRaceRecord, problem: string, ctx: FigureContext) {
  return byBatchSize(
    batch,
    problem,
    ctx,
    (e) => e.samplesPerSecond,
    'training samples per second (median over seeds)',
    (where, missing) =>
      `${problem}: training throughput on this machine against batch size (${where}), the median over seeds of samples per second after the first epoch (JIT warm-up left off the clock), at ${lrNote(ctx)}${missing ? `; ${missing}` : ''}. Read: where the curve still climbs, a larger batch spreads the per-update overhead over more samples; where it flattens or falls, a larger batch stops paying. Its peak is this machine's fastest batch size in samples per second, not necessarily the one that lowers the loss fastest.`,
  );
}

/** Training time per update against batch size, one line per optimizer. */
export function msPerUpdateFigure(batch: BatchRaceRecord, problem: string, ctx: FigureContext) {
  return byBatchSize(
    batch,
    problem,
    ctx,
    (e) => e.msPerUpdate,
    'ms per update (median over seeds)',
    (where, missing) =>
      `${problem}: training time per parameter update against batch size (${where}), the median over seeds of the run's training time over its updates, at ${lrNote(ctx)}${missing ? `; ${missing}` : ''}. Read: how much dearer one update gets as the batch grows; the full batch reads every training sample before it moves once.`,
  );
}

/** The per-update loss's noise against batch size, one line per optimizer. */
export function noiseFigure(batch: BatchRaceRecord, problem: string, ctx: FigureContext) {
  return byBatchSize(
    batch,
    problem,
    ctx,
    (e) => e.lossNoise,
    'loss noise (spread around the trend)',
    (where, missing) =>
      `${problem}: how much the loss of each update fluctuates, against batch size (${where}): the standard deviation of each update's mini-batch loss around a moving mean of its neighbours, median over seeds, at ${lrNote(ctx)}${missing ? `; ${missing} (too few updates to smooth, or a non-finite loss)` : ''}. Read: whether the noise falls as the batch grows, and by how much batch 1 (SGD) fluctuates more than the mini-batches.`,
  );
}
