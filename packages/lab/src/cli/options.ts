import { Option } from 'commander';

// Options that several commands take, defined once so that their names, help and defaults agree.

/** `--data-file <csv>` (advise, compare, train): the user's own data set, see csvProblem. */
export const dataFileOption = () =>
  new Option(
    '--data-file <csv>',
    'a CSV file (optionally .gz): numeric features, integer class label last',
  );

/**
 * `--backend` (compare, train): wasm by default in both, for speed. Measured with `descent train
 * --problem digits-mlp --optimizer adam --epochs 5`, five pairs on 2 busy cores (load 3.6 to 7):
 * 0.25 to 0.43 s per epoch on wasm, 0.51 to 1.36 s on cpu, the same test accuracy; the README's
 * Fashion-MNIST table has 20 s against 95 to 125 s per epoch. (train defaulted to cpu before,
 * with no reason given.)
 */
export const backendOption = () =>
  new Option(
    '--backend <name>',
    'TensorFlow.js backend for the MLPs: wasm runs an epoch 2 to 5 times faster than cpu (plain JavaScript)',
  )
    .choices(['cpu', 'wasm'])
    .default('wasm');
