// The lab for Node (`descent-lab`): everything browser-safe, plus the data-set loaders, the
// built-in problem registry and the tfjs MLP (which loads TensorFlow.js only when called).
// In Node the lab runs the optimizers with the wasm kernels (the browser entry does not load them).
import 'descent-optim/fast';
export * from './browser.ts';
export { loadDigits } from './node/digits.ts';
export { loadFashionMnist, FASHION_MNIST_DIR } from './node/fashion.ts';
export { loadCsvSplit } from './node/csv.ts';
export { mlpModel, loadTf, type MlpOptions, type TfBackend } from './models/mlp-tfjs.ts';
export {
  PROBLEMS,
  PROBLEM_NAMES,
  SPARSE_LOGREG_DATA_SEED,
  findProblem,
  type Problem,
  type CreateOptions,
} from './problems.ts';
export { tfjsModel, type TfjsProblem } from './models/tfjs-model.ts';
export * from './compare/index.ts';
