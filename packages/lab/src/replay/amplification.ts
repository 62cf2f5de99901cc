import type { GoldenCase } from './case.ts';
import { gradient } from './case-gradients.ts';

/**
 * How much a case's method amplifies the rounding of float32 beyond what a step that does not
 * amplify errors allows (1 for most): the float32 bound of a replay is N·4·2⁻²⁴ times this.
 * Measured from the case's own float64 reference: the Hessian's condition for L-BFGS (cases that
 * record closure counts), that of Prodigy's d estimate (cases that record d).
 */
export function roundingAmplification(c: GoldenCase): number {
  if (!c.trajectory) return 1;
  if (c.d) return dEstimateCondition(c);
  if (c.closure_evals) return hessianCondition(c);
  return 1;
}

/**
 * How much a quasi-Newton step (L-BFGS) amplifies rounding: the largest condition number of the
 * Hessian over the reference's points (least squares: AᵀA/m; Rosenbrock: its 2×2 Hessian). A
 * step solves with the curvature it has learnt, so an error δ in x (float32 stores x to 2⁻²⁴)
 * comes back as up to κ·δ in the next step.
 */
export function hessianCondition(c: GoldenCase): number {
  const p = c.problem;
  const cond2 = (a: number, b: number, d: number) => {
    // Eigenvalues of the symmetric [[a, b], [b, d]].
    const mean = (a + d) / 2;
    const r = Math.hypot((a - d) / 2, b);
    return Math.abs(mean + r) / Math.max(Math.abs(mean - r), Number.MIN_VALUE);
  };
  if (p.kind === 'rosenbrock') {
    return Math.max(
      ...[c.x0, ...c.trajectory!].map(([x, y]) =>
        cond2(2 - 4 * p.b * (y! - 3 * x! * x!), -4 * p.b * x!, 2 * p.b),
      ),
    );
  }
  if (p.kind === 'least_squares') {
    // AᵀA/m by power iteration on it and on its inverse's action (n is small: Jacobi is exact).
    const n = c.x0.length;
    const M = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => p.A.reduce((s, row) => s + row[i]! * row[j]!, 0) / p.m),
    );
    const eig = jacobiEigenvalues(M);
    return Math.max(...eig) / Math.min(...eig);
  }
  return 1;
}

/** The eigenvalues of a small symmetric matrix (cyclic Jacobi rotations). */
function jacobiEigenvalues(input: number[][]): number[] {
  const a = input.map((r) => r.slice());
  const n = a.length;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i]![j]! ** 2;
    if (off < 1e-30) break;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (a[i]![j] === 0) continue;
        const theta = (a[j]![j]! - a[i]![i]!) / (2 * a[i]![j]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < n; k++) {
          const aik = a[i]![k]!;
          const ajk = a[j]![k]!;
          a[i]![k] = cs * aik - sn * ajk;
          a[j]![k] = sn * aik + cs * ajk;
        }
        for (let k = 0; k < n; k++) {
          const aki = a[k]![i]!;
          const akj = a[k]![j]!;
          a[k]![i] = cs * aki - sn * akj;
          a[k]![j] = sn * aki + cs * akj;
        }
      }
    }
  }
  return a.map((r, i) => Math.abs(r[i]!));
}

/**
 * How much Prodigy's d estimate amplifies rounding: the largest condition number, over the
 * reference's steps, of the dot product ⟨g, p0 − x⟩ that drives it,
 * Σ|g|(|p0| + |x|) / |⟨g, p0 − x⟩|. Rounding x to float32 (2⁻²⁴ relative) moves that sum by up
 * to κ·2⁻²⁴ relative, and d, which scales every later step, inherits it.
 */
export function dEstimateCondition(c: GoldenCase): number {
  const g = new Float64Array(c.x0.length);
  let kappa = 1;
  c.trajectory!.slice(0, -1).forEach((x, k) => {
    gradient(c.problem, x, k + 1, g);
    let dot = 0;
    let size = 0;
    x.forEach((xi, i) => {
      dot += g[i]! * (c.x0[i]! - xi);
      size += Math.abs(g[i]!) * (Math.abs(c.x0[i]!) + Math.abs(xi));
    });
    if (dot !== 0) kappa = Math.max(kappa, size / Math.abs(dot));
  });
  return kappa;
}
