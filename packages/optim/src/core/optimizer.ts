import { allocLike } from './alloc.ts';
import { checkGradients } from './check-gradients.ts';
import {
  checkNormType,
  clipFactor,
  firstNonFinite,
  isFloatBuffer,
  isSparse,
  ownRealm,
  totalNorm,
  type Gradient,
} from './gradients.ts';
import type { Rule } from './rule.ts';
import {
  STATE_DICT_VERSION,
  type GroupStateDict,
  type OptimizerStateDict,
  type ParamStateDict,
} from './state-dict.ts';
import type {
  CommonOptions,
  FloatBuffer,
  NonFinitePolicy,
  OptimizerOptions,
  ParamGroup,
  ParamGroupSpec,
  ParamState,
  ParamsInput,
  StepOptions,
} from './types.ts';
import { checkKnownOptions, describe } from './validate.ts';

/** A gradient for each parameter, in the flattened order of the groups; `null` skips a buffer. */
export type Gradients = readonly Gradient[];

const STEP_OPTIONS = ['clipGradNorm', 'clipNormType', 'nonFinite'] as const;

/** Copies hyper-parameter values so that a group never aliases a caller's array. */
function copyHyper(value: unknown): unknown {
  return Array.isArray(value) ? value.slice() : value;
}

/**
 * The optimizer facade, PyTorch's shape in TypeScript idiom: parameter groups with plain,
 * writable hyper-parameters, `step(grads)`, `stateDict()` / `loadStateDict()`. The math lives in
 * a {@link Rule}; this class validates, keeps the state and calls the rule's fused kernel once
 * per buffer.
 */
export class Optimizer<H extends CommonOptions> {
  /** The groups, with their writable hyper-parameters (`opt.paramGroups[0].lr = 1e-4`). */
  readonly paramGroups: ParamGroup<H>[];
  /** Per-parameter state by flat index (`undefined` before a parameter's first step). */
  protected readonly state: (ParamState | undefined)[] = [];
  protected readonly rule: Rule<H>;
  private readonly flat: FloatBuffer[] = [];
  // Reused by every step (which must not allocate): which buffers got new slots this step, and
  // the bound sparse-gradient check handed to checkGradients.
  private readonly created: Uint8Array;
  private readonly refusal = (i: number): string | null => this.sparseRefusal(i);
  /** Clip the total gradient norm to this inside `step` (one read pass, then a kernel scale). */
  clipGradNorm: number | null = null;
  /** Order of that norm (2, 1, Infinity, ...). */
  clipNormType = 2;
  /** What a NaN or Inf gradient does: `'propagate'` (PyTorch), `'skip'` or `'throw'`. */
  nonFinite: NonFinitePolicy = 'propagate';
  /** Steps skipped under `nonFinite: 'skip'`. */
  skippedSteps = 0;
  /** The total gradient norm of the last step, when `step` computed it (clipping); else NaN. */
  lastGradNorm = NaN;

