/**
 * Classic optimization test functions as plain data: value, analytic gradient, known minima,
 * a suggested plot window and a default starting point. Browser-safe, no dependencies.
 */
export interface TestFunction {
  /** The name used by `descent train --problem` (kebab-case). */
  readonly name: string;
  /** A human title. */
  readonly title: string;
  /** The formula in plain text. */
  readonly formula: string;
  /** Number of coordinates. */
  readonly dim: number;
  /** The value at `x`. */
  value(x: ArrayLike<number>): number;
  /** Writes the gradient at `x` into `out` and returns the value. */
  gradient(x: ArrayLike<number>, out: { [i: number]: number; length: number }): number;
  /** The global minima (empty when the function is unbounded below). */
  readonly minima: readonly (readonly number[])[];
  /** The minimum value (`-Infinity` when unbounded below). */
  readonly minValue: number;
  /** Suggested plot window for the first two coordinates: [[xmin, xmax], [ymin, ymax]]. */
  readonly window: readonly [readonly [number, number], readonly [number, number]];
  /** Suggested plot scale for contours: log of (value − minValue) or linear. */
  readonly contour: 'log' | 'linear';
  /** Default starting point. */
  readonly start: readonly number[];
}

const x0 = (x: ArrayLike<number>) => x[0]!;
const x1 = (x: ArrayLike<number>) => x[1]!;

/** Rosenbrock's banana valley, (a − x)² + b(y − x²)² with a = 1, b = 100; minimum 0 at (1, 1). */
export const rosenbrock: TestFunction = {
  name: 'rosenbrock',
  title: 'Rosenbrock',
  formula: '(1 - x)^2 + 100 (y - x^2)^2',
  dim: 2,
  value: (x) => (1 - x0(x)) ** 2 + 100 * (x1(x) - x0(x) ** 2) ** 2,
  gradient(x, out) {
    const a = x0(x);
    const d = x1(x) - a * a;
    out[0] = -2 * (1 - a) - 400 * a * d;
    out[1] = 200 * d;
    return (1 - a) ** 2 + 100 * d * d;
  },
  minima: [[1, 1]],
  minValue: 0,
  window: [
    [-2, 2],
    [-1, 3],
  ],
  contour: 'log',
  start: [-1.2, 1],
};

/** Beale's function; minimum 0 at (3, 0.5), with steep walls and flat plateaus. */
export const beale: TestFunction = {
  name: 'beale',
  title: 'Beale',
  formula: '(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2',
  dim: 2,
  value(x) {
    const a = x0(x);
    const b = x1(x);
    return (1.5 - a + a * b) ** 2 + (2.25 - a + a * b * b) ** 2 + (2.625 - a + a * b ** 3) ** 2;
  },
  gradient(x, out) {
    const a = x0(x);
    const b = x1(x);
    const t1 = 1.5 - a + a * b;
    const t2 = 2.25 - a + a * b * b;
    const t3 = 2.625 - a + a * b ** 3;
    out[0] = 2 * t1 * (b - 1) + 2 * t2 * (b * b - 1) + 2 * t3 * (b ** 3 - 1);
    out[1] = 2 * t1 * a + 2 * t2 * 2 * a * b + 2 * t3 * 3 * a * b * b;
    return t1 * t1 + t2 * t2 + t3 * t3;
  },
  minima: [[3, 0.5]],
  minValue: 0,
  window: [
    [-4.5, 4.5],
    [-4.5, 4.5],
  ],
  contour: 'log',
  start: [1, 1.5],
};

/**
 * Himmelblau's function; four minima of value 0. The three irrational ones are given to six
 * decimals, as usually tabulated: the value there is below 1e-9.
 */
export const himmelblau: TestFunction = {
  name: 'himmelblau',
  title: 'Himmelblau',
  formula: '(x^2 + y - 11)^2 + (x + y^2 - 7)^2',
  dim: 2,
  value: (x) => (x0(x) ** 2 + x1(x) - 11) ** 2 + (x0(x) + x1(x) ** 2 - 7) ** 2,
  gradient(x, out) {
    const a = x0(x);
    const b = x1(x);
    const u = a * a + b - 11;
    const v = a + b * b - 7;
    out[0] = 4 * a * u + 2 * v;
    out[1] = 2 * u + 4 * b * v;
    return u * u + v * v;
  },
  minima: [
    [3, 2],
    [-2.805118, 3.131312],
    [-3.77931, -3.283186],
    [3.584428, -1.848126],
  ],
  minValue: 0,
  window: [
    [-5, 5],
    [-5, 5],
  ],
  contour: 'log',
  start: [0, 0],
};

/** Rastrigin's function in n dimensions (A = 10): a bowl covered in local minima; 0 at the origin. */
export function makeRastrigin(dim = 2): TestFunction {
  const A = 10;
  const w = 2 * Math.PI;
  return {
    name: 'rastrigin',
    title: 'Rastrigin',
    formula: '10 n + sum_i (x_i^2 - 10 cos(2 pi x_i))',
    dim,
    value(x) {
      let s = A * dim;
      for (let i = 0; i < dim; i++) s += x[i]! ** 2 - A * Math.cos(w * x[i]!);
      return s;
    },
    gradient(x, out) {
      let s = A * dim;
      for (let i = 0; i < dim; i++) {
        const xi = x[i]!;
        s += xi * xi - A * Math.cos(w * xi);
        out[i] = 2 * xi + A * w * Math.sin(w * xi);
      }
      return s;
    },
    minima: [new Array<number>(dim).fill(0)],
    minValue: 0,
    window: [
      [-5.12, 5.12],
      [-5.12, 5.12],
    ],
    contour: 'linear',
    start: Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? 3.2 : -2.7)),
  };
}

