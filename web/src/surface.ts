import { TEST_FUNCTIONS, type TestFunction } from '../../packages/lab/src/lab/browser.ts';
import { compileDual, compileValue } from './expr/compile.ts';
import { parseExpr } from './expr/parse.ts';

/** A plot window: [[xmin, xmax], [ymin, ymax]]. */
export type Window = readonly [readonly [number, number], readonly [number, number]];

/**
 * What the page needs of a loss surface: a lab test function without its dimension (always 2
 * here), or a custom expression, whose contour scale may be left to the grid's values.
 */
export interface Surface extends Omit<TestFunction, 'dim' | 'contour'> {
  /** 'auto' picks log or linear from the values on the grid. */
  readonly contour: TestFunction['contour'] | 'auto';
}

/** The built-in surfaces: the lab's 2-D test functions. */
export const SURFACES: readonly TestFunction[] = TEST_FUNCTIONS.filter((f) => f.dim === 2);

/** The default window of a custom surface. */
export const CUSTOM_WINDOW: Window = [
  [-3, 3],
  [-3, 3],
];

/**
 * A surface from a user's expression in x and y, parsed without `eval`; its gradient comes from
 * dual numbers (exact, not finite differences). Throws `ExprError` on a syntax error.
 */
export function customSurface(expr: string, window: Window = CUSTOM_WINDOW): Surface {
  const tree = parseExpr(expr);
  const f = compileValue(tree);
  const df = compileDual(tree);
  const [[x0, x1], [y0, y1]] = window;
  return {
    name: 'custom',
    title: 'Custom',
    formula: expr,
    value: (p) => f(p[0]!, p[1]!),
    gradient(p, out) {
      const d = df(p[0]!, p[1]!);
      out[0] = d.dx;
      out[1] = d.dy;
      return d.v;
    },
    minima: [],
    minValue: -Infinity,
    window,
    contour: 'auto',
    // Off-centre, so that a symmetric bowl does not start at its own minimum.
    start: [x0 + 0.8 * (x1 - x0), y0 + 0.75 * (y1 - y0)],
  };
}

/**
 * Reads a window written as `xmin,xmax,ymin,ymax`; throws a RangeError naming what is wrong.
 */
export function parseWindow(text: string): Window {
  const v = text.split(',').map((t) => (t.trim() === '' ? NaN : Number(t)));
  if (v.length !== 4 || !v.every(Number.isFinite) || !(v[0]! < v[1]!) || !(v[2]! < v[3]!)) {
    throw new RangeError(
      `window must be four numbers xmin,xmax,ymin,ymax with xmin < xmax and ymin < ymax, got "${text}"`,
    );
  }
  return [
    [v[0]!, v[1]!],
    [v[2]!, v[3]!],
  ];
}

/** The window as `xmin,xmax,ymin,ymax`. */
export function formatWindow(w: Window): string {
  return [w[0][0], w[0][1], w[1][0], w[1][1]].join(',');
}

/** A built-in surface by name, or undefined. */
export function builtinSurface(name: string): Surface | undefined {
  return SURFACES.find((s) => s.name === name);
}
