import type { Expr, FunctionName } from './parse.ts';

/** f(x, y). */
export type ValueFn = (x: number, y: number) => number;

/**
 * A dual number a + b·εx + c·εy (εx² = εy² = εxεy = 0): evaluating an expression on them gives
 * the value and both partial derivatives exactly (forward-mode automatic differentiation).
 */
export interface Dual {
  v: number;
  dx: number;
  dy: number;
}
type DualFn = (x: number, y: number) => Dual;

const REAL: Record<FunctionName, (a: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  exp: Math.exp,
  log: Math.log,
  ln: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
};

/** f'(a), given a and f(a) (which several derivatives reuse). */
const DERIV: Record<FunctionName, (a: number, fa: number) => number> = {
  sin: (a) => Math.cos(a),
  cos: (a) => -Math.sin(a),
  tan: (a) => 1 / Math.cos(a) ** 2,
  asin: (a) => 1 / Math.sqrt(1 - a * a),
  acos: (a) => -1 / Math.sqrt(1 - a * a),
  atan: (a) => 1 / (1 + a * a),
  sinh: (a) => Math.cosh(a),
  cosh: (a) => Math.sinh(a),
  tanh: (_a, fa) => 1 - fa * fa,
  exp: (_a, fa) => fa,
  log: (a) => 1 / a,
  ln: (a) => 1 / a,
  sqrt: (_a, fa) => 0.5 / fa,
  abs: (a) => Math.sign(a),
};

const hasVar = (e: Expr): boolean =>
  e.kind === 'var' ||
  (e.kind === 'neg' || e.kind === 'call'
    ? hasVar(e.arg)
    : e.kind === 'bin' && (hasVar(e.a) || hasVar(e.b)));

/** Compiles the tree into a closure for fast plain evaluation (the contour grid). */
export function compileValue(e: Expr): ValueFn {
  switch (e.kind) {
    case 'num': {
      const c = e.value;
      return () => c;
    }
    case 'var':
      return e.name === 'x' ? (x) => x : (_x, y) => y;
    case 'neg': {
      const f = compileValue(e.arg);
      return (x, y) => -f(x, y);
    }
    case 'call': {
      const f = compileValue(e.arg);
      const g = REAL[e.fn];
      return (x, y) => g(f(x, y));
    }
    case 'bin': {
      const a = compileValue(e.a);
      const b = compileValue(e.b);
      switch (e.op) {
        case '+':
          return (x, y) => a(x, y) + b(x, y);
        case '-':
          return (x, y) => a(x, y) - b(x, y);
        case '*':
          return (x, y) => a(x, y) * b(x, y);
        case '/':
          return (x, y) => a(x, y) / b(x, y);
        case '^':
          return (x, y) => a(x, y) ** b(x, y);
      }
    }
  }
}

/** Compiles the tree into a closure returning the value and the exact gradient. */
export function compileDual(e: Expr): DualFn {
  switch (e.kind) {
    case 'num': {
      const c = e.value;
      return () => ({ v: c, dx: 0, dy: 0 });
    }
    case 'var':
      return e.name === 'x' ? (x) => ({ v: x, dx: 1, dy: 0 }) : (_x, y) => ({ v: y, dx: 0, dy: 1 });
    case 'neg': {
      const f = compileDual(e.arg);
      return (x, y) => {
        const u = f(x, y);
        return { v: -u.v, dx: -u.dx, dy: -u.dy };
      };
    }
    case 'call': {
      const f = compileDual(e.arg);
      const g = REAL[e.fn];
      const dg = DERIV[e.fn];
      return (x, y) => {
        const u = f(x, y);
        const v = g(u.v);
        // A zero inner derivative stays zero (abs(0)'s or sqrt(0)'s infinite slope times 0).
        const s = u.dx === 0 && u.dy === 0 ? 0 : dg(u.v, v);
        return { v, dx: u.dx === 0 ? 0 : s * u.dx, dy: u.dy === 0 ? 0 : s * u.dy };
      };
    }
    case 'bin': {
      const a = compileDual(e.a);
      const b = compileDual(e.b);
      switch (e.op) {
        case '+':
          return (x, y) => {
            const u = a(x, y);
            const w = b(x, y);
            return { v: u.v + w.v, dx: u.dx + w.dx, dy: u.dy + w.dy };
          };
        case '-':
          return (x, y) => {
            const u = a(x, y);
            const w = b(x, y);
            return { v: u.v - w.v, dx: u.dx - w.dx, dy: u.dy - w.dy };
          };
        case '*':
          return (x, y) => {
            const u = a(x, y);
            const w = b(x, y);
            return { v: u.v * w.v, dx: u.dx * w.v + u.v * w.dx, dy: u.dy * w.v + u.v * w.dy };
          };
        case '/':
          return (x, y) => {
            const u = a(x, y);
            const w = b(x, y);
            const q = u.v / w.v;
            return { v: q, dx: (u.dx - q * w.dx) / w.v, dy: (u.dy - q * w.dy) / w.v };
          };
        case '^':
          if (!hasVar(e.b)) {
            // Constant exponent: the power rule, which also holds for a negative base.
            const n = compileValue(e.b)(0, 0);
            return (x, y) => {
              const u = a(x, y);
              const v = u.v ** n;
              const s = n === 0 ? 0 : n * u.v ** (n - 1);
              return { v, dx: u.dx === 0 ? 0 : s * u.dx, dy: u.dy === 0 ? 0 : s * u.dy };
            };
          }
          // a^b = exp(b·ln a): d = a^b·(b'·ln a + b·a'/a).
          return (x, y) => {
            const u = a(x, y);
            const w = b(x, y);
            const v = u.v ** w.v;
            const ln = Math.log(u.v);
            return {
              v,
              dx: v * (w.dx * ln + (w.v * u.dx) / u.v),
              dy: v * (w.dy * ln + (w.v * u.dy) / u.v),
            };
          };
      }
    }
  }
}
