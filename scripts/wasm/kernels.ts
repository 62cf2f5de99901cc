/**
 * The per-element math of every rule in `src/rules/`, written against the emitter's `Ops`. In the
 * float64 kernels (`o.exact`) each line performs the plain loop's operations in the same order, so
 * the results are identical bit for bit; the float32 kernels may use cheaper equivalent forms
 * (a multiplication by a precomputed reciprocal), covered by the float32 parity tolerance.
 */
import type { Flag, KernelDef, Ops } from './emit.ts';

const ONE_MINUS = (x: string): string => `(f64.sub (f64.const 1) $${x})`;

// Flags that skip a no-op: `g·1` and `p·1` are exact to leave out; `+ wd·p` the plain loop itself
// leaves out when wd is 0 (`0·p` is NaN for an infinite p).
const SCALED: Flag = { name: 'scaled', when: { scalar: 'gs', not: 1 } };
const WD: Flag = { name: 'wd', when: { scalar: 'wd', not: 0 } };
const L2: Flag = { name: 'l2', when: { scalar: 'l2', not: 0 } };
const DECAYED: Flag = { name: 'decayed', when: { scalar: 'decay', not: 1 } };

/** `d = g·gs (+ wd·p)`, shared by every rule; `g·1` is skipped (exact: it is `g`). */
function grad(o: Ops, f: Readonly<Record<string, boolean>>, wd: boolean, wdName = 'wd'): string {
  let d = f.scaled ? o.mul(o.ld('g'), o.k('gs')) : o.ld('g');
  if (wd) d = o.add(o.let('d0', d), o.mul(o.k(wdName), o.ld('p')));
  return o.let('d', d);
}

const sgd: KernelDef = {
  name: 'sgd',
  arrays: ['p', 'g'],
  scalars: ['gs', 'lr', 'wd'],
  flags: [WD, SCALED],
  fast: 'fastSgd',
  body(o, f) {
    const d = grad(o, f, f.wd);
    o.st('p', o.sub(o.ld('p'), o.mul(o.k('lr'), d)));
  },
};

const sgdMomentum: KernelDef = {
  name: 'sgdm',
  arrays: ['p', 'g', 'buf'],
  scalars: ['gs', 'lr', 'wd', 'mom', 'damp'],
  derived: [['keep', ONE_MINUS('damp')]],
  flags: [
    WD,
    { name: 'nesterov', when: { option: 'nesterov' } },
    // The buffer's first step stores the gradient itself, as PyTorch's clone does.
    { name: 'first', when: { option: 'first' } },
    SCALED,
  ],
  fast: 'fastSgdMomentum',
  body(o, f) {
    const d = grad(o, f, f.wd);
    const b = o.let(
      'b',
      f.first ? d : o.add(o.mul(o.k('mom'), o.ld('buf')), o.mul(o.k('keep'), d)),
    );
    o.st('buf', b);
    const dir = f.nesterov ? o.add(d, o.mul(o.k('mom'), b)) : b;
    o.st('p', o.sub(o.ld('p'), o.mul(o.k('lr'), dir)));
  },
};

const adagrad: KernelDef = {
  name: 'adagrad',
  arrays: ['p', 'g', 'sum'],
  scalars: ['gs', 'clr', 'wd', 'eps'],
  flags: [WD, SCALED],
  fast: 'fastAdagrad',
  body(o, f) {
    const d = grad(o, f, f.wd);
    const s = o.let('s', o.add(o.ld('sum'), o.mul(d, d)));
    o.st('sum', s);
    o.st('p', o.sub(o.ld('p'), o.div(o.mul(o.k('clr'), d), o.add(o.sqrt(s), o.k('eps')))));
  },
};

