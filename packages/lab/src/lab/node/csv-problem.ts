import type { RaceProblem } from '../compare/race-problem.ts';
import type { Split } from '../dataset.ts';
import { softmaxModel } from '../models/softmax.ts';
import type { BatchSize } from '../sampler.ts';
import { loadCsvSplit } from './csv.ts';

/** Epochs and batch size of a CSV problem unless the command says otherwise. */
export const CSV_DEFAULTS = { epochs: 10, batchSize: 32 } as const;

// A race builds the problem once per batch size: the file is read once.
const splits = new Map<string, Split>();

/**
 * A CSV file (see {@link loadCsvSplit}) as a race problem: softmax regression on its features,
 * 80/20 split, weights from zero. Reads the file now, so that a bad file fails before any run.
 */
export function csvProblem(
  path: string,
  o: { batchSize?: BatchSize; epochs?: number } = {},
): RaceProblem {
  let split = splits.get(path);
  if (!split) {
    split = loadCsvSplit(path);
    splits.set(path, split);
  }
  const { train, test } = split;
  return {
    name: path,
    description: `softmax regression on ${path} (${train.size} train, ${test.size} test rows, ${train.features} features)`,
    kind: 'dataset',
    epochs: o.epochs ?? CSV_DEFAULTS.epochs,
    batchSize: o.batchSize ?? CSV_DEFAULTS.batchSize,
    objective: 'loss',
    create: async () => softmaxModel(train, test),
  };
}
