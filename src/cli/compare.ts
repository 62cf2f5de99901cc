import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { builtinRaceProblem, FULL_EXTRA, QUICK_SUITE } from '../lab/compare/builtin.ts';
import { evaluateClaims } from '../lab/compare/claims.ts';
import { CONTENDERS, DEFAULT_CONTENDERS } from '../lab/compare/contenders.ts';
import { workerExecutor } from '../lab/compare/pool.ts';
import type { Budget } from '../lab/compare/problems.ts';
import { compare } from '../lab/compare/race.ts';
import type { CompareResults } from '../lab/compare/results.ts';
import { resultsJson, writeReport } from '../lab/compare/report/write.ts';
import { FASHION_MNIST_DIR } from '../lab/node/fashion.ts';
import { raceProgress } from '../lab/node/race-progress.ts';
import { PROBLEM_NAMES } from '../lab/problems.ts';
import type { BatchSize } from '../lab/sampler.ts';
import { batchSize, nameList, positiveInt, positiveNumber } from './args.ts';
import { summary } from './compare-summary.ts';

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
