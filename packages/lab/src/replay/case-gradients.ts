import type { Problem } from './case.ts';

/**
 * The gradient of a golden-case problem at step `k` (0-based), computed in float64 exactly as the
 * fixtures' README specifies (summation order included), written into `out`; negated for a
 * `negate` problem.
 */
export function gradient(
  problem: Problem,
  x: ArrayLike<number>,
  k: number,
  out: { [i: number]: number },
): void {
  plainGradient(problem, x, k, out);
  if (problem.negate) for (let i = 0; i < x.length; i++) out[i] = -out[i]!;
}

/**
 * The objective of a golden-case problem at step `k` (LBFGS's closure returns it), summed in
 * the fixtures' order; negated for a `negate` problem.
 */
export function objective(problem: Problem, x: ArrayLike<number>, k: number): number {
  const f = plainObjective(problem, x, k);
  return problem.negate ? -f : f;
}

function plainObjective(problem: Problem, x: ArrayLike<number>, k: number): number {
  switch (problem.kind) {
    case 'least_squares': {
      const { A, b } = problem;
      let f = 0;
      for (let i = 0; i < A.length; i++) {
        const row = A[i] as number[];
        let s = 0;
        for (let j = 0; j < x.length; j++) s += (row[j] as number) * x[j]!;
        const r = s - (b[i] as number);
        f += r * r;
      }
      return (0.5 * f) / A.length;
    }
    case 'rosenbrock': {
      const X = x[0]!;
      const d = x[1]! - X * X;
      return (problem.a - X) ** 2 + problem.b * d * d;
    }
    case 'saddle':
      return x[0]! * x[0]! - x[1]! * x[1]!;
    case 'sparse_quadratic': {
      let f = 0;
      for (const i of problem.active[k] as number[]) {
        const d = x[i]! - (problem.t[i] as number);
        f += 0.5 * (problem.c[i] as number) * d * d;
      }
      return f;
    }
    case 'matrix_least_squares': {
      const R = residuals(problem, x);
      let f = 0;
      for (let i = 0; i < R.length; i++) f += R[i]! * R[i]!;
      return (0.5 * f) / problem.m;
    }
  }
}

type MatrixProblem = Extract<Problem, { kind: 'matrix_least_squares' }>;

/** R = A W (+ 1 bᵀ) − B, row-major m×c, each entry summed over k ascending. */
function residuals(problem: MatrixProblem, x: ArrayLike<number>): Float64Array {
  const { m, r, c, A, B, bias } = problem;
  const R = new Float64Array(m * c);
  for (let i = 0; i < m; i++) {
    const a = A[i] as number[];
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += (a[k] as number) * x[k * c + j]!;
      if (bias) s += x[r * c + j]!;
      R[i * c + j] = s - ((B[i] as number[])[j] as number);
    }
  }
  return R;
}

function plainGradient(
  problem: Problem,
  x: ArrayLike<number>,
  k: number,
  out: { [i: number]: number },
): void {
  switch (problem.kind) {
    case 'least_squares': {
      const { A, b } = problem;
      const m = A.length;
      const n = x.length;
      const r = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        const row = A[i] as number[];
        let s = 0;
        for (let j = 0; j < n; j++) s += (row[j] as number) * x[j]!;
        r[i] = s - (b[i] as number);
      }
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += ((A[i] as number[])[j] as number) * r[i]!;
        out[j] = s / m;
      }
      return;
    }
    case 'rosenbrock': {
      const X = x[0]!;
      const Y = x[1]!;
      const d = Y - X * X;
      out[0] = -2 * (problem.a - X) - 4 * problem.b * X * d;
      out[1] = 2 * problem.b * d;
      return;
    }
    case 'saddle':
      out[0] = 2 * x[0]!;
      out[1] = -2 * x[1]!;
      return;
    case 'sparse_quadratic': {
      const active = problem.active[k] as number[];
      for (let i = 0; i < x.length; i++) out[i] = 0;
      for (const i of active)
        out[i] = (problem.c[i] as number) * (x[i]! - (problem.t[i] as number));
      return;
    }
    case 'matrix_least_squares': {
      const { m, r, c, A, bias } = problem;
      const R = residuals(problem, x);
      for (let kk = 0; kk < r; kk++) {
        for (let j = 0; j < c; j++) {
          let s = 0;
          for (let i = 0; i < m; i++) s += ((A[i] as number[])[kk] as number) * R[i * c + j]!;
          out[kk * c + j] = s / m;
        }
      }
      if (bias) {
        for (let j = 0; j < c; j++) {
          let s = 0;
          for (let i = 0; i < m; i++) s += R[i * c + j]!;
          out[r * c + j] = s / m;
        }
      }
      return;
    }
  }
}
