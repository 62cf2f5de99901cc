import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { batchRace, type BatchRaceResult } from '../lab/compare/batch-race.ts';
import {
  BATCH_SUITE,
  builtinRaceProblem,
  FULL_EXTRA,
  QUICK_SUITE,
} from '../lab/compare/builtin.ts';
import { evaluateClaims } from '../lab/compare/claims.ts';
import { evaluateBatchClaims } from '../lab/compare/claims/batch-sizes.ts';
import {
  CONTENDERS,
  DEFAULT_CONTENDERS,
  FULL_CONTENDERS,
  contendersFor,
} from '../lab/compare/contenders.ts';
import { workerExecutor } from '../lab/compare/worker-pool.ts';
import type { Budget } from '../lab/compare/race-problem.ts';
import { compare } from '../lab/compare/race.ts';
import type { CompareResults } from '../lab/compare/results.ts';
import {
  batchRaceFields,
  resultsJson,
  writeReport,
  type BatchRaceRecord,
} from '../lab/compare/report/write.ts';
import { FASHION_MNIST_DIR } from '../lab/node/fashion.ts';
import { csvProblem } from '../lab/node/csv-problem.ts';
import { raceProgress } from '../lab/node/race-progress.ts';
import { progressStyle } from '../lab/node/terminal.ts';
import { PROBLEM_NAMES } from '../lab/problems.ts';
import type { BatchSize } from '../lab/sampler.ts';
import { batchSize, batchSizeList, nameList, positiveInt, positiveNumber } from './args.ts';
import { batchSummary, summary } from './compare-summary.ts';
import { backendOption, dataFileOption } from './options.ts';
import { ensureWritableDir } from './writable.ts';

interface CompareFlags {
  problem?: string[];
  dataFile?: string;
  optimizers?: string[];
  batchSize?: BatchSize;
  batchSizes?: BatchSize[];
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

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function fashionInstalled(dir: string): boolean {
  return ['train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte'].some((f) =>
    existsSync(join(dir, f)),
  );
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
      `comma-separated problems (default: ${QUICK_SUITE.join(',')}, none with --data-file); known: ${known.join(', ')}`,
      nameList(known),
    )
    .addOption(dataFileOption())
    .option(
      '--optimizers <names>',
      `comma-separated optimizers (default: ${DEFAULT_CONTENDERS.join(',')}; with --budget full also ${FULL_CONTENDERS.filter((n) => !DEFAULT_CONTENDERS.includes(n)).join(',')}); known: ${CONTENDERS.map((c) => c.name).join(', ')} (muon: Muon on the matrix weights with AdamW at the same lr for the rest; on a problem without matrices it is AdamW, and the report says so)`,
      nameList(CONTENDERS.map((c) => c.name)),
    )
    .option('--batch-size <b>', "override every data set's batch size: 'full', 1 or n", batchSize)
    .option(
      '--batch-sizes <list>',
      "race batch ('full'), stochastic (1) and mini-batch GD: each data problem at each of these batch sizes (e.g. 1,8,32,128,full), the lr tuned per batch size (default problem: digits-logreg)",
      batchSizeList,
    )
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
    .option('--quiet', 'no progress (bars on a terminal, plain lines on stderr elsewhere)')
    .option('--threads <n>', 'worker threads', positiveInt, Math.min(4, availableParallelism()))
    .addOption(backendOption())
    .option('--data <dir>', `Fashion-MNIST directory (default ${FASHION_MNIST_DIR})`)
    .action(async (flags: CompareFlags) => {
      if (flags.batchSizes && flags.batchSize !== undefined) {
        throw new Error('--batch-sizes and --batch-size exclude each other: give one');
      }
      // Before any work: a path that cannot be written would otherwise lose the whole race.
      const undo = ensureWritableDir(flags.out, '--out');
      try {
        await runCompare(flags);
      } catch (e) {
        undo();
        throw e;
      }
    });
}

