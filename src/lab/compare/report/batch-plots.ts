import * as Plot from '@observablehq/plot';
import type { BatchRaceEntry, BatchRaceResult } from '../batch-race.ts';
import { CONTENDERS } from '../contenders.ts';
import type { CompareResults } from '../results.ts';
import type { BatchSize } from '../../sampler.ts';
import { formatNumber, formatTick, linearScale, logScale } from './axes.ts';
import { esc } from './escape.ts';
import { figure, markerPoints, positive, render, series, type XY } from './figure.ts';
import type { FigureContext, MarkerSymbol, SeriesStyle } from './series-style.ts';

// The batch-size race in the report: batch, stochastic and mini-batch gradient descent compared
// by loss against epochs, updates and wall time, by throughput, cost per update and loss noise,
// and in one table per problem.

/** A batch-size race as results.json records it (its underlying race is the file itself). */
export type BatchRaceRecord = Omit<BatchRaceResult, 'race'>;

// Colour by batch size, from warm (one sample: SGD) to dark (the whole set: batch GD), so that
// the order of the batch sizes reads off the colours; dash and marker by optimizer.
const BATCH_COLORS = [
  '#c0392b',
  '#e67e22',
  '#c9a100',
  '#59a14f',
  '#17a2a2',
  '#2f6db5',
  '#6a3d9a',
  '#222222',
];
const OPTIMIZER_DASHES = ['none', '6 3', '2 2', '10 3 2 3', '12 4', '1 4'];
const OPTIMIZER_SYMBOLS: MarkerSymbol[] = ['circle', 'square', 'diamond', 'triangle', 'star'];
/** Lines of per-optimizer figures (throughput, noise), where the x axis already names the batch. */
const OPTIMIZER_COLOR = '#444444';

const batchOrder = (b: BatchSize) => (b === 'full' ? Infinity : b);

/** "batch 1 (SGD)", "batch 32", "full batch". */
export function batchLabel(b: BatchSize): string {
  if (b === 'full') return 'full batch';
  return b === 1 ? 'batch 1 (SGD)' : `batch ${b}`;
}

/** The name of one optimizer × batch-size series (a CSS class: letters, digits, dashes). */
export const batchSeriesName = (optimizer: string, b: BatchSize): string => `${optimizer}-b${b}`;

const optimizerLabel = (name: string) => CONTENDERS.find((c) => c.name === name)?.label ?? name;

/** The batch sizes of a race, smallest first, the full batch last. */
function sortedSizes(batch: BatchRaceRecord): BatchSize[] {
  return [...batch.batchSizes].sort((a, b) => batchOrder(a) - batchOrder(b));
}

/** The optimizers of a race, in the order its entries first name them. */
function optimizersOf(entries: readonly BatchRaceEntry[]): string[] {
  return [...new Set(entries.map((e) => e.optimizer))];
}

/**
 * The styles of a batch-size race: one series per optimizer × batch size (colour by batch size,
 * dash and marker by optimizer) and one per optimizer (dark, its dash and marker).
 */
export function batchContext(batch: BatchRaceRecord, r: CompareResults): FigureContext {
  const sizes = sortedSizes(batch);
  const k = sizes.length;
  const last = BATCH_COLORS.length - 1;
  const styles = new Map<string, SeriesStyle>();
  optimizersOf(batch.entries).forEach((o, j) => {
    const dash = OPTIMIZER_DASHES[j % OPTIMIZER_DASHES.length]!;
    const symbol = OPTIMIZER_SYMBOLS[j % OPTIMIZER_SYMBOLS.length]!;
    const label = optimizerLabel(o);
    styles.set(o, { label, color: OPTIMIZER_COLOR, dash, symbol });
    sizes.forEach((b, i) => {
      const color = BATCH_COLORS[k === 1 ? last : Math.round((i * last) / (k - 1))]!;
      styles.set(batchSeriesName(o, b), {
        label: `${label}, ${batchLabel(b)}`,
        color,
        dash,
        symbol,
      });
    });
  });
  return { styles, tuned: r.config.tuned, lr: r.config.lr };
}