const adadelta: KernelDef = {
  name: 'adadelta',
  arrays: ['p', 'g', 'v', 'u'],
  scalars: ['gs', 'lr', 'rho', 'eps', 'wd'],
  derived: [['c', ONE_MINUS('rho')]],
  flags: [WD, SCALED],
  fast: 'fastAdadelta',
  body(o, f) {
    const d = grad(o, f, f.wd);
    const v = o.let('v', o.add(o.mul(o.k('rho'), o.ld('v')), o.mul(o.mul(o.k('c'), d), d)));
    o.st('v', v);
    const u = o.let('u', o.ld('u'));
    // float32: one root of the quotient instead of a quotient of roots (the divider, shared by
    // sqrt and div, bounds these kernels).
    const ratio = o.exact
      ? o.div(o.sqrt(o.add(u, o.k('eps'))), o.sqrt(o.add(v, o.k('eps'))))
      : o.sqrt(o.div(o.add(u, o.k('eps')), o.add(v, o.k('eps'))));
    const delta = o.let('delta', o.mul(ratio, d));
    o.st('u', o.add(o.mul(o.k('rho'), u), o.mul(o.mul(o.k('c'), delta), delta)));
    o.st('p', o.sub(o.ld('p'), o.mul(o.k('lr'), delta)));
  },
};

const rmsprop: KernelDef = {
  name: 'rmsprop',
  arrays: ['p', 'g', 'v', 'buf', 'ga'],
  scalars: ['gs', 'lr', 'alpha', 'eps', 'wd', 'mom'],
  derived: [['c', ONE_MINUS('alpha')]],
  flags: [
    WD,
    { name: 'momentum', when: { given: 'buf' } },
    { name: 'centered', when: { given: 'ga' } },
    SCALED,
  ],
  fast: 'fastRmsprop',
  body(o, f) {
    const d = grad(o, f, f.wd);
    const v = o.let('v', o.add(o.mul(o.k('alpha'), o.ld('v')), o.mul(o.mul(o.k('c'), d), d)));
    o.st('v', v);
    let avg: string;
    if (f.centered) {
      const ga = o.let('ga', o.add(o.mul(o.k('alpha'), o.ld('ga')), o.mul(o.k('c'), d)));
      o.st('ga', ga);
      avg = o.let('avg', o.add(o.sqrt(o.sub(v, o.mul(ga, ga))), o.k('eps')));
    } else {
      avg = o.let('avg', o.add(o.sqrt(v), o.k('eps')));
    }
    if (f.momentum) {
      const b = o.let('b', o.add(o.mul(o.k('mom'), o.ld('buf')), o.div(d, avg)));
      o.st('buf', b);
      o.st('p', o.sub(o.ld('p'), o.mul(o.k('lr'), b)));
    } else {
      o.st('p', o.sub(o.ld('p'), o.div(o.mul(o.k('lr'), d), avg)));
    }
  },
};

/**
 * Adam's first and second moments. float64: as the plain loop computes them. float32:
 * `m + (1−β₁)(d − m)`, the same value with one multiplication less, which matters because the
 * float32 kernels are bound by the multiply ports, not the adders.
 */
function moments(o: Ops, d: string): [string, string] {
  let m: string;
  let v: string;
  if (o.exact) {
    m = o.let('m', o.add(o.mul(o.k('b1'), o.ld('m')), o.mul(o.k('c1'), d)));
    o.st('m', m);
    v = o.let('v', o.add(o.mul(o.k('b2'), o.ld('v')), o.mul(o.mul(o.k('c2'), d), d)));
  } else {
    const m0 = o.let('m0', o.ld('m'));
    m = o.let('m', o.add(m0, o.mul(o.k('c1'), o.sub(d, m0))));
    o.st('m', m);
    const v0 = o.let('v0', o.ld('v'));
    v = o.let('v', o.add(v0, o.mul(o.k('c2'), o.sub(o.mul(d, d), v0))));
  }
  o.st('v', v);
  return [m, v];
}

/** `p·decay`, skipped when decay is 1 (exact: `p·1` is `p`). */
function decayed(o: Ops, f: Readonly<Record<string, boolean>>): string {
  return f.decayed ? o.mul(o.ld('p'), o.k('decay')) : o.ld('p');
}

