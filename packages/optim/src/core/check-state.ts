import { allocLike } from './alloc.ts';
import { checkParamState, type CheckedParamState } from './check-param-state.ts';
import { copyHyper } from './param-group.ts';
import type { Rule } from './rule.ts';
import { STATE_DICT_VERSION, type GroupStateDict, type OptimizerStateDict } from './state-dict.ts';
import type { CommonOptions, FloatBuffer, ParamState, Shape } from './types.ts';
import { checkKnownOptions, describe } from './validate.ts';

/** What `loadStateDict` writes once the whole dict has passed: nothing here is live yet. */
export interface LoadPlan<H> {
  /** The hyper-parameters of every group, in group order (without `params`). */
  hyper: H[];
  /** The state of every parameter, in flat order, in new buffers of the parameter's type. */
  state: (ParamState | undefined)[];
  skippedSteps: number;
  /** Every group's scalar state (empty objects for a rule without group state). */
  groupState: Record<string, number>[];
}

/**
 * Checks a state dict whole against an optimizer's rule and groups (`groups[g]`: the buffers of
 * group g) and returns what to load. Throws a RangeError naming the first mismatch; changes
 * nothing, and allocates only after every check has passed.
 */
export function checkStateDict<H extends CommonOptions>(
  rule: Rule<H>,
  groups: readonly (readonly FloatBuffer[])[],
  shapes: readonly Shape[],
  dict: OptimizerStateDict,
): LoadPlan<H> {
  const name = rule.name;
  const bad = (why: string): never => {
    throw new RangeError(`${name}: cannot load state dict: ${why}`);
  };
  const flat = groups.flat();
  if (dict === null || typeof dict !== 'object') bad(`expected an object, got ${describe(dict)}`);
  if (dict.format !== 'descent/optimizer')
    bad(`format is ${String(dict.format)}, not descent/optimizer`);
  if (dict.version !== STATE_DICT_VERSION) {
    bad(
      `version ${String(dict.version)} is not supported (this descent reads version ${STATE_DICT_VERSION})`,
    );
  }
  if (dict.optimizer !== name) bad(`it was saved by ${String(dict.optimizer)}, not ${name}`);
  if (!Array.isArray(dict.paramGroups) || dict.paramGroups.length !== groups.length) {
    bad(`it has ${dict.paramGroups?.length} param groups, this optimizer has ${groups.length}`);
  }
  if (!Array.isArray(dict.state) || dict.state.length !== flat.length) {
    bad(`it has state for ${dict.state?.length} parameters, this optimizer has ${flat.length}`);
  }
  const skipped = dict.skippedSteps ?? 0;
  if (!Number.isInteger(skipped) || skipped < 0) bad(`skippedSteps must be an integer >= 0`);
  const sizes = dict.paramSizes;
  flat.forEach((p, i) => {
    if (!Array.isArray(sizes) || sizes[i] !== p.length) {
      bad(`parameter ${i} has length ${p.length}, the saved one ${String(sizes?.[i])}`);
    }
  });
  // A dict from before shapes has none; one that has them must agree (a 3x4 matrix's factored
  // state read as a 4x3 one would be silently wrong).
  if (dict.paramShapes !== undefined) {
    shapes.forEach((shape, i) => {
      const saved = dict.paramShapes?.[i];
      const same =
        Array.isArray(saved) &&
        saved.length === shape.length &&
        saved.every((d, k) => d === shape[k]);
      if (!same) {
        bad(
          `parameter ${i} has shape [${shape.join(', ')}], the saved one ${JSON.stringify(saved)}`,
        );
      }
    });
  }
  const groupState = groups.map((_, gi) => checkGroupScalars(rule, dict.groupState?.[gi], gi, bad));

  let first = 0;
  const hyper = groups.map((params, gi) => {
    const next = checkSavedGroup(rule, dict.paramGroups[gi], gi, first, params.length, bad);
    first += params.length;
    return next;
  });
  const checked: (CheckedParamState | undefined)[] = [];
  groups.forEach((params, gi) => {
    for (const p of params) {
      const index = checked.length;
      const place = { index, shape: shapes[index]!, group: gi, hyper: hyper[gi] as H };
      checked.push(checkParamState(rule, place, p, dict.state[index], bad));
    }
  });
  const state = checked.map((st, i): ParamState | undefined => {
    if (!st) return undefined;
    const p = flat[i] as FloatBuffer;
    const slots: Record<string, FloatBuffer> = {};
    for (const [key, v] of Object.entries(st.slots)) {
      const copy = allocLike(p, 0, v.length);
      copy.set(v);
      slots[key] = copy;
    }
    return { step: st.step, scalars: st.scalars, slots };
  });
  return { hyper, state, skippedSteps: skipped, groupState };
}

/** The saved scalar state of group `gi`: exactly the rule's group scalars, numbers. */
function checkGroupScalars<H extends CommonOptions>(
  rule: Rule<H>,
  saved: unknown,
  gi: number,
  bad: (why: string) => never,
): Record<string, number> {
  const names = Object.keys(rule.groupScalars ?? {});
  if (names.length === 0) return {};
  if (saved === null || typeof saved !== 'object') {
    bad(`groupState[${gi}] must be an object with ${names.join(', ')}, got ${describe(saved)}`);
  }
  const out: Record<string, number> = {};
  for (const key of names) {
    const v = (saved as Record<string, unknown>)[key];
    if (typeof v !== 'number') bad(`groupState[${gi}].${key} must be a number, got ${describe(v)}`);
    out[key] = v as number;
  }
  for (const key of Object.keys(saved as object)) {
    if (!names.includes(key)) bad(`groupState[${gi}] has unknown entry ${key}`);
  }
  return out;
}

/**
 * The saved options of group `gi` (whose parameters start at flat index `first`): every option
 * the rule knows, valid, and no other.
 */
function checkSavedGroup<H extends CommonOptions>(
  rule: Rule<H>,
  saved: GroupStateDict,
  gi: number,
  first: number,
  size: number,
  bad: (why: string) => never,
): H {
  if (saved === null || typeof saved !== 'object') {
    bad(`param group ${gi} must be an object, got ${describe(saved)}`);
  }
  if (!Array.isArray(saved.params) || saved.params.length !== size) {
    bad(`param group ${gi} has ${saved.params?.length} parameters, here ${size}`);
  }
  saved.params.forEach(
    (k, j) => k !== first + j && bad(`param group ${gi} lists parameter ${k} out of order`),
  );
  const known = Object.keys(rule.defaults);
  checkKnownOptions(rule.name, saved, known, `option in saved param group ${gi}`);
  const next: Record<string, unknown> = {};
  for (const key of known) {
    if (!(key in saved)) bad(`param group ${gi} lacks option ${key}`);
    next[key] = copyHyper(saved[key]);
  }
  const hyper = next as unknown as H;
  rule.validate(hyper);
  return hyper;
}