/** The problems of a race, in the order its entries first name them. */
export function batchProblems(batch: BatchRaceRecord): string[] {
  return [...new Set(batch.entries.map((e) => e.problem))];
}

/** One problem's entries, by batch size (smallest first), then optimizer. */
function entriesOf(batch: BatchRaceRecord, problem: string): BatchRaceEntry[] {
  const sizes = sortedSizes(batch);
  const opts = optimizersOf(batch.entries);
  return batch.entries
    .filter((e) => e.problem === problem)
    .sort(
      (a, b) =>
        sizes.indexOf(a.batchSize) - sizes.indexOf(b.batchSize) ||
        opts.indexOf(a.optimizer) - opts.indexOf(b.optimizer),
    );
}

/** How the drawn runs' learning rates were set, for a caption. */
function lrNote(ctx: FigureContext): string {
  return ctx.tuned
    ? 'the learning rate tuned separately at each batch size (values in the table)'
    : `every run at the fixed lr ${formatNumber(ctx.lr)} (untuned)`;
}

/**
 * The training-set size of a problem, where the full batch sits on a batch-size axis. Exact from
 * batch 1 (one update per sample); otherwise the full batch's samples per update (throughput ×
 * time per update, a timing estimate) kept within what ceil(n / b) updates per epoch allows for
 * every other batch size. Null when nothing tells.
 */
export function trainingSetSize(
  entries: readonly BatchRaceEntry[],
): { n: number; exact: boolean } | null {
  let lo = 1;
  let hi = Infinity;
  for (const e of entries) {
    if (e.batchSize === 'full' || e.updatesPerEpoch <= 0) continue;
    if (e.batchSize === 1) return { n: e.updatesPerEpoch, exact: true };
    lo = Math.max(lo, (e.updatesPerEpoch - 1) * e.batchSize + 1);
    hi = Math.min(hi, e.updatesPerEpoch * e.batchSize);
  }
  const full = entries.find((e) => e.batchSize === 'full');
  const guess =
    full && full.samplesPerSecond !== null && full.msPerUpdate !== null
      ? (full.samplesPerSecond * full.msPerUpdate) / 1000
      : NaN;
  if (Number.isFinite(guess) && guess > 0) {
    const n = Math.round(Math.min(hi, Math.max(lo, guess)));
    return { n, exact: n === lo && n === hi };
  }
  if (Number.isFinite(hi)) return { n: Math.round((lo + hi) / 2), exact: lo === hi };
  return null;
}

/** A log2 batch-size axis: ticks at the raced sizes, the full batch at n and labelled "full". */
function batchAxis(entries: readonly BatchRaceEntry[], sizes: readonly BatchSize[]) {
  const size = trainingSetSize(entries);
  const numeric = sizes.filter((b): b is number => b !== 'full');
  // Without a size, the full batch sits one doubling past the largest batch raced.
  const fullAt = size?.n ?? 2 * Math.max(1, ...numeric);
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
      : `log2 axis; full batch drawn at the training-set size, ${size.exact ? '' : 'about '}${size.n}`;
  return { scale, at, where };
}

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

const warn = (text: string) => (text ? ` <span class="warn">${esc(text)}</span>` : '');