const BETAS: readonly (readonly [string, string])[] = [
  ['c1', ONE_MINUS('b1')],
  ['c2', ONE_MINUS('b2')],
];

const adam: KernelDef = {
  name: 'adam',
  arrays: ['p', 'g', 'm', 'v', 'vmax'],
  scalars: ['gs', 'b1', 'b2', 'l2', 'decay', 'stepSize', 'bc2Sqrt', 'eps'],
  // float32: `stepSize·m / (√v/√bc2 + eps) = m / (√v·A + B)`, A = 1/(√bc2·stepSize),
  // B = eps/stepSize (the caller keeps stepSize 0 on the plain loop).
  derived: [
    ...BETAS,
    ['A', '(f64.div (f64.const 1) (f64.mul $bc2Sqrt $stepSize))'],
    ['B', '(f64.div $eps $stepSize)'],
  ],
  flags: [L2, { name: 'amsgrad', when: { given: 'vmax' } }, SCALED, DECAYED],
  fast: 'fastAdam',
  guard: {
    when: { scalar: 'stepSize', not: 0 },
    why: 'The float32 kernel divides by stepSize: lr 0 stays on the plain loop.',
  },
  body(o, f) {
    const d = grad(o, f, f.l2, 'l2');
    const [m, v] = moments(o, d);
    let vi = v;
    if (f.amsgrad) {
      vi = o.let('vmax', o.max(o.ld('vmax'), v));
      o.st('vmax', vi);
    }
    const step = o.exact
      ? o.div(o.mul(o.k('stepSize'), m), o.add(o.div(o.sqrt(vi), o.k('bc2Sqrt')), o.k('eps')))
      : o.div(m, o.add(o.mul(o.sqrt(vi), o.k('A')), o.k('B')));
    o.st('p', o.sub(decayed(o, f), step));
  },
};

const adamax: KernelDef = {
  name: 'adamax',
  arrays: ['p', 'g', 'm', 'u'],
  scalars: ['gs', 'b1', 'b2', 'wd', 'clr', 'eps'],
  derived: [['c1', ONE_MINUS('b1')]],
  flags: [WD, SCALED],
  fast: 'fastAdamax',
  body(o, f) {
    const d = grad(o, f, f.wd);
    const m = o.let('m', o.add(o.mul(o.k('b1'), o.ld('m')), o.mul(o.k('c1'), d)));
    o.st('m', m);
    const u = o.let('u', o.max(o.mul(o.k('b2'), o.ld('u')), o.add(o.abs(d), o.k('eps'))));
    o.st('u', u);
    o.st('p', o.sub(o.ld('p'), o.div(o.mul(o.k('clr'), m), u)));
  },
};

const nadam: KernelDef = {
  name: 'nadam',
  arrays: ['p', 'g', 'm', 'v'],
  scalars: ['gs', 'b1', 'b2', 'l2', 'decay', 'bc2', 'gradStep', 'momStep', 'eps'],
  derived: [...BETAS, ['rsbc2', '(f64.div (f64.const 1) (f64.sqrt $bc2))']],
  flags: [L2, SCALED, DECAYED],
  fast: 'fastNadam',
  body(o, f) {
    const d = grad(o, f, f.l2, 'l2');
    const [m, v] = moments(o, d);
    if (o.exact) {
      const den = o.let('den', o.add(o.sqrt(o.div(v, o.k('bc2'))), o.k('eps')));
      const p = o.sub(decayed(o, f), o.div(o.mul(o.k('gradStep'), d), den));
      o.st('p', o.sub(p, o.div(o.mul(o.k('momStep'), m), den)));
    } else {
      // float32: both terms over one division, √(v/bc2) as √v·(1/√bc2).
      const num = o.add(o.mul(o.k('gradStep'), d), o.mul(o.k('momStep'), m));
      const den = o.add(o.mul(o.sqrt(v), o.k('rsbc2')), o.k('eps'));
      o.st('p', o.sub(decayed(o, f), o.div(num, den)));
    }
  },
};

