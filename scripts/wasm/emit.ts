/**
 * A tiny emitter of WebAssembly text for element-wise optimizer kernels. A kernel is written
 * once, as the per-element math, against the `Ops` below; the emitter turns it into a SIMD body
 * (f32x4 or f64x2, unrolled) and a scalar tail of the same operations, so that the float64
 * kernels perform exactly the operations of the plain TypeScript loop, in the same order.
 */

export type Float = 'f32' | 'f64';

/** The per-element math of a kernel. Expressions are folded WAT strings. */
export interface Ops {
  /** True in the float64 kernels, which must match the plain loop bit for bit. */
  readonly exact: boolean;
  ld(array: string): string;
  st(array: string, value: string): void;
  /** Binds a value to a local and returns an expression reading it. */
  let(name: string, value: string): string;
  /** A scalar argument (or a derived scalar), splatted across the lanes. */
  k(name: string): string;
  add(a: string, b: string): string;
  sub(a: string, b: string): string;
  mul(a: string, b: string): string;
  div(a: string, b: string): string;
  max(a: string, b: string): string;
  min(a: string, b: string): string;
  /**
   * wasm's pseudo-maximum `a < b ? b : a` and pseudo-minimum `b < a ? b : a`: NaN only from `a`,
   * ±0 unordered. One instruction each on x86-64, where `max` and `min` take about eight (to
   * order ±0 and propagate NaN from either side): for the float32 kernels, and in float64 where
   * neither a zero against a zero nor a NaN in `b` can occur (`sign`).
   */
  pmax(a: string, b: string): string;
  pmin(a: string, b: string): string;
  sqrt(a: string): string;
  abs(a: string): string;
  /** −1, 0 or 1 as `Math.sign` (and `torch.sign`): ±0 for ±0, NaN for NaN. */
  sign(a: string): string;
  /**
   * ±1 with a's sign where a is not ±0 (NaN included: ±1, not NaN), +0 where it is: three bitwise
   * instructions and a comparison, where `sign` takes four floating-point ones. For the float32
   * kernels, where a NaN reaches the result through another operand.
   */
  unitSign(a: string): string;
  /** A lane mask (a comparison's result, to use only in `select`): a > b, a < b. */
  gt(a: string, b: string): string;
  lt(a: string, b: string): string;
  /** `yes` where the mask is set, else `no` (both are evaluated). */
  select(mask: string, yes: string, no: string): string;
  /** A constant, splatted across the lanes. */
  c(value: number): string;
}

/**
 * A test on the arguments of a rule's fast-path wrapper, which the build writes out as
 * TypeScript: a scalar differs from a value (`wd !== 0`), an optional buffer is given
 * (`vmax !== null`), or a boolean argument is set (`nesterov`).
 */
export type Cond =
  | { readonly scalar: string; readonly not: number }
  | { readonly given: string }
  | { readonly option: string };

/** A boolean variant of a kernel and the condition on the wrapper's arguments that selects it. */
export interface Flag {
  readonly name: string;
  readonly when: Cond;
}

export interface KernelDef {
  name: string;
  /**
   * Buffers (byte offsets into memory), in argument order. For a rule: the parameter, the
   * gradient (read only), then the state written in place; a buffer named by a flag's `given`
   * is optional (null when that flag is off).
   */
  arrays: readonly string[];
  /** float64 scalar arguments, in argument order after the arrays and the length. */
  scalars: readonly string[];
  /** Scalars computed once per call in float64, e.g. `['c1', '(f64.sub (f64.const 1) $b1)']`. */
  derived?: readonly (readonly [string, string])[];
  /** Boolean variants; variant `bits` has flag `i` set when bit `i` is. */
  flags: readonly Flag[];
  /**
   * The rule's typed fast-path wrapper (`fastAdam`): its arguments are the arrays, the scalars,
   * then the `option` of each flag that has one, in flag order. Absent for benchmark kernels.
   */
  fast?: string;
  /** A condition the kernel needs, and why; where it fails, the wrapper answers false. */
  guard?: { readonly when: Cond; readonly why: string };
  body(o: Ops, flags: Readonly<Record<string, boolean>>): void;
}

const UNROLL = 4;

function scalarExpr(expr: string): string {
  return expr.replace(/\$([A-Za-z0-9_]+)/g, '(local.get $a_$1)');
}

class Body implements Ops {
  readonly lines: string[] = [];
  readonly locals = new Set<string>();
  constructor(
    private readonly f: Float,
    private readonly vec: boolean,
    private readonly unit: number,
    readonly exact: boolean,
  ) {}

