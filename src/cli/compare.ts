import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { builtinRaceProblem, FULL_EXTRA, QUICK_SUITE } from '../lab/compare/builtin.ts';
import { evaluateClaims, type ClaimResult } from '../lab/compare/claims.ts';
import { CONTENDERS, DEFAULT_CONTENDERS } from '../lab/compare/contenders.ts';
import { workerExecutor } from '../lab/compare/pool.ts';
import type { Budget } from '../lab/compare/problems.ts';
import { compare, type CompareResults } from '../lab/compare/race.ts';
import { formatNumber } from '../lab/compare/report/plots.ts';
import { resultsJson, writeReport } from '../lab/compare/report/write.ts';
import { FASHION_MNIST_DIR } from '../lab/node/fashion.ts';
import { raceProgress } from '../lab/node/race-progress.ts';
import { PROBLEM_NAMES } from '../lab/problems.ts';
import type { BatchSize } from '../lab/sampler.ts';
import { batchSize, nameList, positiveInt, positiveNumber } from './args.ts';

interface CompareFlags {
  problem?: string[];
  optimizers?: string[];
  batchSize?: BatchSize;
  epochs?: number;
  seeds: number;
  budget: Budget;
  lr?: number;
  out: string;
  json?: boolean;
  quiet?: boolean;
  threads: number;
  backend: 'cpu' | 'wasm';
  data?: string;
}

function fashionInstalled(dir: string): boolean {
  return ['train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte'].some((f) =>
    existsSync(join(dir, f)),
  );
}

/** Terminal width the summary keeps to. */
export const SUMMARY_WIDTH = 100;

const width = (s: string) => [...s].length;
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));

/** Greedy word wrap to `cols` columns: the first line after `first`, the rest after `rest`. */
export function wrapText(text: string, cols: number, first = '', rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w)) {
    const sep = empty ? '' : ' ';
    if (!empty && width(line) + 1 + width(word) > cols) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    let w = word;
    // A word longer than a line is cut.
    while (empty && width(line) + width(w) > cols && cols - width(line) > 0) {
      const room = cols - width(line);
      lines.push(line + [...w].slice(0, room).join(''));
      w = [...w].slice(room).join('');
      line = rest;
    }
    line += (empty ? '' : sep) + w;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

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
    return `${rankText(rank)}${failed ? '!' : x.withinNoiseOfBest ? '*' : ''}`;
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
  const notes = [
    key ? `Problems: ${key}.` : '',
    'Ranks: 1 = best; exact ties share a rank (2.5). * not told apart from the best on that problem by the paired test over seeds; ! a seed diverged or never escaped there (such a row ranks behind every row without one).',
    r.overallTest
      ? `Mean ranks closer than CD = ${r.overallTest.criticalDifference.toFixed(1)} are not told apart at α = ${r.overallTest.alpha} over ${r.overallTest.problems} problems (Friedman p = ${formatNumber(r.overallTest.friedman.p, 2)}; Nemenyi, Demšar 2006).`
      : '',
  ].filter((x) => x);
  lines.push('');
  for (const n of notes) lines.push(...wrapText(n, W));
  lines.push('', 'The usual guidance, checked against this run:');
  for (const c of claims) lines.push(...wrapText(`[${c.verdict}] ${c.claim}`, W, '  ', '    '));
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}

/** `descent compare`: the race of optimizers, with a report. */
export function compareCommand(): Command {
  const known = [...PROBLEM_NAMES];
  return new Command('compare')
    .description(
      'Race optimizers under identical conditions (same seeds, start and data order, tuned learning rates) and write a report with plots and verdicts',
    )
    .option(
      '--problem <names>',
      `comma-separated problems (default: ${QUICK_SUITE.join(',')}); known: ${known.join(', ')}`,
      nameList(known),
    )
    .option(
      '--optimizers <names>',
      `comma-separated optimizers (default: ${DEFAULT_CONTENDERS.join(',')}); known: ${CONTENDERS.map((c) => c.name).join(', ')}`,
      nameList(CONTENDERS.map((c) => c.name)),
    )
    .option('--batch-size <b>', "override every data set's batch size: 'full', 1 or n", batchSize)
    .option(
      '--epochs <n>',
      "override every problem's epochs (a test function's epoch is one step)",
      positiveInt,
    )
    .option('--seeds <k>', 'seeds per optimizer', positiveInt, 3)
    .addOption(
      new Option(
        '--budget <b>',
        'quick: the default suite in under a minute; full: longer runs, finer grids, Fashion-MNIST if installed',
      )
        .choices(['quick', 'full'])
        .default('quick'),
    )
    .option('--lr <x>', 'a fixed learning rate for every optimizer (no tuning)', positiveNumber)
    .option('--out <dir>', 'where to write index.html and results.json', 'descent-report')
    .option('--json', 'print results.json to stdout instead of the ranking table')
    .option('--quiet', 'no progress bars')
    .option('--threads <n>', 'worker threads', positiveInt, Math.min(4, availableParallelism()))
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend for the MLPs')
        .choices(['cpu', 'wasm'])
        .default('wasm'),
    )
    .option('--data <dir>', `Fashion-MNIST directory (default ${FASHION_MNIST_DIR})`)
    .action(async (flags: CompareFlags) => {
      const names = [...(flags.problem ?? QUICK_SUITE)];
      const dataDir = flags.data ?? FASHION_MNIST_DIR;
      if (!flags.problem && flags.budget === 'full') {
        if (fashionInstalled(dataDir)) names.push(...FULL_EXTRA);
        else
          process.stderr.write(
            `note: Fashion-MNIST not found in ${dataDir}; install it with: apt-get install dataset-fashion-mnist\n`,
          );
      }
      const problems = names.map((n) =>
        builtinRaceProblem(n, flags.budget, {
          backend: flags.backend,
          ...(flags.data ? { dataDir: flags.data } : {}),
          ...(flags.epochs ? { epochs: flags.epochs } : {}),
          ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
        }),
      );
      const progress = raceProgress(flags.quiet === true || flags.json === true);
      const started = Date.now();
      let results: CompareResults;
      try {
        results = await compare({
          problems,
          ...(flags.optimizers ? { optimizers: flags.optimizers } : {}),
          seeds: flags.seeds,
          ...(flags.lr ? { lr: flags.lr } : {}),
          executor: workerExecutor(flags.threads),
          onProgress: (p) => progress.update(p),
        });
      } finally {
        progress.stop();
      }
      const claims = evaluateClaims(results);
      const command = `descent compare ${process.argv.slice(3).join(' ')}`.trim();
      const machine = `${availableParallelism()} cores, Node ${process.version}, ${flags.threads} worker thread(s)`;
      const paths = await writeReport(flags.out, results, claims, { command, machine });
      if (flags.json) {
        process.stdout.write(resultsJson({ ...results, claims }) + '\n');
        return;
      }
      process.stdout.write(summary(results, claims));
      process.stdout.write(
        `\nreport: ${paths.html}\nnumbers: ${paths.json}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
      );
    });
}