const radam: KernelDef = {
  name: 'radam',
  arrays: ['p', 'g', 'm', 'v'],
  scalars: ['gs', 'b1', 'b2', 'l2', 'decay', 'stepSize', 'adaptive', 'eps'],
  derived: BETAS,
  // Below rho_t = 5 the rule passes `adaptive` 0: the step is plain momentum.
  flags: [L2, { name: 'rectified', when: { scalar: 'adaptive', not: 0 } }, SCALED, DECAYED],
  fast: 'fastRadam',
  body(o, f) {
    const d = grad(o, f, f.l2, 'l2');
    const [m, v] = moments(o, d);
    const step = f.rectified ? o.div(o.mul(o.k('adaptive'), m), o.add(o.sqrt(v), o.k('eps'))) : m;
    o.st('p', o.sub(decayed(o, f), o.mul(o.k('stepSize'), step)));
  },
};

/**
 * The machine's limit for the benchmark: `x += g` in place over `k` buffers and one read-only
 * gradient, the same bytes an optimizer with `k` written buffers moves, with no math to speak of.
 */
function stream(k: number): KernelDef {
  const arrays = ['g', 'x0', 'x1', 'x2', 'x3'].slice(0, k + 1);
  return {
    name: `stream${k}`,
    arrays,
    scalars: [],
    flags: [],
    body(o) {
      const g = o.let('g', o.ld('g'));
      for (const x of arrays.slice(1)) o.st(x, o.add(o.ld(x), g));
    },
  };
}

/**
 * Throughput probes for the benchmark: `p = √g` and `p = c / g` over a cache-resident buffer time
 * one SIMD square root or division per lane group, the operations that share the core's single
 * divider unit and bound the rules that use them (see `dividerOps`).
 */
const probeSqrt: KernelDef = {
  name: 'probe_sqrt',
  arrays: ['p', 'g'],
  scalars: [],
  flags: [],
  body: (o) => o.st('p', o.sqrt(o.ld('g'))),
};
const probeDiv: KernelDef = {
  name: 'probe_div',
  arrays: ['p', 'g'],
  scalars: ['c'],
  flags: [],
  body: (o) => o.st('p', o.div(o.k('c'), o.ld('g'))),
};

const lion: KernelDef = {
  name: 'lion',
  arrays: ['p', 'g', 'm'],
  scalars: ['gs', 'b1', 'b2', 'lr', 'decay'],
  derived: [
    ['c1', ONE_MINUS('b1')],
    ['c2', ONE_MINUS('b2')],
    ['nlr', '(f64.neg $lr)'],
  ],
  flags: [SCALED, DECAYED],
  fast: 'fastLion',
  body(o, f) {
    const d = o.let('d', f.scaled ? o.mul(o.ld('g'), o.k('gs')) : o.ld('g'));
    const m = o.let('m', o.ld('m'));
    const c = o.add(o.mul(m, o.k('b1')), o.mul(o.k('c1'), d));
    const p = f.decayed ? o.mul(o.ld('p'), o.k('decay')) : o.ld('p');
    o.st('p', o.add(p, o.mul(o.k('nlr'), o.sign(c))));
    o.st('m', o.add(o.mul(m, o.k('b2')), o.mul(o.k('c2'), d)));
  },
};

