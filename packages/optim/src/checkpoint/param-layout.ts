import type { FloatBuffer, Shape } from '../core/types.ts';

/**
 * What a version 2 checkpoint records about its parameters beyond their values: the shape of
 * each, and which parameter (by name) each flat index of the optimizer's state belongs to
 * (`optimizerParams`). Worked out here on save, from the content given (a live optimizer or a
 * state dict, explicit shapes), and checked here on load.
 */

/** An optimizer or wrapper as it runs: its state, and the buffers it steps in flat order. */
export interface LiveOptimizer {
  readonly params: readonly FloatBuffer[];
  /** The shape of each buffer of `params` (descent's optimizers have them; wrappers may not). */
  readonly paramShapes?: readonly Shape[];
  stateDict(): unknown;
}

/** Whether `x` is a live optimizer (anything with `stateDict()` and `params`), not its state. */
export function isLiveOptimizer(x: unknown): x is LiveOptimizer {
  if (x === null || typeof x !== 'object') return false;
  const o = x as { stateDict?: unknown; params?: unknown };
  return typeof o.stateDict === 'function' && isList(o.params);
}

function isList(x: unknown): x is readonly unknown[] {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as { length?: unknown }).length === 'number' &&
    typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

/** The part of an optimizer state dict (`descent/optimizer`) the layout reads. */
interface StateDictView {
  paramSizes?: unknown;
  paramShapes?: unknown;
  state?: unknown;
}

/** `x` as an optimizer state dict, or null when it is something else (a wrapper's state). */
export function asStateDict(x: unknown): StateDictView | null {
  if (x === null || typeof x !== 'object') return null;
  return (x as { format?: unknown }).format === 'descent/optimizer' ? (x as StateDictView) : null;
}