/**
 * Ackley's function in n dimensions (a = 20, b = 0.2, c = 2π): nearly flat outside, a deep
 * funnel at the origin (minimum 0). Its gradient at the origin itself is taken as 0.
 */
export function makeAckley(dim = 2): TestFunction {
  const a = 20;
  const b = 0.2;
  const c = 2 * Math.PI;
  const eval_ = (x: ArrayLike<number>, out?: { [i: number]: number }) => {
    let sq = 0;
    let cs = 0;
    for (let i = 0; i < dim; i++) {
      sq += x[i]! ** 2;
      cs += Math.cos(c * x[i]!);
    }
    const r = Math.sqrt(sq / dim);
    const e1 = Math.exp(-b * r);
    const e2 = Math.exp(cs / dim);
    if (out) {
      for (let i = 0; i < dim; i++) {
        const xi = x[i]!;
        // d/dx_i of −a·exp(−b·r) is a·b·exp(−b·r)·x_i / (n·r); undefined at r = 0 (a cone tip).
        const g1 = r > 0 ? (a * b * e1 * xi) / (dim * r) : 0;
        const g2 = (e2 * c * Math.sin(c * xi)) / dim;
        out[i] = g1 + g2;
      }
    }
    return -a * e1 - e2 + a + Math.E;
  };
  return {
    name: 'ackley',
    title: 'Ackley',
    formula: '-20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + 20 + e',
    dim,
    value: (x) => eval_(x),
    gradient: (x, out) => eval_(x, out),
    minima: [new Array<number>(dim).fill(0)],
    minValue: 0,
    window: [
      [-5, 5],
      [-5, 5],
    ],
    contour: 'linear',
    start: Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? 3 : -2.5)),
  };
}

/**
 * An ill-conditioned quadratic ½ Σ λ_i x_i² with λ log-spaced from 1 to `condition`
 * (2-D: ½(x² + κy²)); minimum 0 at the origin. Gradient descent zig-zags across the narrow axis.
 */
export function makeQuadratic(dim = 2, condition = 100): TestFunction {
  const lambda = Array.from({ length: dim }, (_, i) =>
    dim === 1 ? 1 : condition ** (i / (dim - 1)),
  );
  return {
    name: 'quadratic',
    title: `Ill-conditioned quadratic (condition ${condition})`,
    formula: `0.5 (x^2 + ${condition} y^2)`,
    dim,
    value(x) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += lambda[i]! * x[i]! ** 2;
      return 0.5 * s;
    },
    gradient(x, out) {
      let s = 0;
      for (let i = 0; i < dim; i++) {
        s += lambda[i]! * x[i]! ** 2;
        out[i] = lambda[i]! * x[i]!;
      }
      return 0.5 * s;
    },
    minima: [new Array<number>(dim).fill(0)],
    minValue: 0,
    window: [
      [-2, 2],
      [-2, 2],
    ],
    contour: 'log',
    start: Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? -1.8 : 1)),
  };
}

/**
 * The saddle x² − y²: a stationary point at the origin that is not a minimum; unbounded below.
 * The default start lies just off the x axis, so a method must grow a tiny y to escape.
 */
export const saddle: TestFunction = {
  name: 'saddle',
  title: 'Saddle',
  formula: 'x^2 - y^2',
  dim: 2,
  value: (x) => x0(x) ** 2 - x1(x) ** 2,
  gradient(x, out) {
    out[0] = 2 * x0(x);
    out[1] = -2 * x1(x);
    return x0(x) ** 2 - x1(x) ** 2;
  },
  minima: [],
  minValue: -Infinity,
  window: [
    [-1.5, 1.5],
    [-1.5, 1.5],
  ],
  contour: 'linear',
  start: [1, 1e-3],
};

/** The monkey saddle x³ − 3xy²: a degenerate stationary point at the origin; unbounded below. */
export const monkeySaddle: TestFunction = {
  name: 'monkey-saddle',
  title: 'Monkey saddle',
  formula: 'x^3 - 3 x y^2',
  dim: 2,
  value: (x) => x0(x) ** 3 - 3 * x0(x) * x1(x) ** 2,
  gradient(x, out) {
    const a = x0(x);
    const b = x1(x);
    out[0] = 3 * a * a - 3 * b * b;
    out[1] = -6 * a * b;
    return a ** 3 - 3 * a * b * b;
  },
  minima: [],
  minValue: -Infinity,
  window: [
    [-1.5, 1.5],
    [-1.5, 1.5],
  ],
  contour: 'linear',
  start: [1, 0.1],
};

/** Every test function in its default 2-D form, in a stable order. */
export const TEST_FUNCTIONS: readonly TestFunction[] = [
  rosenbrock,
  beale,
  himmelblau,
  makeRastrigin(),
  makeAckley(),
  makeQuadratic(),
  saddle,
  monkeySaddle,
];

/** Looks a test function up by name (2-D form), or returns undefined. */
export function testFunction(name: string): TestFunction | undefined {
  return TEST_FUNCTIONS.find((f) => f.name === name);
}
