import type { Gradients } from 'descent-optim/internal/core/optimizer';
import { createOptimizer } from 'descent-optim/internal/optimizers';
import type { FloatBuffer, Shape } from 'descent-optim/internal/core/types';
import { checkInteger } from 'descent-optim/internal/core/validate';
import { fnv1a64 } from './hash.ts';
import type { Model } from './model.ts';
import { Sampler, type BatchSize, type SamplerState } from './sampler.ts';

/**
 * What the loop needs of an optimizer: parameter groups (the first one's `lr` is recorded) and a
 * step. Every descent optimizer fits, and so do the wrappers (Switch, SWATS, Lookahead, ...).
 */
export interface LoopOptimizer {
  readonly paramGroups: readonly object[];
  step(grads: Gradients): void;
  /**
   * The point to evaluate at, where it is not the parameters being stepped (Schedule-Free's
   * x, ASGD's average), copied into `out`: evaluations then measure it (see
   * {@link Trainer.atEvalPoint}).
   */
  evalParams?(out: FloatBuffer[]): FloatBuffer[];
}

/**
 * Builds the optimizer over the model's parameters (for wrappers and custom setups), given their
 * shapes where the model knows them (`Model.shapes`: undefined when all are vectors).
 */
export type OptimizerFactory = (
  params: FloatBuffer[],
  shapes: readonly Shape[] | undefined,
) => LoopOptimizer;