  private get t(): string {
    if (!this.vec) return this.f;
    return this.f === 'f32' ? 'f32x4' : 'f64x2';
  }
  private addr(array: string): string {
    return `(i32.add (local.get $a_${array}) (local.get $o))`;
  }
  private offset(): string {
    return this.vec ? ` offset=${this.unit * 16}` : '';
  }
  ld(array: string): string {
    const op = this.vec ? 'v128.load' : `${this.f}.load`;
    return `(${op}${this.offset()} ${this.addr(array)})`;
  }
  st(array: string, value: string): void {
    const op = this.vec ? 'v128.store' : `${this.f}.store`;
    this.lines.push(`(${op}${this.offset()} ${this.addr(array)} ${value})`);
  }
  let(name: string, value: string): string {
    const local = `$l_${name}_${this.vec ? 'v' : 's'}${this.unit}`;
    this.locals.add(`(local ${local} ${this.vec ? 'v128' : this.f})`);
    this.lines.push(`(local.set ${local} ${value})`);
    return `(local.get ${local})`;
  }
  k(name: string): string {
    // The tail reads lane 0 of the splatted constant: a separate scalar local would stay live
    // across the SIMD loop, and V8 then re-broadcasts the constants inside it.
    if (!this.vec) {
      return `(${this.f === 'f32' ? 'f32x4' : 'f64x2'}.extract_lane 0 (local.get $v_${name}))`;
    }
    return `(local.get $${this.vec ? 'v' : 's'}_${name})`;
  }
  add = (a: string, b: string): string => `(${this.t}.add ${a} ${b})`;
  sub = (a: string, b: string): string => `(${this.t}.sub ${a} ${b})`;
  mul = (a: string, b: string): string => `(${this.t}.mul ${a} ${b})`;
  div = (a: string, b: string): string => `(${this.t}.div ${a} ${b})`;
  // wasm's min/max propagate NaN, like Math.max and torch.maximum.
  max = (a: string, b: string): string => `(${this.t}.max ${a} ${b})`;
  min = (a: string, b: string): string => `(${this.t}.min ${a} ${b})`;
  // The scalar tail has no pmin/pmax: a select (its operands are pure, evaluated twice).
  pmax = (a: string, b: string): string =>
    this.vec ? `(${this.t}.pmax ${a} ${b})` : `(select ${b} ${a} (${this.f}.lt ${a} ${b}))`;
  pmin = (a: string, b: string): string =>
    this.vec ? `(${this.t}.pmin ${a} ${b})` : `(select ${b} ${a} (${this.f}.lt ${b} ${a}))`;
  sqrt = (a: string): string => `(${this.t}.sqrt ${a})`;
  abs = (a: string): string => `(${this.t}.abs ${a})`;
  gt = (a: string, b: string): string => `(${this.t}.gt ${a} ${b})`;
  lt = (a: string, b: string): string => `(${this.t}.lt ${a} ${b})`;
  select(mask: string, yes: string, no: string): string {
    if (!this.vec) return `(select ${yes} ${no} ${mask})`;
    // +0 is all bits clear: selecting it is one and-not (or and), where bitselect is three.
    const zero = this.c(0);
    if (yes === zero) return `(v128.andnot ${no} ${mask})`;
    if (no === zero) return `(v128.and ${yes} ${mask})`;
    return `(v128.bitselect ${yes} ${no} ${mask})`;
  }
  c(value: number): string {
    const k = `(${this.f}.const ${value})`;
    return this.vec ? `(${this.t}.splat ${k})` : k;
  }
  sign(a: string): string {
    // Saturation: a·K·K (K = 2¹²⁷ in float32, 2¹⁰²³ in float64) is ±∞ or at least 2¹⁰⁵ (2⁹⁷²)
    // in magnitude for every nonzero a, subnormals included, ±0 for ±0 and NaN for NaN (both
    // products exact, K a power of two); pmax and pmin clamp it to ±1 and keep the NaN of their
    // first operand and the sign of a zero. Math.sign exactly, −0 included (the float64 kernels
    // must keep it: p − (−0)·s and p − 0·s differ at p = −0), in four instructions where a
    // select of a sign-bit copy takes seven.
    const big = this.c(this.f === 'f32' ? 2 ** 127 : 2 ** 1023);
    const x = this.let(`sign${this.signs++}`, this.mul(this.mul(a, big), big));
    return this.pmin(this.pmax(x, this.c(-1)), this.c(1));
  }
  unitSign(a: string): string {
    const x = this.let(`sign${this.signs++}`, a);
    const nonzero = `(${this.t}.ne ${x} ${this.c(0)})`;
    if (!this.vec) return `(select (${this.f}.copysign ${this.c(1)} ${x}) ${this.c(0)} ${nonzero})`;
    const sign = `(v128.and ${x} (${this.t}.splat (${this.f}.const -0)))`;
    return `(v128.and (v128.or ${sign} ${this.c(1)}) ${nonzero})`;
  }
  private signs = 0;
}