/** The race, the report and the summary of `descent compare`, its flags checked. */
async function runCompare(flags: CompareFlags): Promise<void> {
  const file = flags.dataFile;
  // The default suite unless problems are named, by --problem or --data-file (or both).
  const suite = !flags.problem && file === undefined;
  const names = [...(flags.problem ?? (suite ? QUICK_SUITE : [])), ...(file ? [file] : [])];
  const dataDir = flags.data ?? FASHION_MNIST_DIR;
  if (suite && flags.budget === 'full') {
    if (fashionInstalled(dataDir)) names.push(...FULL_EXTRA);
    else
      process.stderr.write(
        `note: Fashion-MNIST not found in ${dataDir}; install it with: apt-get install dataset-fashion-mnist\n`,
      );
  }
  const build = (n: string, b?: BatchSize) =>
    n === file
      ? csvProblem(n, {
          ...(flags.epochs ? { epochs: flags.epochs } : {}),
          ...(b !== undefined ? { batchSize: b } : {}),
        })
      : builtinRaceProblem(n, flags.budget, {
          backend: flags.backend,
          ...(flags.data ? { dataDir: flags.data } : {}),
          ...(flags.epochs ? { epochs: flags.epochs } : {}),
          ...(b !== undefined ? { batchSize: b } : {}),
        });
  const progress = raceProgress(progressStyle(flags.quiet === true));
  const optimizerCount = (flags.optimizers ?? contendersFor(flags.budget)).length;
  const started = Date.now();
  let results: CompareResults;
  let batch: BatchRaceResult | undefined;
  try {
    const common = {
      // Named here: the library's default is the thorough (`full`) budget's list.
      optimizers: flags.optimizers ?? contendersFor(flags.budget),
      seeds: flags.seeds,
      ...(flags.lr ? { lr: flags.lr } : {}),
      executor: workerExecutor(flags.threads),
      onProgress: (p: Parameters<typeof progress.update>[0]) => progress.update(p),
    };
    if (flags.batchSizes) {
      const data = (suite ? ['digits-logreg'] : names).filter((n) => build(n).kind === 'dataset');
      if (data.length === 0) {
        throw new Error(
          `--batch-sizes races data problems (a test function has no batches); none among: ${names.join(', ')}`,
        );
      }
      progress.begin(
        `batch-size race: ${data.join(', ')} at batch sizes ${flags.batchSizes.join(', ')}, ${plural(optimizerCount, 'optimizer')}, ${plural(flags.seeds, 'seed')}`,
        0,
      );
      batch = await batchRace({
        ...common,
        problems: data.map((n) => ({ name: n, at: (b: BatchSize) => build(n, b) })),
        batchSizes: flags.batchSizes,
      });
      results = batch.race;
    } else {
      progress.begin(
        `race: ${plural(names.length, 'problem')}, ${plural(optimizerCount, 'optimizer')}, ${plural(flags.seeds, 'seed')}`,
        names.length,
      );
      results = await compare({
        ...common,
        problems: names.map((n) => build(n, flags.batchSize)),
      });
      // The default suite also races batch sizes, on a problem and optimizers of its own.
      if (suite && flags.batchSize === undefined) {
        const plan = BATCH_SUITE[flags.budget];
        const opts = flags.optimizers ? flags.optimizers.slice(0, 1) : plan.optimizers;
        progress.begin(
          `batch-size race: ${plan.problem} at batch sizes ${plan.batchSizes.join(', ')}, ${opts.join(', ')}`,
          0,
        );
        batch = await batchRace({
          ...common,
          optimizers: opts,
          problems: [
            {
              name: plan.problem,
              at: (b: BatchSize) =>
                builtinRaceProblem(plan.problem, flags.budget, {
                  backend: flags.backend,
                  epochs: flags.epochs ?? plan.epochs,
                  batchSize: b,
                }),
            },
          ],
          batchSizes: plan.batchSizes,
        });
      }
    }
  } finally {
    progress.stop();
  }
  // A batch-size race's problems are one problem at several batch sizes: the optimizer
  // claims would count them as separate problems, so such a race is judged on its own claims.
  const claims = [
    ...(batch?.race === results ? [] : evaluateClaims(results)),
    ...(batch ? evaluateBatchClaims(batch) : []),
  ];
  const command = `descent compare ${process.argv.slice(3).join(' ')}`.trim();
  const machine = `${availableParallelism()} cores, Node ${process.version}, ${flags.threads} worker thread(s)`;
  const record: BatchRaceRecord | undefined = batch
    ? { batchSizes: batch.batchSizes, targets: batch.targets, entries: batch.entries }
    : undefined;
  const paths = await writeReport(flags.out, results, claims, { command, machine }, record);
  if (flags.json) {
    process.stdout.write(resultsJson({ ...results, claims, ...batchRaceFields(record) }) + '\n');
    return;
  }
  process.stdout.write(summary(results, claims));
  if (batch) process.stdout.write(batchSummary(batch));
  process.stdout.write(
    `\nreport: ${paths.html}\nnumbers: ${paths.json}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
}
