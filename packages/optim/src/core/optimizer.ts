import { allocLike } from './alloc.ts';
import { checkGradients } from './check-gradients.ts';
import { checkStateDict } from './check-state.ts';
import {
  checkNormType,
  clipFactor,
  firstNonFinite,
  isFloatBuffer,
  isSparse,
  totalNorm,
  type Gradient,
} from './gradients.ts';
import { checkGroup, copyHyper, type CheckedGroup } from './param-group.ts';
import { guarded, readOnlyList } from './read-only.ts';
import type { GroupStep, Rule, RuleTraits } from './rule.ts';

const NO_TRAITS: RuleTraits = {};
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
  ParamGroupSpec,
  ParamState,
  ParamsInput,
  Shape,
  StepOptions,
} from './types.ts';
import { checkKnownOptions, describe } from './validate.ts';

/** A {@link GroupStep} as the facade refills it. */
interface MutableGroupStep<H> extends GroupStep<H> {
  grads: (FloatBuffer | null)[];
  states: (ParamState | undefined)[];
  created: boolean[];
  gradScale: number;
}

/** A gradient for each parameter, in the flattened order of the groups; `null` skips a buffer. */
export type Gradients = readonly Gradient[];

/**
 * A live parameter group: writable hyper-parameters (schedulers write them) and a fixed list of
 * buffers (`addParamGroup` adds buffers as a new group).
 */
export type LiveParamGroup<H> = H & { readonly params: readonly FloatBuffer[] };

const STEP_OPTIONS = ['clipGradNorm', 'clipNormType', 'nonFinite'] as const;
const GROUP_OR_BUFFER = 'a Float32Array, a Float64Array or a group { params: [...] }';
const ADD_HINT = 'add buffers as a new group with addParamGroup({ params: [...] })';

/**
 * The optimizer facade, PyTorch's shape in TypeScript idiom: parameter groups with plain,
 * writable hyper-parameters, `step(grads)`, `stateDict()` / `loadStateDict()`. The math lives in
 * a {@link Rule}; this class validates, keeps the state and calls the rule's fused kernel once
 * per buffer.
 */
