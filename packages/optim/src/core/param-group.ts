import { isFloatBuffer, ownRealm } from './gradients.ts';
import type { Rule } from './rule.ts';
import type { CommonOptions, FloatBuffer, Shape } from './types.ts';
import { checkKnownOptions, describe } from './validate.ts';

/** A group checked and ready to join an optimizer; nothing refers to it yet. */
export interface CheckedGroup<H> {
  /** Its hyper-parameters: the optimizer's options, then the group's own, each an own copy. */
  readonly hyper: H;
  /** Its buffers, as the library steps them (views of this realm over foreign typed arrays). */
  readonly params: FloatBuffer[];
  /** The buffers as the caller gave them, to refuse them in a later group. */
  readonly given: FloatBuffer[];
  /** The shape of each buffer (own frozen copies; `[length]` where none was given). */
  readonly shapes: Shape[];
}

/** Copies hyper-parameter values so that a group never aliases a caller's array. */
export function copyHyper(value: unknown): unknown {
  return Array.isArray(value) ? value.slice() : value;
}

/**
 * Checks one group spec `{ params, ...options }` the way the constructor does for each of its
 * groups and `addParamGroup` does for a new one: known options only, float buffers only, no
 * buffer twice (in this group or in `taken`), values the rule accepts. `expected` says what the
 * caller takes, for a value that is not a group at all. Changes nothing.
 */
export function checkGroup<H extends CommonOptions>(
  rule: Rule<H>,
  base: Readonly<Record<string, unknown>>,
  spec: unknown,
  index: number,
  taken: ReadonlySet<FloatBuffer>,
  expected: string,
): CheckedGroup<H> {
  if (spec === null || typeof spec !== 'object' || !Array.isArray((spec as GroupLike).params)) {
    throw new TypeError(`${rule.name}: ${expected}, got ${describe(spec)}`);
  }
  const { shapes: givenShapes, ...s } = spec as GroupLike;
  checkKnownOptions(rule.name, s, Object.keys(rule.defaults), `option in param group ${index}`);
  // Every group owns its values: arrays (betas) are copied, never shared with the caller,
  // the defaults or another group, since schedulers write into them.
  const hyper: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) hyper[k] = copyHyper(v);
  for (const [k, v] of Object.entries(s)) {
    if (k !== 'params' && v !== undefined) hyper[k] = copyHyper(v);
  }
  const given = s.params as unknown[];
  const seen = new Set<unknown>();
  given.forEach((p, j) => {
    if (!isFloatBuffer(p)) {
      throw new TypeError(
        `${rule.name}: parameter ${j} of group ${index} must be a Float32Array or Float64Array, got ${describe(p)}`,
      );
    }
    if (seen.has(p) || taken.has(p)) {
      throw new RangeError(`${rule.name}: a parameter buffer appears more than once`);
    }
    seen.add(p);
  });
  const checked = hyper as unknown as H;
  rule.validate(checked);
  const buffers = given as FloatBuffer[];
  const shapes = checkShapes(rule.name, givenShapes, buffers, index);
  return { hyper: checked, params: buffers.map(ownRealm), given: buffers.slice(), shapes };
}

interface GroupLike {
  params: unknown[];
  shapes?: unknown;
}

/**
 * The shapes of a group's buffers: `shapes[j]` must be a list of positive integers whose product
 * is the length of `params[j]`; absent, every buffer is a vector.
 */
function checkShapes(
  name: string,
  shapes: unknown,
  buffers: readonly FloatBuffer[],
  group: number,
): Shape[] {
  if (shapes === undefined) return buffers.map((p) => Object.freeze([p.length]));
  if (!Array.isArray(shapes) || shapes.length !== buffers.length) {
    throw new RangeError(
      `${name}: shapes of param group ${group} must be an array with one shape per parameter (${buffers.length}), got ${describe(shapes)}${Array.isArray(shapes) ? ` of length ${shapes.length}` : ''}`,
    );
  }
  return shapes.map((shape: unknown, j) => {
    const p = buffers[j] as FloatBuffer;
    const ok =
      Array.isArray(shape) &&
      shape.length > 0 &&
      shape.every((d) => Number.isSafeInteger(d) && d > 0);
    const size = ok ? (shape as number[]).reduce((a, d) => a * d, 1) : NaN;
    if (!ok || size !== p.length) {
      throw new RangeError(
        `${name}: shapes[${j}] of param group ${group} must be positive integer sizes whose product is the parameter's length ${p.length}, got ${JSON.stringify(shape)}`,
      );
    }
    return Object.freeze((shape as number[]).slice());
  });
}
