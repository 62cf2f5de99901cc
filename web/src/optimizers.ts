import {
  createOptimizer,
  findOptimizer,
  OPTIMIZERS,
  paramsAs,
  type CommonOptions,
  type Optimizer,
  type Slider,
} from '../../packages/optim/src/index.ts';

/** A slider for one hyper-parameter; `key` is the option name, `betas.0` for an array element. */
export type HyperSpec = Slider;

/** One line of math per optimizer (from its descriptor, next to its rule in src/rules/). */
export const RULES: Readonly<Record<string, string>> = Object.fromEntries(
  OPTIMIZERS.map((d) => [d.name, d.formula]),
);

/** Every optimizer the page offers: all of the library's names. */
export const NAMES: readonly string[] = OPTIMIZERS.map((d) => d.name);

/** The sliders of an optimizer (from its descriptor). */
export function hyperSpecs(name: string): readonly HyperSpec[] {
  return findOptimizer(name).sliders;
}

/** Flat hyper-parameters, as the sliders and the URL hold them: `{ lr: 0.01, 'betas.0': 0.9 }`. */
export type FlatOptions = Record<string, number>;

/** Reads `key` (`betas.1` reads an array element) out of an options object. */
function read(obj: Record<string, unknown>, key: string): number | undefined {
  const [head, index] = key.split('.');
  const v = obj[head!];
  if (index !== undefined) return Array.isArray(v) ? (v[Number(index)] as number) : undefined;
  return typeof v === 'number' ? v : undefined;
}

/** The options a fresh optimizer of this name has (a throw-away instance's group). */
function defaultGroup(name: string): Record<string, unknown> {
  const probe = createOptimizer(name, paramsAs(findOptimizer(name), [new Float64Array(1)]));
  return probe.paramGroups[0] as unknown as Record<string, unknown>;
}

/** The library's defaults for an optimizer's sliders, read from a throw-away instance. */
export function defaultsOf(name: string): FlatOptions {
  const group = defaultGroup(name);
  const out: FlatOptions = {};
  for (const s of hyperSpecs(name)) {
    const v = read(group, s.key);
    if (v !== undefined) out[s.key] = v;
  }
  return out;
}

/** Turns flat options back into the library's shape (`betas.0`, `betas.1` into `betas`). */
export function toOptions(name: string, flat: FlatOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const defaults = defaultGroup(name);
  for (const [key, value] of Object.entries(flat)) {
    const [head, index] = key.split('.');
    if (index === undefined) {
      out[head!] = value;
    } else {
      // The default array whole (AdEMAMix has three betas), then this element over it.
      const arr = (out[head!] as number[] | undefined) ?? (defaults[head!] as number[]).slice();
      arr[Number(index)] = value;
      out[head!] = arr;
    }
  }
  return out;
}

/**
 * Builds the optimizer over `params` (the library validates and throws a RangeError): the point
 * as a vector, or as a 1×2 matrix for an optimizer that takes matrices only (Muon).
 */
export function build(
  name: string,
  params: Float64Array,
  flat: FlatOptions,
): Optimizer<CommonOptions> {
  return createOptimizer(name, paramsAs(findOptimizer(name), [params]), toOptions(name, flat));
}

/** Slider position in [0, 1] for a value, and back. */
export function toSlider(spec: HyperSpec, v: number): number {
  if (spec.scale === 'log') {
    const lo = Math.log10(spec.min);
    return (Math.log10(Math.max(v, spec.min)) - lo) / (Math.log10(spec.max) - lo);
  }
  return (v - spec.min) / (spec.max - spec.min);
}
export function fromSlider(spec: HyperSpec, t: number): number {
  if (spec.scale === 'log') {
    const lo = Math.log10(spec.min);
    // Round to 3 significant digits so the URL stays readable.
    return Number((10 ** (lo + t * (Math.log10(spec.max) - lo))).toPrecision(3));
  }
  return Number((spec.min + t * (spec.max - spec.min)).toPrecision(4));
}
