// The browser-safe part of the lab: no Node built-ins, no TensorFlow.js. The playground and any
// page can import this entry (`descent-lab/browser`).
export { Rng, checkSeed, type RngState } from './rng.ts';
export { Sampler, resolveBatchSize, type BatchSize, type SamplerState } from './sampler.ts';
export { fnv1a64 } from './hash.ts';
export {
  TEST_FUNCTIONS,
  testFunction,
  rosenbrock,
  beale,
  himmelblau,
  makeRastrigin,
  makeAckley,
  makeQuadratic,
  saddle,
  monkeySaddle,
  type TestFunction,
} from './functions.ts';
export { selectRows, gatherRows, type Dataset, type Split } from './dataset.ts';
export { parseDigitsCsv, splitDigits, isDigitsTestRow, DIGITS_SIZE } from './digits.ts';
export { parseIdx, idxToDataset, type IdxArray } from './idx.ts';
export {
  makeSparseLogreg,
  type SparseDataset,
  type SparseLogreg,
  type SparseLogregOptions,
} from './sparse.ts';
export type { Model, TestResult } from './model.ts';
export { functionModel, type FunctionModelOptions } from './models/function.ts';
export { softmaxModel } from './models/softmax.ts';
export { sparseLogisticModel } from './models/logistic.ts';
export {
  Trainer,
  train,
  type TrainOptions,
  type OptimizerFactory,
  type LoopOptimizer,
  type StepRecord,
  type EpochRecord,
  type StepCurves,
  type EpochCurves,
  type Divergence,
  type FinalSummary,
  type TrainResult,
} from './trainer.ts';