export class Optimizer<H extends CommonOptions> {
  /** Per-parameter state by flat index (`undefined` before a parameter's first step). */
  protected readonly state: (ParamState | undefined)[] = [];
  protected readonly rule: Rule<H>;
  // The live structure, plain arrays for the step; users see it through read-only views.
  private readonly groups: H[] = [];
  private readonly groupParams: FloatBuffer[][] = [];
  private readonly flat: FloatBuffer[] = [];
  private readonly flatShapes: Shape[] = [];
  /** The group-level scalar state of every group (rules with `groupScalars`). */
  private readonly groupScalarState: Record<string, number>[] = [];
  /** Per group, what `updateGroup` sees: built once, its arrays refilled by every step. */
  private readonly groupSteps: MutableGroupStep<H>[] = [];
  private readonly exposed: LiveParamGroup<H>[] = [];
  private groupsView: readonly LiveParamGroup<H>[] = [];
  private paramsView: readonly FloatBuffer[] = [];
  /** Every buffer given so far, as the caller gave it (a group may not repeat one). */
  private readonly taken = new Set<FloatBuffer>();
  /** The constructor's options over the rule's defaults: what a group does not set. */
  private readonly base: Readonly<Record<string, unknown>>;
  // Reused by every step (which must not allocate): which buffers got new slots this step, and
  // the bound sparse-gradient check handed to checkGradients.
  private created = new Uint8Array(0);
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
    this.base = base;
    const step = options as StepOptions;
    if (step.clipGradNorm !== undefined) this.clipGradNorm = step.clipGradNorm;
    if (step.clipNormType !== undefined) this.clipNormType = step.clipNormType;
    if (step.nonFinite !== undefined) this.nonFinite = step.nonFinite;
    this.checkStepOptions();

    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${rule.name}: params must be a non-empty array of buffers or groups`);
    }
    const specs: unknown[] = params.every(isFloatBuffer) ? [{ params }] : params;
    specs.forEach((spec, gi) =>
      this.join(
        checkGroup(rule, base, spec, gi, this.taken, `params[${gi}] must be ${GROUP_OR_BUFFER}`),
      ),
    );
  }

  /**
   * Adds a group of new buffers, as PyTorch's `add_param_group`: checked exactly as the
   * constructor checks its groups (known options, float buffers, none already in the optimizer),
   * options it does not set taken from the constructor's. Its buffers follow the existing ones
   * in the flat order that `step`, `stateDict` and `loadStateDict` use. On a refusal nothing
   * changes.
   */
  addParamGroup(group: ParamGroupSpec<H>): void {
    const gi = this.groups.length;
    this.join(
      checkGroup(
        this.rule,
        this.base,
        group,
        gi,
        this.taken,
        'addParamGroup takes a group { params: [...] }',
      ),
    );
  }

  /** The groups (`opt.paramGroups[0].lr = 1e-4`): hyper-parameters writable, structure fixed. */
  get paramGroups(): readonly LiveParamGroup<H>[] {
    return this.groupsView;
  }

  /** Makes a checked group part of the optimizer; the only place the structure grows. */
  private join(checked: CheckedGroup<H>): void {
    const name = this.rule.name;
    const gi = this.groups.length;
    const { hyper, params, given, shapes } = checked;
    const fixed = readOnlyList(
      params,
      () =>
        `${name}: paramGroups[${gi}].params cannot be changed, its buffers are fixed; ${ADD_HINT}`,
    );
    Object.defineProperty(hyper, 'params', { value: fixed, enumerable: true });
    const view = guarded(
      hyper as LiveParamGroup<H>,
      (key) => `${name}: paramGroups[${gi}].${key} cannot be replaced or removed; ${ADD_HINT}`,
    );
    this.groups.push(hyper);
    this.groupParams.push(params);
    this.flat.push(...params);
    this.flatShapes.push(...shapes);
    const scalars: Record<string, number> = { ...this.rule.groupScalars };
    this.groupScalarState.push(scalars);
    this.groupSteps.push({
      params,
      grads: params.map(() => null),
      states: params.map(() => undefined),
      shapes,
      created: params.map(() => false),
      hyper,
      scalars,
      gradScale: 1,
    });
    this.exposed.push(view);
    for (const p of given) this.taken.add(p);
    this.groupsView = readOnlyList(
      this.exposed,
      () =>
        `${name}: paramGroups cannot be changed, its groups are fixed; add one with addParamGroup({ params: [...] }) (hyper-parameters stay writable: paramGroups[0].lr = 0.01)`,
    );
    this.paramsView = readOnlyList(this.flat, () => `${name}: params is read-only; ${ADD_HINT}`);
    this.created = new Uint8Array(this.flat.length);
  }

  /** The optimizer's name, as in PyTorch (`"Adam"`). */
  get name(): string {
    return this.rule.name;
  }

  /** What wrappers may rely on in this algorithm's state (see {@link RuleTraits}). */
  get traits(): RuleTraits {
    return this.rule.traits ?? NO_TRAITS;
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
    return this.paramsView;
  }

  /** The shape of every parameter, in the flat order of `params` (`[length]` for a vector). */
  get paramShapes(): readonly Shape[] {
    return this.flatShapes;
  }

  /**
   * The live scalar state of group `index` (checked by the caller), for a subclass whose own step
   * keeps it (L-BFGS): state dicts save it and `loadStateDict` restores it as for any rule.
   */
  protected liveGroupScalars(index: number): Record<string, number> {
    return this.groupScalarState[index]!;
  }

  /**
   * A copy of group `index`'s scalar state (Prodigy's `d`); empty for an algorithm that keeps
   * none. Throws a RangeError for a group that does not exist.
   */
  groupState(index: number): Record<string, number> {
    const scalars = this.groupScalarState[index];
    if (!Number.isInteger(index) || !scalars) {
      throw new RangeError(
        `${this.rule.name}: groupState takes a group index in [0, ${this.groups.length - 1}], got ${String(index)}`,
      );
    }
    return { ...scalars };
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
    for (const group of this.groups) this.rule.validate(group);
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
      // The norm of the gradient the step applies, g·gradScale: Accumulate's mean (scale 1/k)
      // is clipped as the mean, as PyTorch clips the accumulated .grad.
      this.lastGradNorm = totalNorm(grads, this.clipNormType) * Math.abs(gradScale);
      scale *= clipFactor(this.lastGradNorm, this.clipGradNorm);
    }

    const created = this.ensureState(grads);
    let i = 0;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const group = this.groups[gi] as H;
      const groupScale = group.maximize ? -scale : scale;
      if (this.rule.updateGroup) {
        i = this.stepGroup(gi, grads, i, groupScale, created);
        continue;
      }
      for (const p of this.groupParams[gi] as FloatBuffer[]) {
        const g = grads[i];
        const st = this.state[i] as ParamState;
        if (g) {
          st.step += 1;
          if (isSparse(g)) this.rule.updateSparse?.(p, g, st, group, groupScale);
          else this.rule.update(p, g, st, group, groupScale, created[i] === 1, this.flatShapes[i]!);
        }
        i++;
      }
    }
  }

  /**
   * One step of group `gi` (whose buffers start at flat index `first`) through the rule's
   * `updateGroup`; returns the flat index after the group. Sparse gradients never get here (a
   * rule with `updateGroup` has no sparse form, so `checkGradients` refused them).
   */
  private stepGroup(
    gi: number,
    grads: Gradients,
    first: number,
    gradScale: number,
    created: Uint8Array,
  ): number {
    const view = this.groupSteps[gi]!;
    for (let j = 0; j < view.params.length; j++) {
      const i = first + j;
      const g = grads[i] as FloatBuffer | null | undefined;
      const st = this.state[i];
      if (g && st) st.step += 1;
      view.grads[j] = g ?? null;
      view.states[j] = st;
      view.created[j] = created[i] === 1;
    }
    view.gradScale = gradScale;
    this.rule.updateGroup!(view);
    view.grads.fill(null);
    return first + view.params.length;
  }

  /** Why parameter `index` cannot take a sparse gradient in its group's configuration, or null. */
  private sparseRefusal(index: number): string | null {
    let first = 0;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const size = (this.groupParams[gi] as FloatBuffer[]).length;
      if (index < first + size) {
        if (!this.rule.updateSparse) {
          return `${this.rule.name} does not take sparse gradients (SparseAdam, Adagrad and SGD do)`;
        }
        return this.rule.sparseRefusal?.(this.groups[gi] as H) ?? null;
      }
      first += size;
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
    for (let gi = 0; gi < this.groups.length; gi++) {
      for (const p of this.groupParams[gi] as FloatBuffer[]) {
        if (grads[i]) {
          const shape = this.flatShapes[i]!;
          const specs = this.rule.slots(this.groups[gi] as H, shape);
          let st = this.state[i];
          if (!st) {
            st = { step: 0, scalars: { ...this.rule.scalarState }, slots: {} };
            this.state[i] = st;
          }
          for (const { name, fill, length } of specs) {
            if (!st.slots[name]) {
              st.slots[name] = allocLike(p, fill, length?.(shape));
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
    const paramGroups = this.groups.map((group, gi) => {
      const out: GroupStateDict = { params: [] };
      for (const [k, v] of Object.entries(group)) {
        if (k !== 'params') out[k] = copyHyper(v);
      }
      out.params = (this.groupParams[gi] as FloatBuffer[]).map(() => index++);
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
      paramShapes: this.flatShapes.map((s) => s.slice()),
      paramGroups,
      ...(this.rule.groupScalars
        ? { groupState: this.groupScalarState.map((s) => ({ ...s })) }
        : {}),
      state,
    };
  }

  /**
   * Restores a state from `stateDict()` (hyper-parameters of every group, step counts, slots).
   * The state is checked whole first, slots included: each parameter's slots must be exactly
   * those its rule needs with its group's saved options (a slot those options no longer need may
   * stay), of the parameter's length, numbers only. On any mismatch this throws, naming the
   * parameter and the slot, and nothing changes.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const plan = checkStateDict(this.rule, this.groupParams, this.flatShapes, dict);
    plan.hyper.forEach((h, gi) => Object.assign(this.groups[gi] as H, h));
    plan.groupState.forEach((s, gi) => Object.assign(this.groupScalarState[gi]!, s));
    this.state.length = 0;
    plan.state.forEach((st, i) => (this.state[i] = st));
    this.skippedSteps = plan.skippedSteps;
  }
}
