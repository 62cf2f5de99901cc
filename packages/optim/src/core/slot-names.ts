import type { Rule } from './rule.ts';
import type { CommonOptions } from './types.ts';

// Found once per rule: the probe calls `slots` a few hundred times.
// A vector and a matrix: a rule's slots may depend on the shape (Adafactor factors matrices).
const PROBE_SHAPES = [[1], [2, 2]] as const;
const found = new WeakMap<object, readonly string[]>();

/**
 * Every slot name `rule` declares under some configuration, found by asking its `slots` for
 * every combination of its boolean options (false, true) and numeric options (0, 1, the
 * default), the thresholds its slot lists switch on (amsgrad, momentum > 0, centered). A saved
 * state may rightly hold a slot its group no longer needs (a momentum cycled down to 0 keeps its
 * buffer, as in PyTorch); a name outside this list is a typo or another optimizer's state.
 */
export function slotNamesOf<H extends CommonOptions>(rule: Rule<H>): readonly string[] {
  const known = found.get(rule);
  if (known) return known;
  let variants: Record<string, unknown>[] = [{ ...rule.defaults }];
  for (const [key, value] of Object.entries(rule.defaults)) {
    const values =
      typeof value === 'boolean'
        ? [false, true]
        : typeof value === 'number'
          ? [...new Set([0, 1, value])]
          : [value];
    variants = variants.flatMap((v) => values.map((x) => ({ ...v, [key]: x })));
  }
  const names = new Set<string>();
  for (const h of variants) {
    for (const shape of PROBE_SHAPES)
      for (const spec of rule.slots(h as H, shape)) names.add(spec.name);
  }
  const list = [...names];
  found.set(rule, list);
  return list;
}
