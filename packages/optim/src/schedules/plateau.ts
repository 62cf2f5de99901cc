import { check, checkInteger } from '../core/validate.ts';
import { readHyper, writeHyper, type HyperKey, type Schedulable } from './scheduler.ts';

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  /** Lower bound, one for all groups or one per group. */
  minLr?: number | number[];
  eps?: number;
  key?: HyperKey;
}

export interface PlateauStateDict {
  type: 'ReduceLROnPlateau';
  lastEpoch: number;
  /**
   * The best metric so far. Before any, ±Infinity, which JSON cannot hold: the state dict writes
   * it as the string "Infinity" / "-Infinity" so that it survives `JSON.stringify`; `null` (what
   * JSON made of an infinite number) is read as the mode's starting value.
   */
  best: number | 'Infinity' | '-Infinity';
  numBadEpochs: number;
  cooldownCounter: number;
}

const NAME = 'ReduceLROnPlateau';

/**
 * Multiplies lr by `factor` once a monitored metric has not improved for more than `patience`
 * calls of `step(metric)`, then waits `cooldown` calls. Semantics and defaults of PyTorch's
 * `ReduceLROnPlateau` (mode min, factor 0.1, patience 10, threshold 1e-4 relative).
 */
export class ReduceLROnPlateau {
  lastEpoch = 0;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private readonly o: Required<Omit<PlateauOptions, 'minLr'>> & { minLr: number[] };

  constructor(
    readonly optimizer: Schedulable,
    options: PlateauOptions = {},
  ) {
    const groups = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    const o = {
      mode: options.mode ?? 'min',
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 10,
      threshold: options.threshold ?? 1e-4,
      thresholdMode: options.thresholdMode ?? 'rel',
      cooldown: options.cooldown ?? 0,
      minLr: Array.isArray(minLr) ? minLr.slice() : new Array<number>(groups).fill(minLr),
      eps: options.eps ?? 1e-8,
      key: options.key ?? 'lr',
    };
    check(NAME, 'mode', o.mode === 'min' || o.mode === 'max', '"min" or "max"', o.mode);
    check(NAME, 'factor', o.factor >= 0 && o.factor < 1, 'in [0, 1)', o.factor);
    checkInteger(NAME, 'patience', o.patience, 0);
    check(
      NAME,
      'threshold',
      Number.isFinite(o.threshold) && o.threshold >= 0,
      'a finite number >= 0',
      o.threshold,
    );
    check(
      NAME,
      'thresholdMode',
      o.thresholdMode === 'rel' || o.thresholdMode === 'abs',
      '"rel" or "abs"',
      o.thresholdMode,
    );
    checkInteger(NAME, 'cooldown', o.cooldown, 0);
    check(
      NAME,
      'minLr',
      o.minLr.length === groups && o.minLr.every((x) => x >= 0),
      `>= 0, one value or one per group (${groups})`,
      minLr,
    );
    optimizer.paramGroups.forEach((g) => readHyper(g, o.key, NAME));
    this.o = o;
    this.best = o.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.o;
    const best = this.best;
    if (mode === 'min')
      return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /**
   * Reports the metric of the epoch (or step) just finished. A NaN metric is accepted, as PyTorch
   * does, and counts as no improvement (a diverged epoch is a bad epoch); a non-number is refused.
   */
  step(metric: number): void {
    if (typeof metric !== 'number') {
      throw new TypeError(`${NAME}: step(metric) needs a number, got ${String(metric)}`);
    }
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.o.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const old = readHyper(g, this.o.key, NAME);
        const next = Math.max(old * this.o.factor, this.o.minLr[i] as number);
        if (old - next > this.o.eps) writeHyper(g, this.o.key, next);
      });
      this.cooldownCounter = this.o.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => readHyper(g, this.o.key, NAME));
  }

  stateDict(): PlateauStateDict {
    const { lastEpoch, numBadEpochs, cooldownCounter } = this;
    const best = Number.isFinite(this.best) ? this.best : this.best > 0 ? 'Infinity' : '-Infinity';
    return { type: NAME, lastEpoch, best, numBadEpochs, cooldownCounter };
  }

  /** Restores a state from {@link stateDict} (also after a JSON round trip); refuses any other. */
  loadStateDict(s: PlateauStateDict): void {
    const bad = (why: string): never => {
      throw new RangeError(`${NAME}: cannot load scheduler state: ${why}`);
    };
    if (s === null || typeof s !== 'object') bad(`expected an object, got ${String(s)}`);
    if (s.type !== NAME) bad(`type is ${JSON.stringify(s.type)}, expected "${NAME}"`);
    for (const key of ['lastEpoch', 'numBadEpochs', 'cooldownCounter'] as const) {
      const x = s[key];
      if (!Number.isInteger(x) || x < 0) bad(`${key} must be an integer >= 0, got ${String(x)}`);
    }
    const raw = s.best as unknown;
    const best =
      raw === null
        ? this.o.mode === 'min'
          ? Infinity
          : -Infinity
        : raw === 'Infinity'
          ? Infinity
          : raw === '-Infinity'
            ? -Infinity
            : raw;
    if (typeof best !== 'number' || Number.isNaN(best)) {
      bad(`best must be a number, "Infinity" or "-Infinity", got ${JSON.stringify(raw)}`);
    }
    this.lastEpoch = s.lastEpoch;
    this.best = best as number;
    this.numBadEpochs = s.numBadEpochs;
    this.cooldownCounter = s.cooldownCounter;
  }
}
