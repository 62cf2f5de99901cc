// The race as a library: `compare` on built-in problems or your own, the claims, the report.
export {
  advise,
  decide,
  guidance,
  TRIAL_ALTERNATIVES,
  TRIAL_SEEDS,
  type Advice,
  type Decision,
  type TrialOptimizer,
  type TrialProblem,
  type TrialScore,
} from './advise.ts';
export {
  batchRace,
  variantName,
  type BatchRaceEntry,
  type BatchRaceOptions,
  type BatchRaceProblem,
  type BatchRaceResult,
} from './batch-race.ts';
export {
  builtinRaceProblem,
  BATCH_SUITE,
  QUICK_SUITE,
  FULL_EXTRA,
  type BuiltinOptions,
} from './builtin.ts';
export { evaluateClaims, type ClaimResult, type Verdict } from './claims.ts';
export { evaluateBatchClaims } from './claims/batch-sizes.ts';
export { lossNoise } from './noise.ts';
export {
  fastestBatch,
  measureThroughput,
  THROUGHPUT_BATCHES,
  type BatchSpeed,
} from './throughput.ts';
export { CONTENDERS, DEFAULT_CONTENDERS, findContender, type Contender } from './contenders.ts';
export { baseGrid, lrGrid, lrOf, EXTEND_DECADES, type LrGrid } from './grid.ts';
export { inspectProblem, type ProblemProfile } from './inspect.ts';
export { workerExecutor } from './worker-pool.ts';
export {
  functionProblem,
  seededStart,
  ESCAPE_LOSS,
  type Budget,
  type RaceProblem,
} from './race-problem.ts';
export {
  compare,
  inlineExecutor,
  CANDIDATES,
  type CompareOptions,
  type Executor,
  type Job,
  type Progress,
} from './race.ts';
export { ALPHA, rankProblem } from './ranking.ts';
export {
  bootstrapMeanInterval,
  intervalText,
  pairedInterval,
  type PairedInterval,
} from './bootstrap.ts';
export type {
  Candidate,
  CompareResults,
  OptimizerResult,
  OptimizerSummary,
  OverallRow,
  OverallTest,
  PerformanceProfileResult,
  ProblemResult,
  Standing,
} from './results.ts';
export { renderReport, type ReportInfo } from './report/html.ts';
export {
  batchRaceFields,
  resultsJson,
  writeReport,
  type BatchRaceRecord,
  type ResultsFile,
} from './report/write.ts';
export { runOne, BLOW_UP, type LossLows, type RunRecord } from './run.ts';
export { expectedBestOfK, goodLrs } from './tuning.ts';
export { modelProblem, objectiveProblem, type ModelSpec, type ObjectiveSpec } from './user.ts';