/** The flags of variant `bits` of `def`, by name. */
export function flagsOf(def: KernelDef, bits: number): Record<string, boolean> {
  const flags: Record<string, boolean> = {};
  def.flags.forEach((flag, i) => (flags[flag.name] = (bits & (1 << i)) !== 0));
  return flags;
}

/** One exported function `${name}_${f}_${bits}` for one variant. */
function emitVariant(def: KernelDef, f: Float, bits: number): string {
  const flags = flagsOf(def, bits);
  const size = f === 'f32' ? 4 : 8;
  const lanes = 16 / size;
  const exact = f === 'f64';

  const vec: Body[] = [];
  for (let u = 0; u < UNROLL; u++) {
    const b = new Body(f, true, u, exact);
    def.body(b, flags);
    vec.push(b);
  }
  const tail = new Body(f, false, 0, exact);
  def.body(tail, flags);

  const scalarNames = [...def.scalars, ...(def.derived ?? []).map(([n]) => n)];
  const params = [
    ...def.arrays.map((a) => `(param $a_${a} i32)`),
    '(param $a_n i32)',
    ...def.scalars.map((s) => `(param $a_${s} f64)`),
  ];
  const locals = new Set<string>(['(local $o i32)', '(local $end i32)']);
  const setup: string[] = [];
  for (const [name, expr] of def.derived ?? []) {
    locals.add(`(local $a_${name} f64)`);
    setup.push(`(local.set $a_${name} ${scalarExpr(expr)})`);
  }
  for (const name of scalarNames) {
    const x = `(local.get $a_${name})`;
    locals.add(`(local $v_${name} v128)`);
    const s = f === 'f32' ? `(f32.demote_f64 ${x})` : x;
    setup.push(`(local.set $v_${name} (${f === 'f32' ? 'f32x4' : 'f64x2'}.splat ${s}))`);
  }
  for (const b of [...vec, tail]) for (const l of b.locals) locals.add(l);

  const per = lanes * UNROLL;
  const shift = Math.log2(size);
  return `(func (export "${def.name}_${f}_${bits}") ${params.join(' ')}
  ${[...locals].join(' ')}
  ${setup.join('\n  ')}
  (local.set $end (i32.shl (i32.and (local.get $a_n) (i32.const ${-per})) (i32.const ${shift})))
  (block $vdone (loop $vloop
    (br_if $vdone (i32.ge_u (local.get $o) (local.get $end)))
    ${vec.map((b) => b.lines.join('\n    ')).join('\n    ')}
    (local.set $o (i32.add (local.get $o) (i32.const ${per * size})))
    (br $vloop)))
  (local.set $end (i32.shl (local.get $a_n) (i32.const ${shift})))
  (block $sdone (loop $sloop
    (br_if $sdone (i32.ge_u (local.get $o) (local.get $end)))
    ${tail.lines.join('\n    ')}
    (local.set $o (i32.add (local.get $o) (i32.const ${size})))
    (br $sloop))))`;
}

/**
 * The text of a module importing its memory as `env.memory` and exporting every variant, plus
 * `extra` functions written by hand (the matrix product, `matmul.ts`).
 */
export function emitModule(
  defs: readonly KernelDef[],
  shared: boolean,
  extra: readonly string[] = [],
): string {
  const funcs: string[] = [...extra];
  for (const def of defs) {
    for (const f of ['f32', 'f64'] as const) {
      for (let bits = 0; bits < 1 << def.flags.length; bits++) {
        funcs.push(emitVariant(def, f, bits));
      }
    }
  }
  const mem = shared ? '1 65536 shared' : '1';
  return `(module\n(import "env" "memory" (memory ${mem}))\n${funcs.join('\n')}\n)\n`;
}

/**
 * The most square roots and divisions one element of a float32 variant of `def` performs. They
 * run on the core's divider unit, whose throughput the benchmark measures, so these counts give
 * each rule a floor on its step time that no memory layout can beat.
 */
export function dividerOps(def: KernelDef): { sqrt: number; div: number } {
  let sqrt = 0;
  let div = 0;
  for (let bits = 0; bits < 1 << def.flags.length; bits++) {
    const flags = flagsOf(def, bits);
    const b = new Body('f32', true, 0, false);
    def.body(b, flags);
    const text = b.lines.join('\n');
    sqrt = Math.max(sqrt, text.split('f32x4.sqrt').length - 1);
    div = Math.max(div, text.split('f32x4.div').length - 1);
  }
  return { sqrt, div };
}
