import { csvProblem, CSV_DEFAULTS } from '../lab/node/csv-problem.ts';
import { findProblem, type Problem } from '../lab/problems.ts';

/**
 * What `descent train` trains on: a built-in problem (`--problem`) or the user's CSV file
 * (`--data-file`, the same softmax regression as `advise` and `compare` race), exactly one.
 */
export function trainProblem(o: { problem?: string; dataFile?: string }): Problem {
  if ((o.problem === undefined) === (o.dataFile === undefined)) {
    throw new Error('train needs exactly one of --problem NAME or --data-file FILE');
  }
  if (o.problem !== undefined) {
    try {
      return findProblem(o.problem);
    } catch (e) {
      throw new Error(`--problem: ${(e as Error).message}`);
    }
  }
  const csv = csvProblem(o.dataFile!);
  return {
    name: csv.name,
    kind: 'dataset',
    description: csv.description,
    defaults: CSV_DEFAULTS,
    tfjs: false,
    // Softmax regression starts from zero weights: the seed only orders the data.
    create: () => csv.create(0),
  };
}
