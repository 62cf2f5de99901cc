import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  makeAckley,
  makeQuadratic,
  makeRastrigin,
  Rng,
  TEST_FUNCTIONS,
  type TestFunction,
} from '../packages/lab/src/lab/browser.ts';

// The 2-D forms plus n-D forms of the functions that take a dimension.
const CASES: TestFunction[] = [
  ...TEST_FUNCTIONS,
  makeRastrigin(5),
  makeAckley(4),
  makeQuadratic(6, 1000),
];

/** Central finite difference of f along coordinate i, step h. */
function centralDiff(fn: TestFunction, x: number[], i: number, h: number): number {
  const xp = x.slice();
  const xm = x.slice();
  xp[i]! += h;
  xm[i]! -= h;
  return (fn.value(xp) - fn.value(xm)) / (2 * h);
}

describe('test functions: analytic gradients match central finite differences', () => {
  for (const fn of CASES) {
    test(`${fn.name} (${fn.dim}-D)`, () => {
      const rng = new Rng(7);
      const [[x0, x1], [y0, y1]] = fn.window;
      for (let trial = 0; trial < 20; trial++) {
        const x = Array.from({ length: fn.dim }, (_, i) =>
          i % 2 === 0 ? x0 + (x1 - x0) * rng.next() : y0 + (y1 - y0) * rng.next(),
        );
        const g = new Float64Array(fn.dim);
        const v = fn.gradient(x, g);
        const fx = fn.value(x);
        // Same formula, different association: equal up to a few roundings.
        assert.ok(Math.abs(v - fx) <= 1e-14 * Math.max(1, Math.abs(fx)), `value ${v} vs ${fx}`);
        for (let i = 0; i < fn.dim; i++) {
          // h = 1e-5: truncation error ~h²·f''' and rounding ~eps·|f|/h both stay near 1e-6 here.
          const fd = centralDiff(fn, x, i, 1e-5);
          const tol = 1e-6 * Math.max(1, Math.abs(fd), Math.abs(fn.value(x)));
          assert.ok(
            Math.abs(g[i]! - fd) <= tol,
            `${fn.name} at ${x}: d/dx${i} analytic ${g[i]}, finite difference ${fd}`,
          );
        }
      }
    });
  }
});

describe('test functions: known minima', () => {
  for (const fn of CASES.filter((f) => f.minima.length > 0)) {
    test(`${fn.name} (${fn.dim}-D): value at each minimum is the minimum value, and no neighbour is lower`, () => {
      const rng = new Rng(3);
      for (const m of fn.minima) {
        const fm = fn.value(m);
        // Himmelblau's irrational minima are tabulated to 6 decimals: f is quadratic there.
        assert.ok(Math.abs(fm - fn.minValue) < 1e-9, `${fn.name} at ${m}: ${fm}`);
        for (let k = 0; k < 32; k++) {
          const y = m.map((c) => c + 1e-3 * (2 * rng.next() - 1));
          assert.ok(fn.value(y) >= fm, `${fn.name}: ${y} is lower than the minimum ${m}`);
        }
      }
    });
  }

  for (const fn of CASES.filter((f) => f.minima.length === 0)) {
    test(`${fn.name}: the origin is stationary but not a minimum, and the function is unbounded below`, () => {
      const g = new Float64Array(fn.dim);
      fn.gradient([0, 0], g);
      assert.ok(g[0] === 0 && g[1] === 0, `gradient at the origin: ${g}`);
      assert.equal(fn.minValue, -Infinity);
      const dirs = Array.from({ length: 64 }, (_, k) => [
        Math.cos((k * Math.PI) / 32),
        Math.sin((k * Math.PI) / 32),
      ]);
      assert.ok(dirs.some(([a, b]) => fn.value([1e-3 * a!, 1e-3 * b!]) < 0));
      assert.ok(dirs.some(([a, b]) => fn.value([1e6 * a!, 1e6 * b!]) < -1e11));
    });
  }
});

describe('test functions: windows and starting points', () => {
  for (const fn of TEST_FUNCTIONS) {
    test(`${fn.name}: start and minima lie in the plot window, and the start is not a minimum`, () => {
      const [[x0, x1], [y0, y1]] = fn.window;
      const inside = (p: readonly number[]) =>
        p[0]! >= x0 && p[0]! <= x1 && p[1]! >= y0 && p[1]! <= y1;
      assert.ok(inside(fn.start), `start ${fn.start}`);
      for (const m of fn.minima) assert.ok(inside(m), `minimum ${m}`);
      assert.ok(fn.value(fn.start) > fn.minValue);
      assert.equal(fn.start.length, fn.dim);
    });
  }
});
