import { floatDtype } from './gradients.ts';
import type { Rule } from './rule.ts';
import { slotNamesOf } from './slot-names.ts';
import type { CommonOptions, FloatBuffer, Shape } from './types.ts';
import { describe } from './validate.ts';

/** A saved parameter state that passed every check; its slots are still the saved buffers. */
export interface CheckedParamState {
  step: number;
  scalars: Record<string, number>;
  slots: Record<string, ArrayLike<number>>;
}

/** Where a parameter sits: its flat index, its shape, its group and that group's (saved) options. */
export interface ParamPlace<H> {
  index: number;
  shape: Shape;
  group: number;
  hyper: H;
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x);

/**
 * Checks the saved state of one parameter (`null` or `undefined`: never stepped, no state)
 * without changing anything: a step count, the rule's scalar state, and exactly the slots the
 * rule declares for the group's options and the parameter's shape (`rule.slots(hyper, shape)`),
 * each a float buffer or an array of numbers of its declared length (the parameter's, unless the
 * slot says otherwise). A slot the rule declares under other options is kept
 * (the group may have changed its options since the parameter's last step); a name the rule
 * never declares is refused. `bad` throws with the reason.
 */
export function checkParamState<H extends CommonOptions>(
  rule: Rule<H>,
  place: ParamPlace<H>,
  p: FloatBuffer,
  saved: unknown,
  bad: (why: string) => never,
): CheckedParamState | undefined {
  const i = place.index;
  if (saved === null || saved === undefined) return undefined;
  if (!isRecord(saved))
    bad(`the state of parameter ${i} must be an object or null, got ${describe(saved)}`);
  const step = saved.step;
  if (!Number.isInteger(step) || (step as number) < 0) {
    bad(`parameter ${i} has step ${String(step)}, expected an integer >= 0`);
  }
  return {
    step: step as number,
    scalars: checkScalars(rule, i, saved.scalars, bad),
    slots: checkSlots(rule, place, p, saved.slots, bad),
  };
}

function checkScalars<H extends CommonOptions>(
  rule: Rule<H>,
  i: number,
  saved: unknown,
  bad: (why: string) => never,
): Record<string, number> {
  const wanted = Object.keys(rule.scalarState ?? {});
  if (saved !== undefined && !isRecord(saved)) {
    bad(`the scalar state of parameter ${i} must be an object, got ${describe(saved)}`);
  }
  const given = (saved ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!wanted.includes(key)) {
      const known = wanted.length ? wanted.join(', ') : 'none';
      bad(`parameter ${i} has an unknown scalar state "${key}" (${rule.name} keeps: ${known})`);
    }
  }
  const scalars: Record<string, number> = {};
  for (const key of wanted) {
    const v = given[key];
    if (typeof v !== 'number') bad(`parameter ${i} lacks scalar state ${key}`);
    scalars[key] = v as number;
  }
  return scalars;
}

function checkSlots<H extends CommonOptions>(
  rule: Rule<H>,
  place: ParamPlace<H>,
  p: FloatBuffer,
  saved: unknown,
  bad: (why: string) => never,
): Record<string, ArrayLike<number>> {
  const i = place.index;
  if (saved !== undefined && !isRecord(saved)) {
    bad(`the slots of parameter ${i} must be an object of named buffers, got ${describe(saved)}`);
  }
  const given = (saved ?? {}) as Record<string, unknown>;
  // What the options need now must be there: a slot recreated as zeros mid-run (Adam's
  // exp_avg_sq beside a live exp_avg) turns the next step into a leap.
  const specs = rule.slots(place.hyper, place.shape);
  const needed = specs.map((s) => s.name);
  const known = [...new Set([...needed, ...slotNamesOf(rule)])];
  const missing = needed.filter((name) => !(name in given));
  const unknown = Object.keys(given).filter((name) => !known.includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) {
      parts.push(
        `lacks slot ${missing.join(', ')}, which ${rule.name} needs with the options of param group ${place.group}`,
      );
    }
    if (unknown.length > 0) {
      parts.push(
        `has an unknown slot ${unknown.map((n) => JSON.stringify(n)).join(', ')} (${rule.name}'s slots: ${known.join(', ')})`,
      );
    }
    bad(`parameter ${i} ${parts.join(' and ')}`);
  }
  const slots: Record<string, ArrayLike<number>> = {};
  for (const [name, v] of Object.entries(given)) {
    const length = specs.find((s) => s.name === name)?.length?.(place.shape) ?? p.length;
    slots[name] = checkBuffer(name, i, v, length, bad);
  }
  return slots;
}

/** A slot's values: any float buffer (cast to the parameter's type, as PyTorch casts) or numbers. */
function checkBuffer(
  name: string,
  i: number,
  v: unknown,
  length: number,
  bad: (why: string) => never,
): ArrayLike<number> {
  const what = `slot ${name} of parameter ${i}`;
  if (floatDtype(v) === null && !Array.isArray(v)) {
    bad(
      `${what} must be a Float32Array, a Float64Array or an array of numbers, got ${describe(v)}`,
    );
  }
  const values = v as ArrayLike<unknown>;
  if (values.length !== length) {
    bad(`${what} is not a buffer of length ${length} (it has ${values.length} elements)`);
  }
  if (Array.isArray(values)) {
    const at = values.findIndex((x) => typeof x !== 'number');
    if (at >= 0)
      bad(`${what} holds a value of type ${describe(values[at])} at index ${at}, expected numbers`);
  }
  return values as ArrayLike<number>;
}