/** Options of {@link Trainer}. */
export interface TrainOptions {
  /** An optimizer name for `createOptimizer` (with `optimizerOptions`), or a factory. */
  optimizer: string | OptimizerFactory;
  /** Options for a named optimizer (`{ lr: 1e-3 }`); defaults are the optimizer's own. */
  optimizerOptions?: Record<string, unknown>;
  /** Builds a scheduler over the optimizer; its `step()` runs after every optimizer step. */
  scheduler?: (optimizer: LoopOptimizer) => { step(): void };
  /** Epochs to run (for a test function an epoch is one step). */
  epochs: number;
  /** `'full'` (batch GD), `1` (SGD) or n (mini-batch); default `'full'`. */
  batchSize?: BatchSize;
  /** Seed of the data order (default 0). */
  seed?: number;
  /** Keep per-step curves (default true; off for long runs that only need epochs). */
  recordSteps?: boolean;
  /** Also keep the parameters at every step (for 2-D trajectories; default false). */
  recordParams?: boolean;
  /** Called after every step. */
  onStep?: (record: StepRecord) => void;
  /** Called after every epoch. */
  onEpoch?: (record: EpochRecord) => void;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** What one step did. */
export interface StepRecord {
  /** 1-based step count. */
  readonly step: number;
  /** 0-based epoch the step belongs to. */
  readonly epoch: number;
  /** Mean loss of the batch, before the update. */
  readonly loss: number;
  /** Learning rate of the first parameter group when the step ran. */
  readonly lr: number;
  /** L2 norm of the gradient over all parameters. */
  readonly gradNorm: number;
  /** L2 norm of the change the step made to the parameters. */
  readonly updateNorm: number;
  /** Training wall time so far, ms (evaluation excluded). */
  readonly timeMs: number;
}

/** What one epoch did. */
export interface EpochRecord {
  /** 1-based count of completed epochs. */
  readonly epoch: number;
  /** Steps so far. */
  readonly steps: number;
  /** Mean batch loss over the epoch, weighted by batch size. */
  readonly trainLoss: number;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** Training wall time so far, ms (evaluation excluded). */
  readonly timeMs: number;
}

/** Per-step curves, one array per quantity (compact and ready to plot). */
export interface StepCurves {
  loss: number[];
  lr: number[];
  gradNorm: number[];
  updateNorm: number[];
  timeMs: number[];
  /** With `recordParams`: the parameters at which each step's loss and gradient were taken. */
  params?: number[][];
}

/** Per-epoch curves. */
export interface EpochCurves {
  steps: number[];
  trainLoss: number[];
  testLoss: (number | null)[];
  testAccuracy: (number | null)[];
  timeMs: number[];
}

/** Where and why training stopped early. */
export interface Divergence {
  readonly step: number;
  readonly epoch: number;
  readonly reason: string;
}

/** The outcome, free of timings: two runs of the same setup give equal `final` objects. */
export interface FinalSummary {
  /** Mean loss over the whole training set at the final parameters (null if not finite). */
  readonly trainLoss: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** FNV-1a 64 of the final parameter bytes, in order. */
  readonly paramsHash: string;
  readonly steps: number;
  readonly epochs: number;
  readonly diverged: boolean;
}

/**
 * The loop's own state as plain data: counters, the curves so far and the sampler. With the
 * parameters and the optimizer's (and scheduler's) `stateDict()` it is a complete checkpoint.
 */
export interface TrainerState {
  stepCount: number;
  trainMs: number;
  epochLoss: number;
  epochSamples: number;
  epochStep: number;
  steps: StepCurves;
  epochs: EpochCurves;
  divergence: Divergence | null;
  sampler: SamplerState;
}

/** Everything a run recorded. */
export interface TrainResult {
  readonly optimizer: string;
  readonly batchSize: BatchSize;
  readonly stepsPerEpoch: number;
  readonly seed: number;
  readonly steps: StepCurves;
  readonly epochs: EpochCurves;
  readonly divergence: Divergence | null;
  readonly final: FinalSummary;
  /** Training wall time, ms (evaluation excluded). */
  readonly timeMs: number;
}

const finiteOrNull = (x: number | undefined): number | null =>
  x !== undefined && Number.isFinite(x) ? x : null;

function sumSquares(bufs: readonly FloatBuffer[]): number {
  let s = 0;
  for (const b of bufs) for (let i = 0; i < b.length; i++) s += b[i]! * b[i]!;
  return s;
}

/**
 * The training loop, one step at a time: draws a batch from a seeded {@link Sampler}, asks the
 * model for loss and gradient, steps the optimizer, and records loss, learning rate, gradient
 * norm, update norm and wall time; evaluates at the end of each epoch. A non-finite loss,
 * gradient or parameter stops training and is recorded as a {@link Divergence}, not thrown.
 * Browser-safe: `step()` can be driven from an animation frame.
 */
export class Trainer {
  readonly model: Model;
  readonly optimizer: LoopOptimizer;
  private readonly scheduler: { step(): void } | null;
  sampler: Sampler;
  readonly epochs: number;
  readonly steps: StepCurves = { loss: [], lr: [], gradNorm: [], updateNorm: [], timeMs: [] };
  readonly epochCurves: EpochCurves = {
    steps: [],
    trainLoss: [],
    testLoss: [],
    testAccuracy: [],
    timeMs: [],
  };
  divergence: Divergence | null = null;
  private readonly options: TrainOptions;
  private readonly grads: FloatBuffer[];
  private readonly previous: FloatBuffer[];
  /** The training point, kept while an evaluation runs at the optimizer's eval point. */
  private readonly stash: FloatBuffer[];
  private readonly evalPoint: FloatBuffer[];
  private readonly now: () => number;
  private stepCount = 0;
  private trainMs = 0;
  private epochLoss = 0;
  private epochSamples = 0;
  private epochStep = 0;

