import { allocLike } from './alloc.ts';
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
  ParamGroup,
  ParamGroupSpec,
  ParamState,
  ParamsInput,
} from './types.ts';
import { checkKnownOptions } from './validate.ts';

/** A gradient for each parameter, in the flattened order of the groups; `null` skips a buffer. */
export type Gradients = readonly (FloatBuffer | null | undefined)[];

function isFloatBuffer(x: unknown): x is FloatBuffer {
  return x instanceof Float32Array || x instanceof Float64Array;
}

function dtypeOf(x: FloatBuffer): string {
  return x instanceof Float32Array ? 'float32' : 'float64';
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (Array.isArray(x)) return 'Array';
  return typeof x;
}

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

  constructor(rule: Rule<H>, params: ParamsInput<H>, options: Partial<H> = {}) {
    this.rule = rule;
    const known = Object.keys(rule.defaults);
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${rule.name}: options must be an object, got ${describe(options)}`);
    }
    checkKnownOptions(rule.name, options, known);
    const base: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rule.defaults)) base[k] = v;
    for (const [k, v] of Object.entries(options)) if (v !== undefined) base[k] = v;

    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${rule.name}: params must be a non-empty array of buffers or groups`);
    }
    const specs: ParamGroupSpec<H>[] = params.every(isFloatBuffer)
      ? [{ params: params as FloatBuffer[] } as ParamGroupSpec<H>]
      : (params as ParamGroupSpec<H>[]);

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
        if (this.flat.includes(p)) {
          throw new RangeError(`${rule.name}: a parameter buffer appears more than once`);
        }
        this.flat.push(p);
      });
      group.params = spec.params.slice();
      rule.validate(group as unknown as H);
      return group as unknown as ParamGroup<H>;
    });
  }

  /** The optimizer's name, as in PyTorch (`"Adam"`). */
  get name(): string {
    return this.rule.name;
  }

  /** All parameter buffers, in the flattened group order that `step` expects gradients in. */
  get params(): readonly FloatBuffer[] {
    return this.flat;
  }

  /**
   * One optimization step: updates every parameter (and its state) in place from its gradient.
   * Everything is checked before anything is changed, so a rejected call leaves the optimizer
   * and the parameters as they were.
   */
  step(grads: Gradients): void {
    this.stepScaled(grads, 1);
  }

  /** `step` with every gradient multiplied by `gradScale` inside the kernel (for clipping). */
  protected stepScaled(grads: Gradients, gradScale: number): void {
    this.checkGradients(grads);
    for (const group of this.paramGroups) this.rule.validate(group);
    const created = this.ensureState(grads);
    let i = 0;
    for (const group of this.paramGroups) {
      const scale = group.maximize ? -gradScale : gradScale;
      for (const p of group.params) {
        const g = grads[i];
        const st = this.state[i] as ParamState;
        if (g) {
          st.step += 1;
          this.rule.update(p, g, st, group, scale, created[i] === true);
        }
        i++;
      }
    }
  }

  private checkGradients(grads: Gradients): void {
    const name = this.rule.name;
    if (!Array.isArray(grads)) {
      throw new TypeError(`${name}: step expects an array of gradients, got ${describe(grads)}`);
    }
    if (grads.length !== this.flat.length) {
      throw new RangeError(
        `${name}: step got ${grads.length} gradients for ${this.flat.length} parameters`,
      );
    }
    grads.forEach((g, i) => {
      if (g === null || g === undefined) return;
      const p = this.flat[i] as FloatBuffer;
      if (!isFloatBuffer(g)) {
        throw new TypeError(
          `${name}: gradient ${i} must be a Float32Array or Float64Array, got ${describe(g)}`,
        );
      }
      if (g.length !== p.length) {
        throw new RangeError(
          `${name}: gradient ${i} has length ${g.length}, its parameter has length ${p.length}`,
        );
      }
      if (dtypeOf(g) !== dtypeOf(p)) {
        throw new TypeError(
          `${name}: gradient ${i} is ${dtypeOf(g)}, its parameter is ${dtypeOf(p)}`,
        );
      }
    });
  }

  /** Allocates missing state and slots up front, so that a step never fails half-way. */
  private ensureState(grads: Gradients): boolean[] {
    const created: boolean[] = [];
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
              created[i] = true;
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
  }
}
