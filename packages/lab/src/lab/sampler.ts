import { checkSeed, Rng, type RngState } from './rng.ts';
import { checkInteger } from 'descent-optim/internal/core/validate';

/** `'full'`: batch gradient descent; `1`: stochastic; `n > 1`: mini-batch. */
export type BatchSize = 'full' | number;

/**
 * Everything a {@link Sampler} needs to continue exactly where it was, as plain data. `rng` is the
 * generator's state at the start of epoch `epoch` (before that epoch's shuffle); `position` is how
 * many samples of that epoch have been handed out.
 */
export interface SamplerState {
  readonly size: number;
  readonly batchSize: BatchSize;
  readonly epoch: number;
  readonly position: number;
  readonly rng: RngState;
}

/** Checks a batch size against a data set of `size` samples and returns it as a number. */
export function resolveBatchSize(batchSize: BatchSize, size: number): number {
  if (batchSize === 'full') return size;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `batchSize must be 'full' or an integer >= 1, got ${JSON.stringify(batchSize)}`,
    );
  }
  return Math.min(batchSize, size);
}

/** Batches per epoch over `size` samples: ceil(size / batch), the last batch maybe smaller. */
export function stepsPerEpoch(size: number, batchSize: BatchSize): number {
  return Math.ceil(size / resolveBatchSize(batchSize, size));
}

/**
 * Hands out the indices of a data set in batches, reshuffled at the start of every epoch by a
 * seeded {@link Rng}. Every epoch visits each index exactly once; the last batch of an epoch is
 * smaller when the batch size does not divide the data set. The order depends only on the seed
 * and the data set size, so every optimizer trained with the same seed sees the same batches.
 * Full batches are shuffled too: that changes only the summation order, and keeps one code path.
 */
export class Sampler {
  readonly size: number;
  readonly batchSize: BatchSize;
  /** Samples per batch (the last batch of an epoch may be smaller). */
  readonly batch: number;
  /** Batches per epoch: ceil(size / batch). */
  readonly stepsPerEpoch: number;
  private readonly order: Uint32Array;
  private rng: Rng;
  private epochStart: RngState;
  private epochIndex = 0;
  private pos = 0;

  constructor(size: number, batchSize: BatchSize, seed: number) {
    checkInteger('Sampler', 'size', size);
    checkSeed(seed);
    this.size = size;
    this.batchSize = batchSize;
    this.batch = resolveBatchSize(batchSize, size);
    this.stepsPerEpoch = stepsPerEpoch(size, batchSize);
    this.order = new Uint32Array(size);
    this.rng = new Rng(seed);
    this.epochStart = this.rng.state();
    this.reshuffle();
  }

  /** Restores a sampler from {@link Sampler.state}: it continues with the same batches. */
  static fromState(state: SamplerState): Sampler {
    const s = new Sampler(state.size, state.batchSize, 0);
    if (!Number.isInteger(state.epoch) || state.epoch < 0) {
      throw new RangeError(`Sampler state: epoch must be an integer >= 0, got ${state.epoch}`);
    }
    if (!Number.isInteger(state.position) || state.position < 0 || state.position > state.size) {
      throw new RangeError(
        `Sampler state: position must be an integer in [0, ${state.size}], got ${state.position}`,
      );
    }
    s.rng = Rng.fromState(state.rng);
    s.epochStart = s.rng.state();
    s.reshuffle();
    s.epochIndex = state.epoch;
    s.pos = state.position;
    return s;
  }

  /** The epoch the next batch belongs to (0-based). */
  get epoch(): number {
    return this.pos >= this.size ? this.epochIndex + 1 : this.epochIndex;
  }

  /** The sampler's state as plain data (a copy). */
  state(): SamplerState {
    return {
      size: this.size,
      batchSize: this.batchSize,
      epoch: this.epochIndex,
      position: this.pos,
      rng: this.epochStart,
    };
  }

  /**
   * The indices of the next batch. The array is a view into the epoch's order: read it before
   * the next call, copy it to keep it.
   */
  next(): Uint32Array {
    if (this.pos >= this.size) {
      this.epochIndex++;
      this.pos = 0;
      this.epochStart = this.rng.state();
      this.reshuffle();
    }
    const start = this.pos;
    this.pos = Math.min(start + this.batch, this.size);
    return this.order.subarray(start, this.pos);
  }

  private reshuffle(): void {
    for (let i = 0; i < this.size; i++) this.order[i] = i;
    this.rng.shuffle(this.order);
  }
}
