/**
 * Golden-case schema of the reference trajectories produced with `torch.optim` (see the fixtures'
 * README): the optimizer, its PyTorch options, an analytic problem, x0 and the number of steps.
 * Reference fields may be absent (a case can be replayed without them).
 */

export type Problem = (
  | { kind: 'least_squares'; m: number; n: number; A: number[][]; b: number[] }
  | { kind: 'rosenbrock'; a: number; b: number }
  | { kind: 'saddle' }
  | { kind: 'sparse_quadratic'; n: number; c: number[]; t: number[]; active: number[][] }
  | {
      kind: 'matrix_least_squares';
      m: number;
      r: number;
      c: number;
      bias: boolean;
      A: number[][];
      B: number[][];
    }
) & {
  /** f → −f and ∇ → −∇ (the cases of `maximize`). */
  negate?: boolean;
};

export interface GoldenCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  problem: Problem;
  x0: number[];
  steps: number;
  scheduler?: Record<string, unknown> & { type: string };
  /** The parameter tensors, in order; x0 and the trajectory hold them flattened row-major. */
  shapes?: number[][];
  trajectory?: number[][];
  trajectory_torch2?: number[][];
  loss?: number[];
  lr?: number[];
  momentum?: number[];
  /** ASGD: the averaged parameters after each step. */
  ax?: number[][];
  /** Schedule-Free: the eval-mode parameters x after each step (the trajectory is y). */
  trajectory_eval?: number[][];
  /** Prodigy: the group's d after each step. */
  d?: number[];
  /** LBFGS: closure calls and loop iterations inside each step() call. */
  closure_evals?: number[];
  iterations?: number[];
}

function need(ok: boolean, where: string, what: string): void {
  if (!ok) throw new TypeError(`${where}: ${what}`);
}

const isNumbers = (x: unknown): x is number[] =>
  Array.isArray(x) && x.every((v) => typeof v === 'number');

/** Checks the shape of a parsed case file; `where` names it in errors. */
export function parseCase(raw: unknown, where: string): GoldenCase {
  need(raw !== null && typeof raw === 'object', where, 'expected a JSON object');
  const c = raw as Record<string, unknown>;
  need(typeof c.optimizer === 'string', where, 'field "optimizer" must be a string');
  need(isNumbers(c.x0), where, 'field "x0" must be an array of numbers');
  need(
    Number.isInteger(c.steps) && (c.steps as number) >= 0,
    where,
    'field "steps" must be an integer >= 0',
  );
  need(
    c.options === undefined || (typeof c.options === 'object' && c.options !== null),
    where,
    'field "options" must be an object',
  );
  const p = c.problem as Record<string, unknown> | undefined;
  need(
    typeof p === 'object' && p !== null && typeof p.kind === 'string',
    where,
    'field "problem" must have a "kind"',
  );
  const n = (c.x0 as number[]).length;
  switch (p!.kind) {
    case 'least_squares':
      need(
        Array.isArray(p!.A) &&
          (p!.A as unknown[]).every((row) => isNumbers(row) && row.length === n),
        where,
        'problem.A must be rows of length x0.length',
      );
      need(
        isNumbers(p!.b) && (p!.b as number[]).length === (p!.A as unknown[]).length,
        where,
        'problem.b must have one entry per row of A',
      );
      break;
    case 'rosenbrock':
      need(
        typeof p!.a === 'number' && typeof p!.b === 'number' && n === 2,
        where,
        'rosenbrock needs numbers a, b and a 2-D x0',
      );
      break;
    case 'saddle':
      need(n === 2, where, 'saddle needs a 2-D x0');
      break;
    case 'sparse_quadratic':
      need(
        isNumbers(p!.c) &&
          isNumbers(p!.t) &&
          (p!.c as number[]).length === n &&
          (p!.t as number[]).length === n,
        where,
        'sparse_quadratic needs c and t of length x0.length',
      );
      need(
        Array.isArray(p!.active) && (p!.active as unknown[]).length >= (c.steps as number),
        where,
        'sparse_quadratic needs one "active" list per step',
      );
      break;
    case 'matrix_least_squares': {
      const { m, r, c: cols } = p as Record<string, number>;
      const rows = (x: unknown, len: number) =>
        Array.isArray(x) &&
        x.length === m &&
        x.every((row) => isNumbers(row) && row.length === len);
      need(
        [m, r, cols].every((v) => Number.isInteger(v) && (v as number) > 0) &&
          typeof p!.bias === 'boolean' &&
          rows(p!.A, r as number) &&
          rows(p!.B, cols as number),
        where,
        'matrix_least_squares needs integers m, r, c, a boolean bias, A (m×r) and B (m×c)',
      );
      need(
        n === r! * cols! + (p!.bias ? cols! : 0),
        where,
        'matrix_least_squares needs x0 of length r·c (+ c with a bias)',
      );
      break;
    }
    default:
      throw new TypeError(`${where}: unknown problem kind ${JSON.stringify(p!.kind)}`);
  }
  if (c.shapes !== undefined) {
    need(
      Array.isArray(c.shapes) &&
        c.shapes.length > 0 &&
        c.shapes.every(
          (s) => isNumbers(s) && s.length > 0 && s.every((d) => Number.isInteger(d) && d > 0),
        ) &&
        (c.shapes as number[][]).reduce((a, s) => a + s.reduce((x, d) => x * d, 1), 0) === n,
      where,
      'field "shapes" must list positive integer shapes whose sizes add up to x0.length',
    );
  }
  return {
    ...(c as unknown as GoldenCase),
    name: typeof c.name === 'string' ? c.name : where,
    options: (c.options as Record<string, unknown>) ?? {},
  };
}
