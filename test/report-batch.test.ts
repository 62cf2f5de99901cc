import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { batchRace, type BatchRaceEntry } from '../packages/lab/src/lab/compare/batch-race.ts';
import { builtinRaceProblem } from '../packages/lab/src/lab/compare/builtin.ts';
import type { ClaimResult } from '../packages/lab/src/lab/compare/claims.ts';
import type { CompareResults } from '../packages/lab/src/lab/compare/results.ts';
import { trainingSetSize } from '../packages/lab/src/lab/compare/report/batch-size-plots.ts';
import {
  batchSeriesName,
  type BatchRaceRecord,
} from '../packages/lab/src/lab/compare/report/batch-style.ts';
import { renderReport } from '../packages/lab/src/lab/compare/report/html.ts';
import { writeReport } from '../packages/lab/src/lab/compare/report/write.ts';
import type { BatchSize } from '../packages/lab/src/lab/sampler.ts';

// What a tick label may look like: a plain decimal or mantissa·e·exponent, no SI letter.
const ML_NUMBER = /^-?\d+(\.\d+)?(e-?\d+)?$/;
const INFO = { command: 'test', machine: 'test' };
const PROBLEM = 'digits-logreg';

/** The four batch-size claims as the report receives them, each pointing at its figure. */
const BATCH_CLAIMS: ClaimResult[] = [
  ['batch-gd-slow-per-update', 'fig-batch-updates'],
  ['sgd-fluctuates', 'fig-batch-noise'],
  ['minibatch-fastest', 'fig-batch-time'],
  ['best-batch-in-8-256', 'fig-batch-throughput'],
].map(([id, figure]) => ({
  id: id!,
  claim: `The claim ${id}.`,
  requires: 'a batch-size race',
  evidence: 'Measured here.',
  verdict: 'supported',
  figure: figure!,
}));

const figures = (html: string) =>
  [...html.matchAll(/<figure\b[^>]*>([\s\S]*?)<\/figure>/g)].map((m) => m[1]!);
const legendOf = (fig: string) =>
  [...fig.matchAll(/<span class="key" data-series="([^"]+)"/g)].map((m) => m[1]!).sort();
const drawnIn = (fig: string) =>
  [...new Set([...fig.matchAll(/class="(?:series|marker)-([\w-]+)"/g)].map((m) => m[1]!))].sort();
