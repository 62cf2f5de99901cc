import type { BatchRaceEntry, BatchRaceResult } from '../batch-race.ts';
import { CONTENDERS } from '../contenders.ts';
import type { CompareResults } from '../results.ts';
import type { BatchSize } from '../../sampler.ts';
import { formatNumber } from './axes.ts';
import type { FigureContext, MarkerSymbol, SeriesStyle } from './series-style.ts';

// What the batch-size race's figures and table share: the record, the labels of batch sizes and
// optimizers, the series styles (colour by batch size, dash and marker by optimizer), and the
// order in which a problem's entries are drawn.

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

export const optimizerLabel = (name: string) =>
  CONTENDERS.find((c) => c.name === name)?.label ?? name;

/** The batch sizes of a race, smallest first, the full batch last. */
export function sortedSizes(batch: BatchRaceRecord): BatchSize[] {
  return [...batch.batchSizes].sort((a, b) => batchOrder(a) - batchOrder(b));
}

/** The optimizers of a race, in the order its entries first name them. */
export function optimizersOf(entries: readonly BatchRaceEntry[]): string[] {
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
export function entriesOf(batch: BatchRaceRecord, problem: string): BatchRaceEntry[] {
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
export function lrNote(ctx: FigureContext): string {
  return ctx.tuned
    ? 'the learning rate tuned separately at each batch size (values in the table)'
    : `every run at the fixed lr ${formatNumber(ctx.lr)} (untuned)`;
}