  constructor(model: Model, options: TrainOptions) {
    this.model = model;
    this.options = options;
    checkInteger('Trainer', 'epochs', options.epochs);
    this.epochs = options.epochs;
    this.optimizer =
      typeof options.optimizer === 'function'
        ? options.optimizer(model.params, model.shapes)
        : createOptimizer(
            options.optimizer,
            // With the model's shapes, its state (and a checkpoint of it) records them too, as
            // PyTorch's does; a rule whose math ignores shape steps exactly as on plain buffers.
            model.shapes ? [{ params: model.params, shapes: [...model.shapes] }] : model.params,
            options.optimizerOptions ?? {},
          );
    this.scheduler = options.scheduler ? options.scheduler(this.optimizer) : null;
    this.sampler = new Sampler(model.trainSize, options.batchSize ?? 'full', options.seed ?? 0);
    this.grads = model.params.map(
      (p) => new (p.constructor as new (n: number) => FloatBuffer)(p.length),
    );
    this.previous = model.params.map((p) => p.slice());
    const averaging = this.optimizer.evalParams !== undefined;
    this.stash = averaging ? model.params.map((p) => p.slice()) : [];
    this.evalPoint = averaging ? model.params.map((p) => p.slice()) : [];
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs `measure` with the model's parameters at the optimizer's evaluation point, where it has
   * one (Schedule-Free's x, ASGD's average: the point such a method answers with), then puts the
   * training point back exactly, from a copy (an eval/train round trip would round it). Every
   * evaluation of the loop goes through here: epoch ends, the final result.
   */
  atEvalPoint<T>(measure: () => T): T {
    const { optimizer } = this;
    if (!optimizer.evalParams) return measure();
    const params = this.model.params;
    params.forEach((p, i) => this.stash[i]!.set(p));
    optimizer.evalParams(this.evalPoint);
    params.forEach((p, i) => p.set(this.evalPoint[i]!));
    try {
      return measure();
    } finally {
      params.forEach((p, i) => p.set(this.stash[i]!));
    }
  }

  /** Steps taken so far. */
  get stepsTaken(): number {
    return this.stepCount;
  }

  /** Epochs completed so far. */
  get epochsDone(): number {
    return this.epochCurves.steps.length;
  }

  /** True when all epochs ran or training diverged. */
  get done(): boolean {
    return this.divergence !== null || this.epochsDone >= this.epochs;
  }

  /** The loop's state (a copy); see {@link TrainerState}. */
  stateDict(): TrainerState {
    return structuredClone({
      stepCount: this.stepCount,
      trainMs: this.trainMs,
      epochLoss: this.epochLoss,
      epochSamples: this.epochSamples,
      epochStep: this.epochStep,
      steps: this.steps,
      epochs: this.epochCurves,
      divergence: this.divergence,
      sampler: this.sampler.state(),
    });
  }

  /**
   * Continues from a saved {@link TrainerState}. It must come from the same data and batch size
   * (else a RangeError, and nothing changes); restore the parameters and the optimizer too.
   */
  loadStateDict(state: TrainerState): void {
    const bad = (why: string): never => {
      throw new RangeError(`Trainer: cannot load state: ${why}`);
    };
    const counters = [state?.stepCount, state?.epochStep, state?.epochSamples];
    if (!counters.every((c) => Number.isInteger(c) && c >= 0))
      bad('counters must be integers >= 0');
    if (
      state.sampler?.size !== this.sampler.size ||
      state.sampler.batchSize !== this.sampler.batchSize
    ) {
      bad(
        `it samples ${String(state.sampler?.size)} rows in batches of ${String(state.sampler?.batchSize)}, this run ${this.sampler.size} in batches of ${this.sampler.batchSize}`,
      );
    }
    const sampler = Sampler.fromState(state.sampler);
    const copy = structuredClone(state);
    this.sampler = sampler;
    this.stepCount = copy.stepCount;
    this.trainMs = copy.trainMs;
    this.epochLoss = copy.epochLoss;
    this.epochSamples = copy.epochSamples;
    this.epochStep = copy.epochStep;
    this.divergence = copy.divergence;
    for (const k of Object.keys(this.steps) as (keyof StepCurves)[]) delete this.steps[k];
    Object.assign(this.steps, copy.steps);
    Object.assign(this.epochCurves, copy.epochs);
  }

  /** Runs one step (and the epoch's evaluation when it ends the epoch); null when done. */
  step(): StepRecord | null {
    if (this.done) return null;
    const { model, optimizer, grads, previous } = this;
    if (this.options.recordParams) {
      (this.steps.params ??= []).push(model.params.flatMap((p) => Array.from(p)));
    }
    const t0 = this.now();
    const epoch = this.epochsDone;
    const batch = this.sampler.next();
    const batchLength = batch.length;
    const loss = model.lossAndGrad(batch, grads);
    const gradNorm = Math.sqrt(sumSquares(grads));
    const lr = (optimizer.paramGroups[0] as { lr?: number } | undefined)?.lr ?? NaN;
    let updateNorm = NaN;
    let reason: string | null = null;
    if (!Number.isFinite(loss)) reason = `loss is ${loss}`;
    else if (!Number.isFinite(gradNorm)) reason = 'gradient is not finite';
    else {
      model.params.forEach((p, i) => previous[i]!.set(p));
      optimizer.step(grads);
      this.scheduler?.step();
      let s = 0;
      model.params.forEach((p, i) => {
        const q = previous[i]!;
        for (let k = 0; k < p.length; k++) s += (p[k]! - q[k]!) ** 2;
      });
      updateNorm = Math.sqrt(s);
      if (!Number.isFinite(updateNorm)) reason = 'parameters are not finite after the update';
    }
    this.trainMs += this.now() - t0;
    this.stepCount++;
    const record: StepRecord = {
      step: this.stepCount,
      epoch,
      loss,
      lr,
      gradNorm,
      updateNorm,
      timeMs: this.trainMs,
    };
    if (this.options.recordSteps !== false) {
      this.steps.loss.push(loss);
      this.steps.lr.push(lr);
      this.steps.gradNorm.push(gradNorm);
      this.steps.updateNorm.push(updateNorm);
      this.steps.timeMs.push(this.trainMs);
    }
    this.options.onStep?.(record);
    if (reason !== null) {
      this.divergence = { step: this.stepCount, epoch, reason };
      return record;
    }
    this.epochLoss += loss * batchLength;
    this.epochSamples += batchLength;
    if (++this.epochStep === this.sampler.stepsPerEpoch) this.endEpoch();
    return record;
  }

  private endEpoch(): void {
    const test = this.atEvalPoint(() => this.model.test());
    const record: EpochRecord = {
      epoch: this.epochsDone + 1,
      steps: this.stepCount,
      trainLoss: this.epochLoss / this.epochSamples,
      testLoss: test ? test.loss : null,
      testAccuracy: test ? test.accuracy : null,
      timeMs: this.trainMs,
    };
    const c = this.epochCurves;
    c.steps.push(record.steps);
    c.trainLoss.push(record.trainLoss);
    c.testLoss.push(record.testLoss);
    c.testAccuracy.push(record.testAccuracy);
    c.timeMs.push(record.timeMs);
    this.epochLoss = 0;
    this.epochSamples = 0;
    this.epochStep = 0;
    this.options.onEpoch?.(record);
  }

  /**
   * The run's result so far, with the final evaluation at the current parameters (at the
   * optimizer's eval point where it has one, see {@link Trainer.atEvalPoint}).
   */
  result(): TrainResult {
    const { trainLoss, test } = this.atEvalPoint(() => ({
      trainLoss: this.model.trainLoss(),
      test: this.model.test(),
    }));
    return {
      optimizer:
        typeof this.options.optimizer === 'string'
          ? this.options.optimizer
          : ((this.optimizer as { name?: string }).name ?? this.optimizer.constructor.name),
      batchSize: this.sampler.batchSize,
      stepsPerEpoch: this.sampler.stepsPerEpoch,
      seed: this.options.seed ?? 0,
      steps: this.steps,
      epochs: this.epochCurves,
      divergence: this.divergence,
      final: {
        trainLoss: finiteOrNull(trainLoss),
        testLoss: finiteOrNull(test?.loss),
        testAccuracy: finiteOrNull(test?.accuracy),
        paramsHash: fnv1a64(this.model.params),
        steps: this.stepCount,
        epochs: this.epochsDone,
        diverged: this.divergence !== null,
      },
      timeMs: this.trainMs,
    };
  }

  /** Runs to the end synchronously and returns the result. */
  run(): TrainResult {
    while (this.step());
    return this.result();
  }
}

/**
 * Trains `model` to the end and returns the result. At the end of an epoch, when 16 ms or more
 * have passed since it last did, it yields to the event loop, so progress bars and pages stay
 * live (yielding every epoch would cost a timer tick per step on a test function).
 */
export async function train(model: Model, options: TrainOptions): Promise<TrainResult> {
  const trainer = new Trainer(model, options);
  const now = options.now ?? (() => performance.now());
  let epoch = 0;
  let last = now();
  while (trainer.step()) {
    if (trainer.epochsDone !== epoch) {
      epoch = trainer.epochsDone;
      if (now() - last >= 16) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        last = now();
      }
    }
  }
  return trainer.result();
}