/** A shape as a list of non-negative integers, or null when `x` is not one. */
function shapeOrNull(x: unknown): number[] | null {
  if (!Array.isArray(x) || !x.every((d) => Number.isInteger(d) && d >= 0)) return null;
  return x.slice() as number[];
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const show = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * The parameter name of each buffer of `buffers` (an optimizer's `params`), matched by identity
 * against `params`; `refuse` gets the first index that matches none, or more than one name.
 */
export function namesByIdentity(
  buffers: readonly FloatBuffer[],
  params: Record<string, FloatBuffer>,
  refuse: (why: string) => never,
): string[] {
  const byBuffer = new Map<FloatBuffer, string[]>();
  for (const [name, p] of Object.entries(params)) {
    const names = byBuffer.get(p);
    if (names) names.push(name);
    else byBuffer.set(p, [name]);
  }
  return Array.from(buffers, (b, i) => {
    const names = byBuffer.get(b);
    if (!names) {
      const what = ArrayBuffer.isView(b) ? `a ${b.constructor.name} of ${b.length}` : String(b);
      return refuse(
        `the optimizer's parameter ${i} (${what}) is not among the parameters given; give every buffer it steps a name in params`,
      );
    }
    if (names.length > 1) {
      return refuse(
        `the optimizer's parameter ${i} is given under two names, ${names.join(' and ')}; give each buffer one name`,
      );
    }
    return names[0]!;
  });
}

/**
 * Checks a list of parameter names for the optimizer's flat indices: strings, each a parameter
 * and at most once, as many as the state dict has parameters (where the state is one), each the
 * length the state dict says. Returns the first problem, or null.
 */
export function optimizerParamsProblem(
  names: unknown,
  params: Record<string, FloatBuffer>,
  state: unknown,
): string | null {
  if (!Array.isArray(names)) return `optimizerParams must be a list of names, got ${typeof names}`;
  const seen = new Set<string>();
  for (const [i, n] of names.entries()) {
    if (typeof n !== 'string') return `optimizerParams[${i}] is not a string`;
    if (!Object.hasOwn(params, n)) return `optimizerParams[${i}] is ${n}, which is not a parameter`;
    if (seen.has(n)) return `optimizerParams names ${n} twice`;
    seen.add(n);
  }
  const sizes = asStateDict(state)?.paramSizes;
  if (Array.isArray(sizes)) {
    if (sizes.length !== names.length) {
      return `optimizerParams has ${names.length} names, the optimizer state ${sizes.length} parameters`;
    }
    for (const [i, n] of (names as string[]).entries()) {
      if (sizes[i] !== params[n]!.length) {
        return `optimizer parameter ${i} has length ${String(sizes[i])}, its parameter ${n} ${params[n]!.length}`;
      }
    }
  }
  return null;
}

/**
 * The shape of every parameter: `given` where it has one, else the optimizer's shape for the
 * buffer (through `names`, from `optimizerShapes`), else the vector `[length]`. Refuses a given
 * shape of another element count, or for a name that is not a parameter.
 */
export function paramShapes(
  params: Record<string, FloatBuffer>,
  given: Record<string, Shape> | undefined,
  names: readonly string[] | null,
  optimizerShapes: unknown,
  refuse: (why: string) => never,
): Record<string, number[]> {
  const fromOptimizer = new Map<string, number[]>();
  if (names && Array.isArray(optimizerShapes) && optimizerShapes.length === names.length) {
    names.forEach((n, i) => {
      const shape = shapeOrNull(optimizerShapes[i]);
      if (shape && count(shape) === params[n]!.length) fromOptimizer.set(n, shape);
    });
  }
  if (given !== undefined && (given === null || typeof given !== 'object'))
    refuse(`shapes must be an object of shapes by parameter name, got ${String(given)}`);
  for (const n of Object.keys(given ?? {})) {
    if (!Object.hasOwn(params, n)) refuse(`shapes.${n} is given, but there is no parameter ${n}`);
  }
  const out: Record<string, number[]> = {};
  for (const [n, p] of Object.entries(params)) {
    const g = given?.[n];
    if (g !== undefined) {
      const shape = shapeOrNull(g);
      if (!shape) refuse(`shapes.${n} must be a list of integers >= 0, got ${JSON.stringify(g)}`);
      if (count(shape) !== p.length) {
        refuse(
          `shapes.${n} is ${show(shape)} (${count(shape)} elements), the parameter has ${p.length}`,
        );
      }
      out[n] = shape;
    } else {
      out[n] = fromOptimizer.get(n) ?? [p.length];
    }
  }
  return out;
}

/** A path in the state tree as a key: its parts joined by a character no key of ours holds. */
export const pathKey = (path: readonly string[]) => path.join('\u0000');

/**
 * The shape of every optimizer slot that has its parameter's length, by path in the tree (under
 * `root`, where the optimizer's state sits): each state dict found in the optimizer's state (a
 * wrapper holds one or more) gives its slots its `paramShapes`; the outermost one, when `names`
 * maps its indices to parameters, the shapes recorded for those parameters. Other tensors (a
 * factored slot, a wrapper's own buffers) are left out, so they are stored 1-D.
 */
export function slotShapes(
  state: unknown,
  root: readonly string[],
  names: readonly string[] | null,
  shapes: Record<string, number[]>,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const seen = new Set<object>();
  const visit = (node: unknown, path: string[], outermost: boolean): void => {
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
    // A cycle is refused by splitTree with its path; here it only must not loop.
    if (seen.has(node)) return;
    seen.add(node);
    const dict = asStateDict(node);
    if (dict && Array.isArray(dict.state)) {
      const own = Array.isArray(dict.paramShapes) ? dict.paramShapes : [];
      dict.state.forEach((st: unknown, i) => {
        const shape =
          outermost && names ? shapes[names[i] as string] : (shapeOrNull(own[i]) ?? undefined);
        const slots = (st as { slots?: unknown } | null)?.slots;
        if (!shape || slots === null || typeof slots !== 'object') return;
        for (const [k, v] of Object.entries(slots)) {
          if (ArrayBuffer.isView(v) && (v as FloatBuffer).length === count(shape))
            out.set(pathKey([...path, 'state', String(i), 'slots', k]), shape);
        }
      });
    }
    for (const [k, v] of Object.entries(node)) visit(v, [...path, k], false);
  };
  visit(state, [...root], true);
  return out;
}