/** One problem's table: a row per batch size × optimizer, wrapped to scroll sideways. */
export function batchTable(batch: BatchRaceRecord, problem: string, ctx: FigureContext): string {
  const num = formatNumber;
  const target = batch.targets[problem] ?? null;
  const cols = [
    'batch',
    'optimizer',
    ctx.tuned ? 'tuned lr' : 'lr (fixed)',
    'updates / epoch',
    'final loss (median)',
    'test accuracy (median)',
    'time to target (ms, median)',
    'epochs to target (median)',
    'samples / s',
    'ms / update',
    'loss noise',
    'failed seeds',
  ];
  const rows = entriesOf(batch, problem).map((e) => {
    const toTarget = (x: number | null, digits: number) =>
      target === null ? 'no target' : x === null ? 'not reached' : num(x, digits);
    const cells = [
      esc(batchLabel(e.batchSize)),
      esc(optimizerLabel(e.optimizer)),
      e.lr === null ? '— (every lr failed)' : num(e.lr, 2),
      String(e.updatesPerEpoch),
      num(e.finalTrainLoss),
      num(e.testAccuracy),
      toTarget(e.timeToTargetMs, 3),
      toTarget(e.epochsToTarget, 3),
      num(e.samplesPerSecond, 3),
      num(e.msPerUpdate, 3),
      num(e.lossNoise, 2),
      `${e.failedSeeds}${e.failedSeeds > 0 ? warn('⚠') : ''}`,
    ];
    return `<tr>${cells.map((c, i) => `<td${i < 2 ? ' class="name"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  const head = cols.map((c, i) => `<th${i < 2 ? ' class="name"' : ''}>${esc(c)}</th>`).join('');
  return `<div class="scroll"><table><tr>${head}</tr>${rows.join('')}</table></div>`;
}

/** The section's opening: how the batch sizes were raced. */
function methodParagraph(batch: BatchRaceRecord, ctx: FigureContext): string {
  const sizes = sortedSizes(batch);
  const targets = batchProblems(batch)
    .map((p) => `${p}: ${formatNumber(batch.targets[p] ?? null)}`)
    .join('; ');
  const lr = ctx.tuned
    ? `The learning rate was tuned separately at each batch size, by the same protocol as the rest of the race (see Method), because the best lr moves with the batch: larger batches average away gradient noise and bear larger steps.`
    : `Every run used the fixed lr ${formatNumber(ctx.lr)} (untuned), which favours whichever batch size it happens to suit.`;
  return `<p>Each problem was trained at batch sizes ${esc(sizes.map((b) => (b === 'full' ? 'full' : String(b))).join(', '))}: batch 1 is stochastic gradient descent, the full batch (every training sample for each update) is batch gradient descent, the sizes between are mini-batch gradient descent. Every batch size ran with the same seeds, the same data order (one shuffle per epoch and seed, cut into batches of the size raced, so each sample is seen once per epoch) and the same number of epochs. ${esc(lr)} Numbers are medians over the seeds. Each problem has one target shared by all its batch sizes, 90% of the best improvement any of them made (${esc(targets)}); the time to target is the training time until the whole-training-set loss, checked at each epoch's end, first reached it. Throughput leaves the first epoch (JIT warm-up) off the clock; the time per update is a run's whole training time over its updates.</p>`;
}

/** The report's section on the batch-size race: the method, then each problem's figures and table. */
export function batchSection(batch: BatchRaceRecord, ctx: FigureContext) {
  const problems = batchProblems(batch)
    .map((p) => {
      const figs = [
        lossByEpochs(batch, p, ctx),
        lossByUpdates(batch, p, ctx),
        lossByTime(batch, p, ctx),
        throughputFigure(batch, p, ctx),
        msPerUpdateFigure(batch, p, ctx),
        noiseFigure(batch, p, ctx),
      ].join('');
      return `<h3 id="batch-race-${esc(p)}">${esc(p)}</h3>${batchTable(batch, p, ctx)}<div class="figs">${figs}</div>`;
    })
    .join('');
  return `<h2 id="batch-race">Batch, stochastic and mini-batch gradient descent</h2>${methodParagraph(batch, ctx)}${problems}`;
}

/** The figures behind one of the batch-size claims ('' for another id, or without the race). */
export function batchClaimFigure(
  id: string,
  batch: BatchRaceRecord | undefined,
  ctx: FigureContext | undefined,
): string {
  if (!batch || !ctx) return '';
  const each = (f: (b: BatchRaceRecord, p: string, c: FigureContext) => string) =>
    batchProblems(batch)
      .map((p) => f(batch, p, ctx))
      .join('');
  switch (id) {
    case 'fig-batch-updates':
      return each((b, p, c) => lossByUpdates(b, p, c) + msPerUpdateFigure(b, p, c));
    case 'fig-batch-noise':
      return each(noiseFigure);
    case 'fig-batch-time':
      return each(lossByTime);
    case 'fig-batch-throughput':
      return each(throughputFigure);
    default:
      return '';
  }
}