const captionOf = (fig: string) => /<figcaption>([\s\S]*?)<\/figcaption>/.exec(fig)?.[1] ?? '';
const tickLabels = (html: string, axis = '[xy]') =>
  [
    ...html.matchAll(new RegExp(`aria-label="${axis}-axis tick label"[^>]*>([\\s\\S]*?)</g>`, 'g')),
  ].flatMap((m) =>
    [...m[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!.replace('−', '-')),
  );
/** The page from the batch section's heading to the next h2. */
const batchPart = (html: string) => {
  const start = html.indexOf('<h2 id="batch-race">');
  return start < 0 ? '' : html.slice(start, html.indexOf('<h2', start + 1));
};
/** One claim's block. */
const claimPart = (html: string, id: string) =>
  new RegExp(`<div class="claim" id="claim-${id}">[\\s\\S]*?(?=<div class="claim"|<h2)`).exec(
    html,
  )?.[0] ?? '';

describe('the report of a small batch-size race (Adam at batch 1, 32 and full; 2 seeds)', () => {
  const sizes: BatchSize[] = [1, 32, 'full'];
  let r: CompareResults;
  let batch: BatchRaceRecord;
  let html: string;
  let trainSize: number;
  before(async () => {
    const at = (b: BatchSize) => builtinRaceProblem(PROBLEM, 'quick', { epochs: 3, batchSize: b });
    const full = await batchRace({
      problems: [{ name: PROBLEM, at }],
      batchSizes: sizes,
      optimizers: ['adam'],
      seeds: 2,
    });
    const { race, ...record } = full;
    r = race;
    batch = record;
    trainSize = (await at('full').create(0)).trainSize;
    html = renderReport(r, BATCH_CLAIMS, INFO, batch);
  });

  test('the section follows the ranking and says how the race was run', () => {
    const at = html.indexOf(
      '<h2 id="batch-race">Batch, stochastic and mini-batch gradient descent</h2>',
    );
    assert.ok(at > html.indexOf('<h2 id="ranking">'), 'after the ranking');
    assert.ok(at < html.indexOf('<h2>The usual guidance'), 'before the claims');
    const intro = /<h2 id="batch-race">[^]*?<\/h2><p>([^]*?)<\/p>/.exec(html)![1]!;
    for (const words of [
      /same seeds/,
      /same data order/,
      /same number of epochs/,
      /tuned separately at each batch size/,
    ])
      assert.match(intro, words);
    assert.ok(intro.includes(`${PROBLEM}: ${Number(batch.targets[PROBLEM]!.toPrecision(3))}`));
  });

  test('each figure has a caption naming the problem and the per-batch-size lr', () => {
    const figs = figures(batchPart(html));
    assert.equal(figs.length, 6, 'loss by epochs, updates, time; throughput, ms/update, noise');
    for (const fig of figs) {
      const caption = captionOf(fig);
      assert.ok(caption.startsWith(`${PROBLEM}:`), caption);
      assert.match(caption, /tuned separately at each batch size/);
      assert.match(caption, /Read: /);
    }
  });

  test('legends list exactly the series each figure draws', () => {
    for (const fig of figures(html)) assert.deepEqual(legendOf(fig), drawnIn(fig));
    const loss = figures(batchPart(html)).filter((f) => f.includes('training-set loss'));
    assert.equal(loss.length, 3);
    for (const fig of loss)
      assert.deepEqual(legendOf(fig), sizes.map((b) => batchSeriesName('adam', b)).sort());
  });

  test('a run with nothing to draw is left out of the legends and named where missing', () => {
    const gone: BatchRaceRecord = structuredClone(batch);
    const e = gone.entries.find((x) => x.batchSize === 32)!;
    Object.assign(e, {
      lr: null,
      samplesPerSecond: null,
      msPerUpdate: null,
      lossNoise: null,
      curve: { epoch: [], loss: [], timeMs: [] },
    } satisfies Partial<BatchRaceEntry>);
    const figs = figures(batchPart(renderReport(r, [], INFO, gone)));
    assert.equal(figs.length, 6);
    for (const fig of figs) {
      assert.deepEqual(legendOf(fig), drawnIn(fig));
      assert.ok(!legendOf(fig).includes(batchSeriesName('adam', 32)));
    }
    const throughput = figs.find((f) => f.includes('training throughput'))!;
    assert.match(captionOf(throughput), /no value for Adam at batch 32/);
  });

  test('tick labels carry no SI prefix; the full batch is labelled "full"', () => {
    const labels = tickLabels(batchPart(html));
    assert.ok(labels.length > 20);
    for (const l of labels) assert.match(l, l === 'full' ? /^full$/ : ML_NUMBER);
    const throughput = figures(batchPart(html)).find((f) => f.includes('training throughput'))!;
    assert.deepEqual(tickLabels(throughput, 'x'), ['1', '32', 'full']);
    assert.match(captionOf(throughput), new RegExp(`training-set size, ${trainSize}\\)`));
  });

  test('the table scrolls sideways and says which runs never reached the target', () => {
    const part = batchPart(html);
    const tables = [...part.matchAll(/<table\b/g)].length;
    assert.equal(tables, 1);
    assert.equal([...part.matchAll(/<div class="scroll"><table\b/g)].length, 1);
    const rows = [...part.matchAll(/<tr><td/g)].length;
    assert.equal(rows, batch.entries.length);
    const unreached = batch.entries.filter((e) => e.timeToTargetMs === null).length;
    // Two columns (time and epochs to target) per run that never reached it.
    assert.equal([...part.matchAll(/<td>not reached<\/td>/g)].length, 2 * unreached);
  });

  test('each batch-size claim shows its figures', () => {
    const want: Record<string, RegExp[]> = {
      'batch-gd-slow-per-update': [/against parameter updates/, /time per parameter update/],
      'sgd-fluctuates': [/how much the loss of each update fluctuates/],
      'minibatch-fastest': [/against training wall time/],
      'best-batch-in-8-256': [/training throughput/],
    };
    for (const [id, captions] of Object.entries(want)) {
      const figs = figures(claimPart(html, id));
      assert.equal(figs.length, captions.length, id);
      figs.forEach((f, i) => assert.match(captionOf(f), captions[i]!));
    }
  });

  test('without batch data: no section, and the batch claims draw nothing', () => {
    const plain = renderReport(r, BATCH_CLAIMS, INFO);
    assert.doesNotMatch(plain, /id="batch-race/);
    for (const c of BATCH_CLAIMS) {
      const block = claimPart(plain, c.id);
      assert.ok(block.length > 0, c.id);
      assert.doesNotMatch(block, /<figure/);
    }
  });

  test('writeReport puts the batch race in the page and in results.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'descent-report-batch-'));
    try {
      const paths = await writeReport(dir, r, [], INFO, batch);
      assert.match(await readFile(paths.html, 'utf8'), /<h2 id="batch-race">/);
      const json = JSON.parse(await readFile(paths.json, 'utf8'));
      assert.equal(json.batchRace.length, batch.entries.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('where the full batch sits on the batch-size axis', () => {
  const entry = (b: BatchSize, trainSize: number) =>
    ({ batchSize: b, trainSize }) as BatchRaceEntry;
  const cases: [string, BatchRaceEntry[], number | null][] = [
    ['the recorded training-set size', [entry(32, 1442), entry('full', 1442)], 1442],
    ['an empty record', [], null],
  ];
  for (const [what, entries, want] of cases) {
    test(what, () => assert.equal(trainingSetSize(entries), want));
  }
});