const rprop: KernelDef = {
  name: 'rprop',
  arrays: ['p', 'g', 'prev', 'size'],
  scalars: ['gs', 'em', 'ep', 'lo', 'hi'],
  flags: [SCALED],
  fast: 'fastRprop',
  body(o, f) {
    const d = o.let('d', f.scaled ? o.mul(o.ld('g'), o.k('gs')) : o.ld('g'));
    const prev = o.let('prev', o.ld('prev'));
    // float32: the bitwise unit sign. A NaN d still reaches q, the factor, s and so the step
    // through d itself (sd + d), and the sign of a zero sd changes at most the sign of a zero p.
    const sd = o.let('sd', o.exact ? o.sign(d) : o.unitSign(d));
    // float64: the plain loop's product. float32: the plain loop multiplies in float64, where a
    // product of two float32 values never underflows; a float32 product can, to 0 (no sign).
    // (sign(d) + d)·prev cannot (|sign(d) + d| >= 1 where d is not 0) and is 0, NaN or of either
    // sign exactly where d·prev is (NaN for ∞·0 and 0·∞).
    const q = o.let('q', o.exact ? o.mul(d, prev) : o.mul(o.add(sd, d), prev));
    // A mask is no value to bind (the scalar tail's comparisons give an i32): written out twice.
    const flip = (): string => o.lt(q, o.c(0));
    // q is neither > 0 nor < 0 only where it is ±0 (factor 1) or NaN (factor NaN): 1 + q.
    const factor = o.select(
      o.gt(q, o.c(0)),
      o.k('ep'),
      o.select(flip(), o.k('em'), o.add(o.c(1), q)),
    );
    // float32: pmax and pmin keep the NaN of size·factor (their first operand), and may differ
    // from Math.max and Math.min only in the sign of a zero.
    const x = o.mul(o.ld('size'), factor);
    const s = o.let(
      's',
      o.exact ? o.min(o.max(x, o.k('lo')), o.k('hi')) : o.pmin(o.pmax(x, o.k('lo')), o.k('hi')),
    );
    o.st('size', s);
    // After a flip d is +0, whose sign is +0: the plain loop's bits.
    o.st('p', o.sub(o.ld('p'), o.mul(o.select(flip(), o.c(0), sd), s)));
    o.st('prev', o.select(flip(), o.c(0), d));
  },
};

const asgd: KernelDef = {
  name: 'asgd',
  arrays: ['p', 'g', 'ax'],
  scalars: ['gs', 'wd', 'decay', 'eta', 'mu'],
  derived: [['neta', '(f64.neg $eta)']],
  // No flag for decay = 1 − λ·η = 1 (λ = 0, which no descriptor variant sets): `p·1` is exact,
  // and one multiplication more is free in a kernel bound by memory.
  flags: [WD, SCALED, { name: 'averaging', when: { scalar: 'mu', not: 1 } }],
  fast: 'fastAsgd',
  body(o, f) {
    const d = grad(o, f, f.wd);
    const p = o.let('p', o.add(o.mul(o.ld('p'), o.k('decay')), o.mul(o.k('neta'), d)));
    o.st('p', p);
    if (f.averaging) {
      const ax = o.let('ax', o.ld('ax'));
      o.st('ax', o.add(ax, o.mul(o.k('mu'), o.sub(p, ax))));
    } else {
      o.st('ax', p);
    }
  },
};

/**
 * torch's `lerp(a, b, w)` with torch's rounding (see `schedule-free.ts`): `a + w(b − a)` when the
 * flag `low` says |w| < 0.5, else `b − (b − a)(1 − w)`, with `1 − w` derived once (`w1`), as the
 * plain loops hoist it.
 */
const LOW: Flag = { name: 'low', when: { option: 'low' } };
function lerp(o: Ops, f: Readonly<Record<string, boolean>>, a: string, b: string): string {
  return f.low ? o.add(a, o.mul(o.k('w'), o.sub(b, a))) : o.sub(b, o.mul(o.sub(b, a), o.k('w1')));
}

/**
 * Schedule-Free's step from y (the parameter) and z with the direction u: `y ← lerp(y, z, c) +
 * yStep·u; z −= lr·u`.
 */
