import type { Schedule } from './closed-form.ts';

/** Anything with PyTorch-style parameter groups: a descent optimizer or a wrapper around one. */
export interface Schedulable {
  readonly paramGroups: readonly object[];
}

/** A hyper-parameter key: a numeric option (`lr`, `momentum`, `weightDecay`) or `betas.0`. */
export type HyperKey = string;

export interface Track {
  key: HyperKey;
  schedule: Schedule;
}

export interface SchedulerStateDict {
  type: string;
  lastEpoch: number;
  /** Base value of every track for every group, as when the scheduler was built. */
  bases: number[][];
}

// The first scheduler on a group records the hyper-parameter's base (PyTorch's `initial_lr`),
// so that schedulers built one after another (SequentialLR, chaining) share the same base.
const initialValues = new WeakMap<object, Map<string, number>>();

function splitKey(key: HyperKey): [string, number | null] {
  const m = /^(\w+)\.(\d+)$/.exec(key);
  return m ? [m[1] as string, Number(m[2])] : [key, null];
}

/** Reads a numeric hyper-parameter of a group (`betas.0` reads the first beta). */
export function readHyper(group: object, key: HyperKey, owner: string): number {
  const [name, index] = splitKey(key);
  const raw = (group as Record<string, unknown>)[name];
  const value = index === null ? raw : Array.isArray(raw) ? raw[index] : undefined;
  if (typeof value !== 'number') {
    throw new RangeError(
      `${owner}: key "${key}" is not a numeric hyper-parameter of the optimizer`,
    );
  }
  return value;
}

/**
 * Refuses a value a schedule computed before it reaches a group: NaN or an infinity (a LambdaLR
 * that divides by zero, say) would otherwise fail only at the optimizer's next step, far from its
 * cause. A finite negative value is written, as PyTorch writes it: OneCycleLR's linear anneal,
 * stepped once more after the last optimizer step as the usual loop does, ends slightly below 0;
 * an optimizer step at a negative lr is then refused by the optimizer, naming it.
 */
export function checkHyper(owner: string, key: HyperKey, group: number, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(
      `${owner}: the schedule gave ${key} = ${String(value)} for param group ${group}; it must be a finite number (nothing was changed)`,
    );
  }
}

/** Writes a numeric hyper-parameter of a group. */
export function writeHyper(group: object, key: HyperKey, value: number): void {
  const [name, index] = splitKey(key);
  const g = group as Record<string, unknown>;
  if (index === null) g[name] = value;
  else (g[name] as number[])[index] = value;
}

/**
 * Drives hyper-parameters of an optimizer's groups from closed-form schedules, in PyTorch's
 * order: build it (step index 0 applied), then after every `optimizer.step()` call
 * `scheduler.step()`. The state is the step index alone, plus the bases it was built with.
 */
export class Scheduler {
  /** Step index: 0 after construction, +1 per `step()` (PyTorch's `last_epoch`). */
  lastEpoch = 0;
  readonly tracks: readonly Track[];
  private bases: number[][];

  constructor(
    readonly optimizer: Schedulable,
    tracks: Track[],
    readonly type = 'Scheduler',
  ) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${type}: the first argument must be an optimizer with paramGroups`);
    }
    this.tracks = tracks;
    this.bases = tracks.map(({ key }) =>
      optimizer.paramGroups.map((group) => {
        let known = initialValues.get(group);
        if (!known) initialValues.set(group, (known = new Map()));
        const base = known.get(key) ?? readHyper(group, key, type);
        known.set(key, base);
        return base;
      }),
    );
    this.apply();
  }

  /** Advances one step and writes the new values into the groups. */
  step(): void {
    this.lastEpoch += 1;
    try {
      this.apply();
    } catch (e) {
      this.lastEpoch -= 1;
      throw e;
    }
  }

  /** The value of the first track (usually lr) for every group at the current step. */
  getLastLr(): number[] {
    const { key } = this.tracks[0] as Track;
    return this.optimizer.paramGroups.map((g) => readHyper(g, key, this.type));
  }

  /** The schedule of the first track (lr), for combining schedulers (SequentialLR, chaining). */
  get schedule(): Schedule {
    return (this.tracks[0] as Track).schedule;
  }

  private apply(): void {
    // Compute everything before writing anything, so a failing schedule changes nothing.
    const values = this.tracks.map((t, ti) =>
      (this.bases[ti] as number[]).map((base, gi) => {
        const v = t.schedule(this.lastEpoch, base);
        checkHyper(this.type, t.key, gi, v);
        return v;
      }),
    );
    // Only the groups the scheduler was built with: a group added later (addParamGroup) keeps
    // its own values, as PyTorch's schedulers (which zip the groups with their base values) do.
    const groups = this.optimizer.paramGroups;
    this.tracks.forEach((t, ti) =>
      (values[ti] as number[]).forEach((v, gi) => writeHyper(groups[gi] as object, t.key, v)),
    );
  }

  stateDict(): SchedulerStateDict {
    return { type: this.type, lastEpoch: this.lastEpoch, bases: this.bases.map((b) => b.slice()) };
  }

  /** Restores the step index (and bases) and writes the values of that step into the groups. */
  loadStateDict(state: SchedulerStateDict): void {
    const bad = (why: string): never => {
      throw new RangeError(`${this.type}: cannot load scheduler state: ${why}`);
    };
    if (!state || state.type !== this.type) bad(`it is a ${String(state?.type)} state`);
    if (!Number.isInteger(state.lastEpoch) || state.lastEpoch < 0) {
      bad(`lastEpoch must be an integer >= 0, got ${String(state.lastEpoch)}`);
    }
    const shapeOk =
      Array.isArray(state.bases) &&
      state.bases.length === this.tracks.length &&
      state.bases.every(
        (b) =>
          Array.isArray(b) &&
          b.length === this.optimizer.paramGroups.length &&
          b.every((x) => typeof x === 'number'),
      );
    if (!shapeOk) bad('bases do not match the tracks and param groups');
    const previous = [this.lastEpoch, this.bases] as const;
    this.lastEpoch = state.lastEpoch;
    this.bases = state.bases.map((b) => b.slice());
    try {
      this.apply();
    } catch (e) {
      [this.lastEpoch, this.bases] = previous;
      throw e;
    }
  }
}
