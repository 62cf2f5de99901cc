import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TEST_FUNCTIONS } from '../packages/lab/src/lab/browser.ts';
import { compileDual, compileValue } from '../web/src/expr/compile.ts';
import { ExprError, MAX_LENGTH, parseExpr } from '../web/src/expr/parse.ts';

const POINTS: [number, number][] = [
  [0.3, -0.7],
  [1.25, 2],
  [-1.5, 0.4],
  [2.2, -1.1],
];

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('expression parser: values match the same formula written in JavaScript', () => {
  const cases: [string, (x: number, y: number) => number][] = [
    ['2x + 3y', (x, y) => 2 * x + 3 * y],
    ['-x^2', (x) => -(x ** 2)],
    ['2^3^y', (_x, y) => 2 ** (3 ** y)],
    ['x - y - 1', (x, y) => x - y - 1],
    ['x / y / 2', (x, y) => x / y / 2],
    ['xy', (x, y) => x * y],
    ['x**2 + 2 pi y', (x, y) => x ** 2 + 2 * Math.PI * y],
    ['sin(x)cos(y)', (x, y) => Math.sin(x) * Math.cos(y)],
    ['exp(-(x^2 + y^2)/2)', (x, y) => Math.exp(-(x * x + y * y) / 2)],
    [
      'sqrt(abs(x)) + ln(1 + y^2) - log(e)',
      (x, y) => Math.sqrt(Math.abs(x)) + Math.log(1 + y * y) - 1,
    ],
    ['1.5e-1 x + .5 y', (x, y) => 0.15 * x + 0.5 * y],
    [
      'sinh(x) + cosh(y) + tanh(xy) + atan(x - y)',
      (x, y) => Math.sinh(x) + Math.cosh(y) + Math.tanh(x * y) + Math.atan(x - y),
    ],
    ['asin(x/3) + acos(y/3) + tan(x)', (x, y) => Math.asin(x / 3) + Math.acos(y / 3) + Math.tan(x)],
    ['+x - -y', (x, y) => x + y],
    ['100 (y - x^2)^2', (x, y) => 100 * (y - x * x) ** 2],
    ['x^-2 + (x + y)^0.5', (x, y) => x ** -2 + (x + y) ** 0.5],
  ];
  for (const [src, ref] of cases) {
    test(src, () => {
      const f = compileValue(parseExpr(src));
      const d = compileDual(parseExpr(src));
      for (const [x, y] of POINTS) {
        const want = ref(x, y);
        if (Number.isNaN(want)) {
          assert.ok(Number.isNaN(f(x, y)));
          continue;
        }
        close(f(x, y), want, 1e-14, `${src} at (${x}, ${y})`);
        close(d(x, y).v, want, 1e-14, `dual value of ${src}`);
      }
    });
  }
});

describe('dual-number gradients', () => {
  // The lab's formulas in its own notation, against its hand-derived analytic gradients.
  const parseable = ['rosenbrock', 'beale', 'himmelblau', 'quadratic', 'saddle', 'monkey-saddle'];
  for (const name of parseable) {
    test(`${name}: the parsed formula's gradient equals the lab's analytic gradient`, () => {
      const fn = TEST_FUNCTIONS.find((f) => f.name === name)!;
      const d = compileDual(parseExpr(fn.formula));
      for (const p of [...POINTS, fn.start as [number, number]]) {
        const g = [0, 0];
        const v = fn.gradient(p, g);
        const r = d(p[0], p[1]);
        close(r.v, v, 1e-12, `${name} value`);
        close(r.dx, g[0]!, 1e-12, `${name} ∂x at ${p}`);
        close(r.dy, g[1]!, 1e-12, `${name} ∂y at ${p}`);
      }
    });
  }

  // Every function and operator, against central differences (an independent numerical check).
  const exprs = [
    'sin(x) cos(y) + tan(x y / 4)',
    'asin(x/4) + acos(y/4) + atan(x y)',
    'sinh(x) cosh(y) - tanh(x - y)',
    'exp(x/2) ln(y^2 + 1) + log(x^2 + 2)',
    'sqrt(x^2 + y^2 + 1) + abs(x - 3)',
    '(x^2 + 1)^(y/2) / (1 + y^2)',
    '2^(x y) - x^3 y^-2',
  ];
  for (const src of exprs) {
    test(`${src}: gradient matches central differences`, () => {
      const f = compileValue(parseExpr(src));
      const d = compileDual(parseExpr(src));
      const h = 1e-6;
      for (const [x, y] of POINTS) {
        const r = d(x, y);
        const fx = (f(x + h, y) - f(x - h, y)) / (2 * h);
        const fy = (f(x, y + h) - f(x, y - h)) / (2 * h);
        close(r.dx, fx, 1e-6, `${src} ∂x at (${x}, ${y})`);
        close(r.dy, fy, 1e-6, `${src} ∂y at (${x}, ${y})`);
      }
    });
  }

  test('the slope of abs and sqrt is taken as 0 where the inner expression is constant', () => {
    const r = compileDual(parseExpr('sqrt(0) + abs(0) x'))(1, 2);
    assert.deepEqual([r.v, r.dx, r.dy], [0, 0, 0]);
  });
});

describe('expression parser: errors name the problem and the column', () => {
  const cases: [string, RegExp, number][] = [
    ['x^2 + (y', /expected "\)", found end of input/, 9],
    ['2 +', /expected a number, x, y, a function or "\(", found end of input/, 4],
    ['foo(x)', /unknown name "foo"/, 1],
    ['x + qy', /unknown name "qy"/, 5],
    ['x $ y', /unexpected character "\$"/, 3],
    ['', /empty expression/, 1],
    ['   ', /empty expression/, 1],
    ['sin x', /expected "\(" after sin, found "x"/, 5],
    ['x)', /expected an operator or the end, found "\)"/, 2],
    ['(x + y) * / 2', /expected a number, x, y, a function or "\(", found "\/"/, 11],
    ['x'.padEnd(MAX_LENGTH + 1, ' '), /too long/, MAX_LENGTH + 1],
    ['('.repeat(150) + 'x' + ')'.repeat(150), /nesting deeper than/, 101],
  ];
  for (const [src, message, column] of cases) {
    test(JSON.stringify(src.length > 30 ? src.slice(0, 30) + '…' : src), () => {
      assert.throws(
        () => parseExpr(src),
        (e: unknown) =>
          e instanceof ExprError &&
          message.test(e.message) &&
          e.column === column &&
          e.message.endsWith(`at column ${column}`),
      );
    });
  }
});
