import {
  createOptimizer,
  OPTIMIZER_NAMES,
  type Optimizer,
  type CommonOptions,
} from '../../packages/optim/src/index.ts';

/** A slider for one hyper-parameter; `key` is the option name, `betas.0` for an array element. */
export interface HyperSpec {
  readonly key: string;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Log sliders move in powers of ten (the learning rate spans six decades). */
  readonly scale: 'log' | 'linear';
}

const LR: HyperSpec = { key: 'lr', label: 'lr', min: 1e-5, max: 10, scale: 'log' };
const EPS: HyperSpec = { key: 'eps', label: 'eps', min: 1e-10, max: 1, scale: 'log' };
const MOMENTUM: HyperSpec = {
  key: 'momentum',
  label: 'momentum',
  min: 0,
  max: 0.99,
  scale: 'linear',
};
const B1: HyperSpec = { key: 'betas.0', label: 'β₁', min: 0, max: 0.99, scale: 'linear' };
const B2: HyperSpec = { key: 'betas.1', label: 'β₂', min: 0.9, max: 0.9999, scale: 'linear' };
const WD: HyperSpec = {
  key: 'weightDecay',
  label: 'weight decay',
  min: 0,
  max: 0.5,
  scale: 'linear',
};
const ADAM = [LR, B1, B2, EPS];

const SPECS: Record<string, readonly HyperSpec[]> = {
  sgd: [LR],
  momentum: [LR, MOMENTUM],
  // Nesterov needs momentum > 0: the library would refuse 0.
  nesterov: [LR, { ...MOMENTUM, min: 0.01 }],
  adagrad: [LR, { key: 'lrDecay', label: 'lr decay', min: 0, max: 0.1, scale: 'linear' }, EPS],
  adadelta: [LR, { key: 'rho', label: 'ρ', min: 0.5, max: 0.999, scale: 'linear' }, EPS],
  rmsprop: [LR, { key: 'alpha', label: 'α', min: 0.5, max: 0.999, scale: 'linear' }, MOMENTUM, EPS],
  adam: ADAM,
  adamw: [...ADAM, WD],
  amsgrad: ADAM,
  adamax: ADAM,
  nadam: ADAM,
  radam: ADAM,
  sparseadam: ADAM,
};

/** One line of math per optimizer (from the TSDoc of its rule in src/rules/). */
export const RULES: Readonly<Record<string, string>> = {
  sgd: 'p −= lr·g',
  momentum: 'b = μb + g;  p −= lr·b',
  nesterov: 'b = μb + g;  p −= lr·(g + μb)',
  adagrad: 's += g²;  p −= lr/(1 + (t−1)·decay) · g/(√s + ε)',
  adadelta: 'v = ρv + (1−ρ)g²;  Δ = √(u+ε)/√(v+ε)·g;  u = ρu + (1−ρ)Δ²;  p −= lr·Δ',
  rmsprop: 'v = αv + (1−α)g²;  b = μb + g/(√v + ε);  p −= lr·b',
  adam: 'm = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  p −= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)',
  adamw: 'p ← p(1 − lr·wd);  then Adam: p −= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)',
  amsgrad: 'Adam with v̂ = max(v̂, v):  p −= lr/(1−β₁ᵗ) · m/(√v̂/√(1−β₂ᵗ) + ε)',
  adamax: 'm = β₁m + (1−β₁)g;  u = max(β₂u, |g| + ε);  p −= lr/(1−β₁ᵗ) · m/u',
  nadam: 'μₜ = β₁(1 − ½·0.96^(tψ));  p −= lr(1−μₜ)/(1−Πₜ)·g/D + lr·μₜ₊₁/(1−Πₜ₊₁)·m/D',
  radam: 'ρₜ > 5: p −= lr·m̂·rₜ·√(1−β₂ᵗ)/(√v + ε);  else p −= lr·m̂',
  sparseadam: 'm += (1−β₁)(g − m);  v += (1−β₂)(g² − v);  p −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)',
};

/** Every optimizer the page offers: all of the library's names. */
export const NAMES: readonly string[] = OPTIMIZER_NAMES;

/** The sliders of an optimizer (the learning rate alone for a name this page does not know). */
export function hyperSpecs(name: string): readonly HyperSpec[] {
  return SPECS[name] ?? [LR];
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

/** The library's defaults for an optimizer's sliders, read from a throw-away instance. */
export function defaultsOf(name: string): FlatOptions {
  const probe = createOptimizer(name, [new Float64Array(1)]);
  const group = probe.paramGroups[0] as unknown as Record<string, unknown>;
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
  const defaults = defaultsOf(name);
  for (const [key, value] of Object.entries(flat)) {
    const [head, index] = key.split('.');
    if (index === undefined) {
      out[head!] = value;
    } else {
      const arr = (out[head!] as number[] | undefined) ?? [
        defaults[`${head}.0`]!,
        defaults[`${head}.1`]!,
      ];
      arr[Number(index)] = value;
      out[head!] = arr;
    }
  }
  return out;
}

/** Builds the optimizer over `params` (the library validates and throws a RangeError). */
export function build(
  name: string,
  params: Float64Array,
  flat: FlatOptions,
): Optimizer<CommonOptions> {
  return createOptimizer(name, [params], toOptions(name, flat));
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