function scheduleFreeStep(
  o: Ops,
  f: Readonly<Record<string, boolean>>,
  y: string,
  u: string,
): void {
  const z = o.let('z', o.ld('z'));
  o.st('p', o.add(lerp(o, f, y, z), o.mul(o.k('yStep'), u)));
  o.st('z', o.sub(z, o.mul(o.k('lr'), u)));
}

const scheduleFreeAdamW: KernelDef = {
  name: 'sfadamw',
  arrays: ['p', 'g', 'z', 'v', 'm'],
  scalars: ['gs', 'b2', 'bc2', 'eps', 'mu', 'bc1', 'wd', 'w', 'yStep', 'lr'],
  derived: [
    ['c2', ONE_MINUS('b2')],
    ['c1', ONE_MINUS('mu')],
    ['w1', ONE_MINUS('w')],
    // float32: √(v/bc2) as √v·(1/√bc2), m/bc1 as m·(1/bc1).
    ['rsbc2', '(f64.div (f64.const 1) (f64.sqrt $bc2))'],
    ['rbc1', '(f64.div (f64.const 1) $bc1)'],
  ],
  flags: [WD, { name: 'inner', when: { given: 'm' } }, SCALED, LOW],
  fast: 'fastScheduleFreeAdamW',
  body(o, f) {
    const d = o.let('d', f.scaled ? o.mul(o.ld('g'), o.k('gs')) : o.ld('g'));
    const v = o.let('v', o.add(o.mul(o.ld('v'), o.k('b2')), o.mul(o.mul(o.k('c2'), d), d)));
    o.st('v', v);
    const den = o.let(
      'den',
      o.exact
        ? o.add(o.sqrt(o.div(v, o.k('bc2'))), o.k('eps'))
        : o.add(o.mul(o.sqrt(v), o.k('rsbc2')), o.k('eps')),
    );
    let u = o.div(d, den);
    if (f.inner) {
      const m = o.let('m', o.add(o.mul(o.ld('m'), o.k('mu')), o.mul(o.k('c1'), d)));
      o.st('m', m);
      u = o.exact ? o.div(o.div(m, o.k('bc1')), den) : o.div(o.mul(m, o.k('rbc1')), den);
    }
    const y = o.let('y', o.ld('p'));
    if (f.wd) u = o.add(o.let('u0', u), o.mul(o.k('wd'), y));
    scheduleFreeStep(o, f, y, o.let('u', u));
  },
};

const scheduleFreeSgd: KernelDef = {
  name: 'sfsgd',
  arrays: ['p', 'g', 'z'],
  scalars: ['gs', 'wd', 'w', 'yStep', 'lr'],
  derived: [['w1', ONE_MINUS('w')]],
  flags: [WD, SCALED, LOW],
  fast: 'fastScheduleFreeSgd',
  body(o, f) {
    const y = o.let('y', o.ld('p'));
    let u = f.scaled ? o.mul(o.ld('g'), o.k('gs')) : o.ld('g');
    if (f.wd) u = o.add(o.let('u0', u), o.mul(o.k('wd'), y));
    scheduleFreeStep(o, f, y, o.let('u', u));
  },
};

