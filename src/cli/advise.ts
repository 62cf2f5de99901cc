import { Command } from 'commander';
import { advise } from '../lab/compare/advise.ts';
import { builtinRaceProblem } from '../lab/compare/builtin.ts';
import { workerExecutor } from '../lab/compare/pool.ts';
import type { RaceProblem } from '../lab/compare/problems.ts';
import { softmaxModel } from '../lab/models/softmax.ts';
import { loadCsvSplit } from '../lab/node/csv.ts';
import { PROBLEM_NAMES } from '../lab/problems.ts';
import type { BatchSize } from '../lab/sampler.ts';
import { nameList, positiveInt } from './args.ts';

interface AdviseFlags {
  problem?: string[];
  dataFile?: string;
  seeds: number;
  json?: boolean;
}

/** A CSV file as a race problem: softmax regression on its features, 80/20 split. */
function csvProblem(path: string, batchSize: BatchSize = 32): RaceProblem {
  const split = loadCsvSplit(path);
  return {
    name: path,
    description: `softmax regression on ${path} (${split.train.size} train, ${split.test.size} test rows, ${split.train.features} features)`,
    kind: 'dataset',
    epochs: 10,
    batchSize,
    objective: 'loss',
    create: async () => softmaxModel(split.train, split.test),
  };
}

/** `descent advise`: the selection guidance applied to a problem, then checked by a short race. */
export function adviseCommand(): Command {
  return new Command('advise')
    .description(
      'Inspect a problem (gradient sparsity, size, gradient noise), recommend an optimizer, learning rate and batch size, and verify it with a short race against the runner-up',
    )
    .option(
      '--problem <name>',
      `a built-in problem: ${PROBLEM_NAMES.join(', ')}`,
      nameList([...PROBLEM_NAMES]),
    )
    .option(
      '--data-file <csv>',
      'a CSV file (optionally .gz): numeric features, integer class label last',
    )
    .option('--seeds <k>', 'seeds of the trial race', positiveInt, 2)
    .option('--json', 'print the advice as JSON')
    .action(async (flags: AdviseFlags) => {
      if ((flags.problem ? 1 : 0) + (flags.dataFile ? 1 : 0) !== 1) {
        throw new Error('advise needs exactly one of --problem NAME or --data-file FILE');
      }
      if (flags.problem && flags.problem.length !== 1) throw new Error('advise takes one problem');
      const name = flags.problem?.[0];
      const problem = name ? builtinRaceProblem(name, 'quick') : csvProblem(flags.dataFile!);
      const resize = (b: BatchSize) =>
        name
          ? builtinRaceProblem(name, 'quick', problem.kind === 'dataset' ? { batchSize: b } : {})
          : csvProblem(flags.dataFile!, b);
      const a = await advise(problem, { seeds: flags.seeds, resize, executor: workerExecutor() });
      if (flags.json) {
        process.stdout.write(
          JSON.stringify(
            a,
            (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
            1,
          ) + '\n',
        );
        return;
      }
      const p = a.profile;
      process.stdout.write(
        [
          `problem: ${a.problem} (${p.params} parameters, ${p.trainSize} training samples)`,
          `measured: ${(100 * p.gradientZeroFraction).toFixed(0)}% zero gradient coordinates per batch, ${(100 * p.rareCoordinates).toFixed(0)}% rare coordinates, gradient-noise scale ${p.noiseScale.toFixed(1)}`,
          '',
          `recommended: ${a.recommended.optimizer} at lr ${a.recommended.lr ?? '-'}, batch size ${a.recommended.batchSize}`,
          `runner-up:   ${a.runnerUp.optimizer} at lr ${a.runnerUp.lr ?? '-'}`,
          '',
          a.reason,
          '',
          a.trial.verdict,
          '',
        ].join('\n'),
      );
    });
}