  constructor(rule: Rule<H>, params: ParamsInput<H>, options: OptimizerOptions<H> = {}) {
    this.rule = rule;
    const known = Object.keys(rule.defaults);
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${rule.name}: options must be an object, got ${describe(options)}`);
    }
    checkKnownOptions(rule.name, options, [...known, ...STEP_OPTIONS]);
    const base: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rule.defaults)) base[k] = v;
    for (const [k, v] of Object.entries(options)) {
      if (v !== undefined && !(STEP_OPTIONS as readonly string[]).includes(k)) base[k] = v;
    }
    const step = options as StepOptions;
    if (step.clipGradNorm !== undefined) this.clipGradNorm = step.clipGradNorm;
    if (step.clipNormType !== undefined) this.clipNormType = step.clipNormType;
    if (step.nonFinite !== undefined) this.nonFinite = step.nonFinite;
    this.checkStepOptions();

    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${rule.name}: params must be a non-empty array of buffers or groups`);
    }
    const specs: ParamGroupSpec<H>[] = params.every(isFloatBuffer)
      ? [{ params: params as FloatBuffer[] } as ParamGroupSpec<H>]
      : (params as ParamGroupSpec<H>[]);

    const given = new Set<FloatBuffer>();
    this.paramGroups = specs.map((spec, gi) => {
      if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.params)) {
        throw new TypeError(
          `${rule.name}: params[${gi}] must be a Float32Array, a Float64Array or a group { params: [...] }, got ${describe(spec)}`,
        );
      }
      checkKnownOptions(rule.name, spec, known, `option in param group ${gi}`);
      // Every group owns its values: arrays (betas) are copied, never shared with the caller,
      // the defaults or another group, since schedulers write into them.
      const group: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(base)) group[k] = copyHyper(v);
      for (const [k, v] of Object.entries(spec)) {
        if (k !== 'params' && v !== undefined) group[k] = copyHyper(v);
      }
      spec.params.forEach((p, j) => {
        if (!isFloatBuffer(p)) {
          throw new TypeError(
            `${rule.name}: parameter ${j} of group ${gi} must be a Float32Array or Float64Array, got ${describe(p)}`,
          );
        }
        if (given.has(p)) {
          throw new RangeError(`${rule.name}: a parameter buffer appears more than once`);
        }
        given.add(p);
      });
      group.params = spec.params.map(ownRealm);
      this.flat.push(...(group.params as FloatBuffer[]));
      rule.validate(group as unknown as H);
      return group as unknown as ParamGroup<H>;
    });
    this.created = new Uint8Array(this.flat.length);
  }

  /** The optimizer's name, as in PyTorch (`"Adam"`). */
  get name(): string {
    return this.rule.name;
  }

  /**
   * The live state of parameter `index` (flat order), for reading only: wrappers such as the
   * SWATS switch read Adam's moments without copying them. Use `stateDict()` for a copy.
   */
  paramState(index: number): Readonly<ParamState> | undefined {
    return this.state[index];
  }

  /** All parameter buffers, in the flattened group order that `step` expects gradients in. */
  get params(): readonly FloatBuffer[] {
    return this.flat;
  }

  /**
   * One optimization step: updates every parameter (and its state) in place from its gradient
   * (dense, or row-sparse where the algorithm supports it). `gradScale` multiplies every
   * gradient inside the kernel (wrappers use it, e.g. for the mean of accumulated gradients).
   * Everything is checked before anything is changed, so a rejected call leaves the optimizer
   * and the parameters as they were.
   */
  step(grads: Gradients, gradScale = 1): void {
    const name = this.rule.name;
    checkGradients(name, grads, this.flat, this.refusal);
    for (const group of this.paramGroups) this.rule.validate(group);
    this.checkStepOptions();
    if (typeof gradScale !== 'number' || Number.isNaN(gradScale)) {
      throw new RangeError(`${name}: gradScale must be a number, got ${String(gradScale)}`);
    }

    let scale = gradScale;
    if (this.nonFinite !== 'propagate') {
      const bad = firstNonFinite(grads);
      if (bad >= 0 && this.nonFinite === 'throw') {
        throw new RangeError(`${name}: gradient ${bad} holds NaN or Infinity; nothing was changed`);
      }
      if (bad >= 0) {
        this.skippedSteps += 1;
        return;
      }
    }
    if (this.clipGradNorm !== null) {
      this.lastGradNorm = totalNorm(grads, this.clipNormType);
      scale *= clipFactor(this.lastGradNorm, this.clipGradNorm);
    }

    const created = this.ensureState(grads);
    let i = 0;
    for (const group of this.paramGroups) {
      const groupScale = group.maximize ? -scale : scale;
      for (const p of group.params) {
        const g = grads[i];
        const st = this.state[i] as ParamState;
        if (g) {
          st.step += 1;
          if (isSparse(g)) this.rule.updateSparse?.(p, g, st, group, groupScale);
          else this.rule.update(p, g, st, group, groupScale, created[i] === 1);
        }
        i++;
      }
    }
  }

  /** Why parameter `index` cannot take a sparse gradient in its group's configuration, or null. */
  private sparseRefusal(index: number): string | null {
    let first = 0;
    for (const group of this.paramGroups) {
      if (index < first + group.params.length) {
        if (!this.rule.updateSparse) {
          return `${this.rule.name} does not take sparse gradients (SparseAdam, Adagrad and SGD do)`;
        }
        return this.rule.sparseRefusal?.(group) ?? null;
      }
      first += group.params.length;
    }
    return null;
  }

  private checkStepOptions(): void {
    const name = this.rule.name;
    const clip = this.clipGradNorm;
    if (clip !== null && (typeof clip !== 'number' || !(clip >= 0))) {
      throw new RangeError(
        `${name}: clipGradNorm must be a number >= 0 or null, got ${String(clip)}`,
      );
    }
    checkNormType(name, 'clipNormType', this.clipNormType);
    if (!['propagate', 'skip', 'throw'].includes(this.nonFinite)) {
      throw new RangeError(
        `${name}: nonFinite must be "propagate", "skip" or "throw", got ${String(this.nonFinite)}`,
      );
    }
  }

  /** Allocates missing state and slots up front, so that a step never fails half-way. */
  private ensureState(grads: Gradients): Uint8Array {
    const created = this.created;
    created.fill(0);
    let i = 0;
    for (const group of this.paramGroups) {
      const specs = this.rule.slots(group);
      for (const p of group.params) {
        if (grads[i]) {
          let st = this.state[i];
          if (!st) {
            st = { step: 0, scalars: { ...this.rule.scalarState }, slots: {} };
            this.state[i] = st;
          }
          for (const { name, fill } of specs) {
            if (!st.slots[name]) {
              st.slots[name] = allocLike(p, fill);
              created[i] = 1;
            }
          }
        }
        i++;
      }
    }
    return created;
  }

  /** A copy of the full state as plain data; `loadStateDict` restores it exactly. */
  stateDict(): OptimizerStateDict {
    let index = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const out: GroupStateDict = { params: [] };
      for (const [k, v] of Object.entries(group)) {
        if (k !== 'params') out[k] = copyHyper(v);
      }
      out.params = group.params.map(() => index++);
      return out;
    });
    const state = this.flat.map((_, i): ParamStateDict | null => {
      const st = this.state[i];
      if (!st) return null;
      const slots: Record<string, FloatBuffer> = {};
      for (const [k, v] of Object.entries(st.slots)) slots[k] = v.slice();
      return { step: st.step, scalars: { ...st.scalars }, slots };
    });
    return {
      format: 'descent/optimizer',
      version: STATE_DICT_VERSION,
      optimizer: this.rule.name,
      skippedSteps: this.skippedSteps,
      paramSizes: this.flat.map((p) => p.length),
      paramGroups,
      state,
    };
  }

  /**
   * Restores a state from `stateDict()` (hyper-parameters of every group, step counts, slots).
   * The state is checked whole first; on any mismatch this throws and nothing changes.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const name = this.rule.name;
    const bad = (why: string): never => {
      throw new RangeError(`${name}: cannot load state dict: ${why}`);
    };
    if (dict === null || typeof dict !== 'object') bad(`expected an object, got ${describe(dict)}`);
    if (dict.format !== 'descent/optimizer')
      bad(`format is ${String(dict.format)}, not descent/optimizer`);
    if (dict.version !== STATE_DICT_VERSION) {
      bad(
        `version ${String(dict.version)} is not supported (this descent reads version ${STATE_DICT_VERSION})`,
      );
    }
    if (dict.optimizer !== name) bad(`it was saved by ${String(dict.optimizer)}, not ${name}`);
    if (!Array.isArray(dict.paramGroups) || dict.paramGroups.length !== this.paramGroups.length) {
      bad(
        `it has ${dict.paramGroups?.length} param groups, this optimizer has ${this.paramGroups.length}`,
      );
    }
    if (!Array.isArray(dict.state) || dict.state.length !== this.flat.length) {
      bad(
        `it has state for ${dict.state?.length} parameters, this optimizer has ${this.flat.length}`,
      );
    }
    const skipped = dict.skippedSteps ?? 0;
    if (!Number.isInteger(skipped) || skipped < 0) bad(`skippedSteps must be an integer >= 0`);
    const sizes = dict.paramSizes;
    this.flat.forEach((p, i) => {
      if (!Array.isArray(sizes) || sizes[i] !== p.length) {
        bad(`parameter ${i} has length ${p.length}, the saved one ${String(sizes?.[i])}`);
      }
    });

    const known = Object.keys(this.rule.defaults);
    let index = 0;
    const groups = this.paramGroups.map((group, gi) => {
      const saved = dict.paramGroups[gi] as GroupStateDict;
      if (!Array.isArray(saved.params) || saved.params.length !== group.params.length) {
        bad(
          `param group ${gi} has ${saved.params?.length} parameters, here ${group.params.length}`,
        );
      }
      saved.params.forEach(
        (k) => k !== index++ && bad(`param group ${gi} lists parameter ${k} out of order`),
      );
      checkKnownOptions(name, saved, known, `option in saved param group ${gi}`);
      const next = { ...group } as unknown as Record<string, unknown>;
      for (const key of known) {
        if (!(key in saved)) bad(`param group ${gi} lacks option ${key}`);
        next[key] = copyHyper(saved[key]);
      }
      this.rule.validate(next as unknown as H);
      return next;
    });

    const state = this.flat.map((p, i): ParamState | undefined => {
      const saved = dict.state[i];
      if (saved === null || saved === undefined) return undefined;
      if (!Number.isInteger(saved.step) || saved.step < 0) {
        bad(`parameter ${i} has step ${String(saved.step)}, expected an integer >= 0`);
      }
      const scalars: Record<string, number> = {};
      for (const key of Object.keys(this.rule.scalarState ?? {})) {
        const v = saved.scalars?.[key];
        if (typeof v !== 'number') bad(`parameter ${i} lacks scalar state ${key}`);
        scalars[key] = v as number;
      }
      const slots: Record<string, FloatBuffer> = {};
      for (const [key, v] of Object.entries(saved.slots ?? {})) {
        const ok =
          (ArrayBuffer.isView(v) || Array.isArray(v)) &&
          (v as ArrayLike<number>).length === p.length;
        if (!ok) bad(`slot ${key} of parameter ${i} is not a buffer of length ${p.length}`);
        const copy = allocLike(p, 0);
        copy.set(v as ArrayLike<number>);
        slots[key] = copy;
      }
      return { step: saved.step, scalars, slots };
    });

    groups.forEach((g, gi) => Object.assign(this.paramGroups[gi] as object, g));
    this.state.length = 0;
    state.forEach((st, i) => (this.state[i] = st));
    this.skippedSteps = skipped;
  }
}
