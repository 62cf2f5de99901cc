import type { Split } from './dataset.ts';
import { TEST_FUNCTIONS } from './functions.ts';
import type { Model } from './model.ts';
import { functionModel } from './models/function.ts';
import { sparseLogisticModel } from './models/logistic.ts';
import type { TfBackend } from './models/mlp-tfjs.ts';
import { softmaxModel } from './models/softmax.ts';
import { loadDigits } from './node/digits.ts';
import { FASHION_MNIST_DIR, loadFashionMnist } from './node/fashion.ts';
import type { BatchSize } from './sampler.ts';
import { makeSparseLogreg } from './sparse.ts';

/** How a problem is built for one run. */
export interface CreateOptions {
  /** Seed of the initial weights where they are random (the MLPs); default 0. */
  seed?: number;
  /** tfjs backend for the MLPs (default 'cpu'). */
  backend?: TfBackend;
  /** Directory of the Fashion-MNIST IDX files (default Debian's). */
  dataDir?: string;
}

/** A built-in problem: what it is, sensible run defaults, and how to build it. */
export interface Problem {
  readonly name: string;
  readonly kind: 'function' | 'dataset';
  readonly description: string;
  /** Default epochs and batch size for `descent train` (a test function's epoch is one step). */
  readonly defaults: { readonly epochs: number; readonly batchSize: BatchSize };
  /** Whether it needs TensorFlow.js. */
  readonly tfjs: boolean;
  create(options?: CreateOptions): Promise<Model>;
}

/** Data seed of `sparse-logreg`: the data set is fixed; a run's seed changes only the order. */
export const SPARSE_LOGREG_DATA_SEED = 0;

async function mlp(split: Split, hidden: number[], o: CreateOptions): Promise<Model> {
  // Loaded on demand: tfjs is an optional peer dependency.
  const { mlpModel } = await import('./models/mlp-tfjs.ts');
  return mlpModel(split.train, split.test, {
    hidden,
    seed: o.seed ?? 0,
    backend: o.backend ?? 'cpu',
  });
}

// Data sets are read or generated once per process and shared by every model built on them
// (models never write their data): a race builds hundreds of models on the same data.
function once<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}
const digits = once(loadDigits);
const sparseData = once(() => makeSparseLogreg({ seed: SPARSE_LOGREG_DATA_SEED }));
const fashionByDir = new Map<string | undefined, ReturnType<typeof loadFashionMnist>>();
function fashion(dir: string | undefined): ReturnType<typeof loadFashionMnist> {
  let split = fashionByDir.get(dir);
  if (!split) fashionByDir.set(dir, (split = loadFashionMnist(dir)));
  return split;
}

const DATASET_PROBLEMS: Problem[] = [
  {
    name: 'digits-logreg',
    kind: 'dataset',
    description: 'softmax regression on the embedded UCI digits (64 pixels, 10 classes)',
    defaults: { epochs: 10, batchSize: 32 },
    tfjs: false,
    create: async () => {
      const { train, test } = digits();
      return softmaxModel(train, test);
    },
  },
  {
    name: 'digits-mlp',
    kind: 'dataset',
    description: 'MLP 64-128-64-10 (ReLU) on the embedded UCI digits, gradients from tfjs',
    defaults: { epochs: 10, batchSize: 32 },
    tfjs: true,
    create: (o = {}) => mlp(digits(), [128, 64], o),
  },
  {
    name: 'fashion-logreg',
    kind: 'dataset',
    description: `softmax regression on Fashion-MNIST (784 pixels, 10 classes; ${FASHION_MNIST_DIR} or --data)`,
    defaults: { epochs: 3, batchSize: 128 },
    tfjs: false,
    create: async (o = {}) => {
      const { train, test } = fashion(o.dataDir);
      return softmaxModel(train, test);
    },
  },
  {
    name: 'fashion-mlp',
    kind: 'dataset',
    description: 'MLP 784-256-128-10 (ReLU) on Fashion-MNIST, gradients from tfjs',
    defaults: { epochs: 3, batchSize: 128 },
    tfjs: true,
    create: (o = {}) => mlp(fashion(o.dataDir), [256, 128], o),
  },
  {
    name: 'sparse-logreg',
    kind: 'dataset',
    description:
      'logistic regression on synthetic sparse data: 1000 Zipf-distributed features, rare ones informative',
    defaults: { epochs: 10, batchSize: 32 },
    tfjs: false,
    create: async () => {
      const { train, test } = sparseData();
      return sparseLogisticModel(train, test);
    },
  },
];

const FUNCTION_PROBLEMS: Problem[] = TEST_FUNCTIONS.map((fn) => ({
  name: fn.name,
  kind: 'function' as const,
  description: `${fn.title}: ${fn.formula}, from (${fn.start.join(', ')})`,
  defaults: { epochs: 500, batchSize: 'full' as const },
  tfjs: false,
  create: async () => functionModel(fn),
}));

/** Every built-in problem: the data-set problems, then the test functions. */
export const PROBLEMS: readonly Problem[] = [...DATASET_PROBLEMS, ...FUNCTION_PROBLEMS];

/** The names of {@link PROBLEMS}. */
export const PROBLEM_NAMES: readonly string[] = PROBLEMS.map((p) => p.name);

/** Looks a problem up by name; throws a RangeError that lists the known names. */
export function findProblem(name: string): Problem {
  const p = PROBLEMS.find((q) => q.name === name);
  if (!p) {
    throw new RangeError(`unknown problem "${name}"; known: ${PROBLEM_NAMES.join(', ')}`);
  }
  return p;
}
