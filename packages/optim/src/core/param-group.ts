import { isFloatBuffer, ownRealm } from './gradients.ts';
import type { Rule } from './rule.ts';
import type { CommonOptions, FloatBuffer } from './types.ts';
import { checkKnownOptions, describe } from './validate.ts';

/** A group checked and ready to join an optimizer; nothing refers to it yet. */
export interface CheckedGroup<H> {
  /** Its hyper-parameters: the optimizer's options, then the group's own, each an own copy. */
  readonly hyper: H;
  /** Its buffers, as the library steps them (views of this realm over foreign typed arrays). */
  readonly params: FloatBuffer[];
  /** The buffers as the caller gave them, to refuse them in a later group. */
  readonly given: FloatBuffer[];
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
  const s = spec as { params?: unknown } | null;
  if (s === null || typeof s !== 'object' || !Array.isArray(s.params)) {
    throw new TypeError(`${rule.name}: ${expected}, got ${describe(spec)}`);
  }
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
  return { hyper: checked, params: buffers.map(ownRealm), given: buffers.slice() };
}
