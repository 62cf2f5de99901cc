import * as Plot from '@observablehq/plot';
import { formatNumber, linearScale, logScale } from './axes.ts';
import { figure, markerPoints, positive, render, series, type XY } from './figure.ts';
import type { FigureContext } from './series-style.ts';
import { batchSeriesName, entriesOf, lrNote, type BatchRaceRecord } from './batch-style.ts';

// The batch-size race's loss curves: the median training-set loss against epochs, updates and
// wall time, one line per optimizer × batch size, with the target shared by every batch size.

/** The target as a dashed horizontal rule, labelled at the right. */
function targetMarks(target: number | null): Plot.Markish[] {
  if (target === null || positive(target) === null) return [];
  return [
    Plot.ruleY([target], { stroke: '#777', strokeDasharray: '4 3' }),
    Plot.text([target], {
      y: (d: number) => d,
      text: () => 'target',
      frameAnchor: 'right',
      textAnchor: 'end',
      dx: -4,
      dy: -6,
      fill: '#555',
    }),
  ];
}

type Against = 'epochs' | 'updates' | 'time';

/**
 * One problem's loss curves against epochs, updates or wall time: the median over seeds of the
 * whole-training-set loss at each epoch's end, one line per optimizer × batch size.
 */
function lossAgainst(
  against: Against,
  batch: BatchRaceRecord,
  problem: string,
  ctx: FigureContext,
): string {
  const entries = entriesOf(batch, problem);
  const target = batch.targets[problem] ?? null;
  const maxMs = Math.max(0, ...entries.flatMap((e) => e.curve.timeMs.filter(Number.isFinite)));
  // Seconds once runs are long enough that milliseconds would need exponents on the axis.
  const inSeconds = maxMs >= 5000;
  const drawn: string[] = [];
  const marks: Plot.Markish[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  const starts: number[] = [];
  entries.forEach((e, j) => {
    const rows: XY[] = [];
    e.curve.epoch.forEach((epoch, i) => {
      const loss = positive(e.curve.loss[i]!);
      if (loss === null) return;
      if (epoch === 0) starts.push(loss);
      // A log axis has no place for update 0: the untrained loss is drawn as its own rule.
      if (against === 'updates' && epoch === 0) return;
      const ms = e.curve.timeMs[i]!;
      const x =
        against === 'epochs'
          ? epoch
          : against === 'updates'
            ? epoch * e.updatesPerEpoch
            : inSeconds
              ? ms / 1000
              : ms;
      if (Number.isFinite(x)) rows.push({ x, y: loss });
    });
    if (rows.length === 0) return;
    const name = batchSeriesName(e.optimizer, e.batchSize);
    drawn.push(name);
    xs.push(...rows.map((q) => q.x));
    ys.push(...rows.map((q) => q.y));
    marks.push(...series(name, rows, markerPoints(rows, j, entries.length), ctx));
  });
  if (drawn.length === 0) return '';
  const start = starts.length ? Math.max(...starts) : null;
  const extra: Plot.Markish[] = [...targetMarks(target)];
  if (against === 'updates' && start !== null) {
    extra.push(
      Plot.ruleY([start], { stroke: '#bbb', strokeDasharray: '1 3' }),
      Plot.text([start], {
        y: (d: number) => d,
        text: () => 'untrained',
        frameAnchor: 'right',
        textAnchor: 'end',
        dx: -4,
        dy: -6,
        fill: '#777',
      }),
    );
    ys.push(start);
  }
  if (target !== null && positive(target) !== null) ys.push(target);
  const x =
    against === 'epochs'
      ? linearScale('epoch')
      : against === 'updates'
        ? logScale(xs, 'updates (epoch × updates per epoch, log)')
        : linearScale(inSeconds ? 'training time (s)' : 'training time (ms)');
  const svg = render({
    width: 460,
    height: 280,
    x,
    y: logScale(ys, 'training-set loss (median over seeds)'),
    marks: [...marks, ...extra],
  });
  const targetText =
    target === null
      ? 'no run reached below its start, so there is no target'
      : `the dashed rule is the target shared by every batch size, ${formatNumber(target)}`;
  const what: Record<Against, string> = {
    epochs: `loss over the whole training set at each epoch's end against epochs, each batch size seeing every sample once per epoch`,
    updates: `the same loss against parameter updates (epoch × updates per epoch: ceil(n / batch)); the dotted rule is the untrained loss, which a log axis cannot place at update 0`,
    time: `the same loss against training wall time on this machine (the clock runs from the first update, JIT warm-up included)`,
  };
  const read: Record<Against, string> = {
    epochs:
      'Read: at equal epochs (equal samples seen), which batch size lowers the loss most; the full batch makes a single update per epoch.',
    updates:
      'Read: how much one update buys at each batch size (a larger batch gives a more exact gradient); set it against what an update costs (ms per update).',
    time: 'Read: which batch size reaches the target first in wall time on this machine: the first line to cross the target.',
  };
  return figure(
    '',
    svg,
    drawn,
    ctx,
    `${problem}: ${what[against]}; medians over seeds at ${lrNote(ctx)}; ${targetText}. ${read[against]}`,
  );
}

/** Loss against epochs. */
export const lossByEpochs = (b: BatchRaceRecord, p: string, ctx: FigureContext) =>
  lossAgainst('epochs', b, p, ctx);
/** Loss against updates (log x). */
export const lossByUpdates = (b: BatchRaceRecord, p: string, ctx: FigureContext) =>
  lossAgainst('updates', b, p, ctx);
/** Loss against training wall time. */
export const lossByTime = (b: BatchRaceRecord, p: string, ctx: FigureContext) =>
  lossAgainst('time', b, p, ctx);