const adopt: KernelDef = {
  name: 'adopt',
  arrays: ['p', 'g', 'm', 'v'],
  scalars: ['gs', 'l2', 'lrWd', 'clip', 'w', 'b2', 'lr', 'eps'],
  derived: [
    ['c2', ONE_MINUS('b2')],
    ['w1', ONE_MINUS('w')],
    ['nlr', '(f64.neg $lr)'],
    ['nclip', '(f64.neg $clip)'],
  ],
  // Coupled (l2) and decoupled decay (lrWd) are alternatives: the rule never sets both.
  flags: [L2, { name: 'decayed', when: { scalar: 'lrWd', not: 0 } }, SCALED, LOW],
  fast: 'fastAdopt',
  body(o, f) {
    const d = grad(o, f, f.l2, 'l2');
    let x = o.ld('p');
    if (f.decayed) {
      const x0 = o.let('x0', x);
      x = o.sub(x0, o.mul(o.k('lrWd'), x0));
    }
    x = o.let('x', x);
    const v = o.let('v', o.ld('v'));
    // float32: pmax and pmin, one instruction each, equal to max and min here: NaN comes only
    // from their first operand (√v, the quotient), and no two zeros meet (v is +0 or more, never
    // −0, the clamp's bounds ±clip are ±1 or beyond).
    const n = o.exact
      ? o.min(o.max(o.div(d, o.max(o.sqrt(v), o.k('eps'))), o.k('nclip')), o.k('clip'))
      : o.pmin(o.pmax(o.div(d, o.pmax(o.sqrt(v), o.k('eps'))), o.k('nclip')), o.k('clip'));
    const m = o.let('m', lerp(o, f, o.ld('m'), o.let('n', n)));
    o.st('m', m);
    o.st('p', o.add(x, o.mul(o.k('nlr'), m)));
    o.st('v', o.add(o.mul(v, o.k('b2')), o.mul(o.mul(o.k('c2'), d), d)));
  },
};

const ademamix: KernelDef = {
  name: 'ademamix',
  arrays: ['p', 'g', 'm1', 'm2', 'v'],
  scalars: ['gs', 'b1', 'b2', 'b3', 'alpha', 'bc1', 'bc2Sqrt', 'eps', 'wd', 'lr'],
  derived: [
    ['c1', ONE_MINUS('b1')],
    ['c2', ONE_MINUS('b2')],
    ['c3', ONE_MINUS('b3')],
    ['nlr', '(f64.neg $lr)'],
    // float32: the bias corrections as multiplications by their reciprocals.
    ['rbc1', '(f64.div (f64.const 1) $bc1)'],
    ['rbc2', '(f64.div (f64.const 1) $bc2Sqrt)'],
  ],
  // β₁ = 0 keeps no fast EMA: the gradient stands in for it.
  flags: [{ name: 'fastEma', when: { given: 'm1' } }, SCALED],
  fast: 'fastAdemamix',
  body(o, f) {
    const d = o.let('d', f.scaled ? o.mul(o.ld('g'), o.k('gs')) : o.ld('g'));
    let fast = d;
    if (f.fastEma) {
      fast = o.let('m1', o.add(o.mul(o.ld('m1'), o.k('b1')), o.mul(o.k('c1'), d)));
      o.st('m1', fast);
    }
    const m2 = o.let('m2', o.add(o.mul(o.ld('m2'), o.k('b3')), o.mul(o.k('c3'), d)));
    o.st('m2', m2);
    const v = o.let('v', o.add(o.mul(o.ld('v'), o.k('b2')), o.mul(o.mul(o.k('c2'), d), d)));
    o.st('v', v);
    const num = o.add(
      o.exact ? o.div(fast, o.k('bc1')) : o.mul(fast, o.k('rbc1')),
      o.mul(o.k('alpha'), m2),
    );
    const den = o.exact
      ? o.add(o.div(o.sqrt(v), o.k('bc2Sqrt')), o.k('eps'))
      : o.add(o.mul(o.sqrt(v), o.k('rbc2')), o.k('eps'));
    const p = o.let('p', o.ld('p'));
    // Decay is added even at wd = 0, as the plain loop does (0·p is NaN for an infinite p).
    const u = o.add(o.div(num, den), o.mul(o.k('wd'), p));
    o.st('p', o.add(p, o.mul(o.k('nlr'), u)));
  },
};

export const KERNELS: readonly KernelDef[] = [
  sgd,
  sgdMomentum,
  adagrad,
  adadelta,
  rmsprop,
  adam,
  adamax,
  nadam,
  radam,
  lion,
  rprop,
  asgd,
  scheduleFreeAdamW,
  scheduleFreeSgd,
  adopt,
  ademamix,
  stream(1),
  stream(2),
  stream(3),
  stream(4),
  probeSqrt,
  probeDiv,
];
