import { formatNumber } from './axes.ts';
import { lossByEpochs, lossByTime, lossByUpdates } from './batch-curves.ts';
import { msPerUpdateFigure, noiseFigure, throughputFigure } from './batch-size-plots.ts';
import {
  batchLabel,
  batchProblems,
  entriesOf,
  optimizerLabel,
  sortedSizes,
  type BatchRaceRecord,
} from './batch-style.ts';
import { esc } from './escape.ts';
import type { FigureContext } from './series-style.ts';

// The batch-size race in the report: batch, stochastic and mini-batch gradient descent compared
// by loss against epochs, updates and wall time, by throughput, cost per update and loss noise,
// and in one table per problem; and the figures behind the batch-size claims.

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
