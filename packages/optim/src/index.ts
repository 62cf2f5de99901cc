export { Optimizer, type Gradients } from './core/optimizer.ts';
export type { Rule, RuleTraits, SlotSpec } from './core/rule.ts';
export {
  STATE_DICT_VERSION,
  type OptimizerStateDict,
  type GroupStateDict,
  type ParamStateDict,
} from './core/state-dict.ts';
export type {
  CommonOptions,
  FloatBuffer,
  ParamGroup,
  ParamGroupSpec,
  ParamState,
  ParamsInput,
  SparseGradient,
  NonFinitePolicy,
  StepOptions,
  OptimizerOptions,
} from './core/types.ts';
export {
  createOptimizer,
  findOptimizer,
  OPTIMIZERS,
  OPTIMIZER_NAMES,
  matrixShape,
  paramKinds,
  paramsAs,
  type OptimizerName,
} from './optimizers.ts';
export type {
  LabEntry,
  OptimizerDescriptor,
  ParamKind,
  Slider,
  TfTrain,
} from './core/descriptor.ts';

export { SGD, sgdRule, type SGDOptions } from './rules/sgd.ts';
export { Adagrad, adagradRule, type AdagradOptions } from './rules/adagrad.ts';
export { Adadelta, adadeltaRule, type AdadeltaOptions } from './rules/adadelta.ts';
export { RMSprop, rmspropRule, type RMSpropOptions } from './rules/rmsprop.ts';
export {
  Adam,
  AdamW,
  adamRule,
  adamWRule,
  type AdamOptions,
  type AdamWOptions,
} from './rules/adam.ts';
export { Adamax, adamaxRule, type AdamaxOptions } from './rules/adamax.ts';
export { NAdam, nadamRule, type NAdamOptions } from './rules/nadam.ts';
export { RAdam, radamRule, type RAdamOptions } from './rules/radam.ts';
export { SparseAdam, sparseAdamRule, type SparseAdamOptions } from './rules/sparse-adam.ts';
export { Lion, lionRule, type LionOptions } from './rules/lion.ts';
export { LAMB, LAMB as Lamb, lambRule, type LambOptions } from './rules/lamb.ts';
export { LARS, larsRule, type LARSOptions } from './rules/lars.ts';
export {
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  ScheduleFreeOptimizer,
  scheduleFreeAdamWRule,
  scheduleFreeSGDRule,
  type ScheduleFreeAdamWOptions,
  type ScheduleFreeSGDOptions,
  type ScheduleFreeCommon,
  type ScheduleFreeMode,
  type ScheduleFreeStateDict,
} from './rules/schedule-free.ts';
export { Rprop, rpropRule, type RpropOptions } from './rules/rprop.ts';
export { ASGD, asgdRule, type ASGDOptions } from './rules/asgd.ts';
export { ADOPT, adoptRule, type ADOPTOptions } from './rules/adopt.ts';
export { AdEMAMix, ademamixRule, type AdEMAMixOptions } from './rules/ademamix.ts';
export {
  LBFGS,
  lbfgsRule,
  type LBFGSOptions,
  type LBFGSClosure,
  type LBFGSStepReport,
  type LBFGSHistory,
  type LBFGSStateDict,
} from './rules/lbfgs.ts';
export {
  Adafactor,
  adafactorRule,
  createAdafactorRule,
  type AdafactorOptions,
} from './rules/adafactor.ts';
export {
  Muon,
  muonRule,
  createMuonRule,
  type MuonAdjustLr,
  type MuonOptions,
} from './rules/muon.ts';
export { matmul } from './linalg/matmul.ts';
export { Prodigy, prodigyRule, type ProdigyOptions } from './rules/prodigy.ts';
export {
  clipGradNorm,
  clipGradValue,
  totalNorm,
  isSparse,
  type Gradient,
} from './core/gradients.ts';

export {
  chained,
  constantFactor,
  cosineAnnealing,
  cosineWarmRestarts,
  exponential,
  lambdaFactor,
  linearFactor,
  multiStep,
  polynomial,
  sequential,
  stepDecay,
  type Schedule,
} from './schedules/closed-form.ts';
export { cyclic, oneCycle, type CyclicOptions, type OneCycleOptions } from './schedules/cycles.ts';
export {
  Scheduler,
  type HyperKey,
  type Schedulable,
  type SchedulerStateDict,
  type Track,
} from './schedules/scheduler.ts';
export {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  PolynomialLR,
  SequentialLR,
  StepLR,
} from './schedules/torch-schedulers.ts';
export {
  ReduceLROnPlateau,
  type PlateauOptions,
  type PlateauStateDict,
} from './schedules/plateau.ts';
export { createScheduler, SCHEDULER_TYPES } from './schedules/create-scheduler.ts';
export type { Stepper } from './wrappers/stepper.ts';
export {
  Accumulate,
  type AccumulateOptions,
  type AccumulateStateDict,
} from './wrappers/accumulate.ts';
export { Lookahead, type LookaheadOptions, type LookaheadStateDict } from './wrappers/lookahead.ts';
export { Partition, type PartitionStateDict } from './wrappers/partition.ts';
export {
  Switch,
  type SwitchEvent,
  type SwitchOptions,
  type SwitchStateDict,
  type SwitchTrigger,
} from './wrappers/switch.ts';
export { SWATS, type SWATSOptions } from './wrappers/swats.ts';
export { swatsStep, type SwatsState } from './wrappers/swats-criterion.ts';
export { fastPathLoaded, fastPathsEnabled, setFastPaths } from './kernels/fast-path.ts';
