import type { Problem } from './case.ts';

/**
 * The gradient of a golden-case problem at step `k` (0-based), computed in float64 exactly as the
 * fixtures' README specifies (summation order included), written into `out`.
 */
export function gradient(
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
  }
}
