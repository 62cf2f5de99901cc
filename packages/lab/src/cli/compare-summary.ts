import type { ClaimResult } from '../lab/compare/claims.ts';
import { formatNumber } from '../lab/compare/report/axes.ts';
import type { BatchRaceResult } from '../lab/compare/batch-race.ts';
import type { CompareResults } from '../lab/compare/results.ts';
import { overallTentative, TENTATIVE } from '../lab/compare/report/tables.ts';
import { SUMMARY_WIDTH, width, wrapText } from './text.ts';

export { SUMMARY_WIDTH };

// What `descent compare` prints when the race is done: the ranking table and the verdicts.

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));

/** Short unique column headers (at most 6 characters) for problem names. */
export function abbreviate(names: readonly string[], max = 6): string[] {
  const out: string[] = [];
  for (const name of names) {
    const parts = name.split('-').filter((x) => x);
    let short =
      name.length <= max
        ? name
        : parts.length > 1
          ? `${parts[0]!.slice(0, max - 3)}-${parts.at(-1)!.slice(0, 2)}`
          : name.slice(0, max);
    for (let k = 2; out.includes(short); k++) short = short.slice(0, max - String(k).length) + k;
    out.push(short);
  }
  return out;
}

const rankText = (x: number) => String(Number(x.toFixed(2)));

/**
 * The terminal summary, within 100 columns whatever the number of problems: the overall ranking
 * (shared ranks, mean rank, each problem's rank under a short header, a key to the headers),
 * the test across problems, then the claims' verdicts.
 */
export function summary(
  r: CompareResults,
  claims: readonly Pick<ClaimResult, 'verdict' | 'claim'>[],
): string {
  const W = SUMMARY_WIDTH;
  const names = r.problems.map((p) => p.name);
  const short = abbreviate(names);
  const label = Math.max(9, ...r.overall.map((o) => width(o.label))) + 2;
  const col = 7;
  const cell = (o: CompareResults['overall'][number], pi: number) => {
    const p = r.problems[pi]!;
    const x = p.optimizers.find((q) => q.name === o.optimizer);
    const rank = o.ranks[p.name];
    if (!x || rank === undefined) return '-';
    const failed = x.summary.failedSeeds > 0;
    return `${rankText(rank)}${failed ? '!' : x.withinNoiseOfBest ? '*' : ''}${x.degenerateAs ? '=' : ''}`;
  };
  const lines = [''];
  // The first block carries rank and mean rank; any further block repeats only the names.
  const lead = 6 + label + 11;
  const firstCols = Math.max(1, Math.floor((W - lead) / col));
  const moreCols = Math.max(1, Math.floor((W - label) / col));
  const blocks: number[][] = [];
  for (let i = 0; i < names.length;) {
    const n = blocks.length === 0 ? firstCols : moreCols;
    blocks.push(names.slice(i, i + n).map((_, k) => i + k));
    i += n;
  }
  if (blocks.length === 0) blocks.push([]);
  blocks.forEach((cols, b) => {
    if (b > 0) lines.push('');
    const head = cols.map((i) => pad(short[i]!, col)).join('');
    lines.push(
      (b === 0
        ? `${pad('rank', 6)}${pad('optimizer', label)}${pad('mean rank', 11)}`
        : pad('optimizer', label)) + head,
    );
    for (const o of r.overall) {
      const row = cols.map((i) => pad(cell(o, i), col)).join('');
      lines.push(
        (b === 0
          ? `${pad(rankText(o.rank), 6)}${pad(o.label, label)}${pad(o.meanRank.toFixed(2), 11)}`
          : pad(o.label, label)) + row,
      );
    }
  });
  const key = names
    .map((n, i) => (short[i] === n ? '' : `${short[i]}=${n}`))
    .filter((x) => x)
    .join(', ');
  // Who was exactly another optimizer where (Muon+AdamW without matrices is AdamW).
  const same = new Map<string, string[]>();
  for (const p of r.problems) {
    for (const o of p.optimizers) {
      const d = o.degenerateAs;
      if (!d) continue;
      const k = `${o.label} was ${d.label} (${d.reason})`;
      same.set(k, [...(same.get(k) ?? []), p.name]);
    }
  }
  const sameText = [...same].map(([k, ps]) => `${k} on ${ps.join(', ')}`).join('; ');
  const notes = [
    key ? `Problems: ${key}.` : '',
    sameText ? `= exactly another optimizer there: ${sameText}.` : '',
    "Ranks: 1 = best; exact ties share a rank (2.5). * within the seeds' noise of the best on that problem (its 95% bootstrap interval over seeds holds the best); ! a seed failed there: diverged, never escaped, or ended above its start (such a row ranks behind every row without one).",
    r.overallTest
      ? `Mean ranks closer than CD = ${r.overallTest.criticalDifference.toFixed(1)} are not told apart at α = ${r.overallTest.alpha} over ${r.overallTest.problems} problems (Friedman p = ${formatNumber(r.overallTest.friedman.p, 2)}; Nemenyi, Demšar 2006).${overallTentative(r) ? ` ${TENTATIVE}` : ''}`
      : '',
  ].filter((x) => x);
  lines.push('');
  for (const n of notes) lines.push(...wrapText(n, W));
  lines.push('', 'The usual guidance, checked against this run:');
  for (const c of claims) lines.push(...wrapText(`[${c.verdict}] ${c.claim}`, W, '  ', '    '));
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}

const cell = (x: number | null, digits = 3) => (x === null ? '—' : formatNumber(x, digits));

/**
 * The batch-size race on a terminal, one line per problem, optimizer and batch size, within
 * SUMMARY_WIDTH columns: the tuned lr, updates per epoch, final loss, time to the shared target,
 * throughput and the noise of the per-update loss.
 */
export function batchSummary(b: BatchRaceResult): string {
  const head = [
    'problem',
    'optimizer',
    'batch',
    'lr',
    'upd/ep',
    'final loss',
    'to target',
    'samples/s',
    'noise',
  ];
  const rows = b.entries.map((e) => [
    e.problem,
    e.optimizer,
    String(e.batchSize),
    cell(e.lr, 2),
    String(e.updatesPerEpoch),
    cell(e.finalTrainLoss),
    e.timeToTargetMs === null ? 'not reached' : `${cell(e.timeToTargetMs / 1000, 2)} s`,
    cell(e.samplesPerSecond === null ? null : Math.round(e.samplesPerSecond), 3),
    cell(e.lossNoise, 2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .slice(0, SUMMARY_WIDTH);
  const targets = Object.entries(b.targets)
    .map(([p, t]) => `${p} ${cell(t)}`)
    .join(', ');
  const notes = wrapText(
    `Batch sizes raced with the same seeds, data order and epochs, the lr tuned for each. "to target": median training time until the whole-training-set loss first reached the problem's target (90% of the best improvement at any batch size: ${targets}), checked at epoch ends. samples/s: training throughput on this machine, first epoch off the clock. noise: sd of the per-update loss around its trend.`,
    SUMMARY_WIDTH,
  );
  return ['', line(head), ...rows.map(line), '', ...notes, ''].join('\n');
}
