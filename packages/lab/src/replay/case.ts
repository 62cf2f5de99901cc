/**
 * Golden-case schema of the reference trajectories produced with `torch.optim` (see the fixtures'
 * README): the optimizer, its PyTorch options, an analytic problem, x0 and the number of steps.
 * Reference fields may be absent (a case can be replayed without them).
 */

export type Problem =
  | { kind: 'least_squares'; m: number; n: number; A: number[][]; b: number[] }
  | { kind: 'rosenbrock'; a: number; b: number }
  | { kind: 'saddle' }
  | { kind: 'sparse_quadratic'; n: number; c: number[]; t: number[]; active: number[][] };

export interface GoldenCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  problem: Problem;
  x0: number[];
  steps: number;
  scheduler?: Record<string, unknown> & { type: string };
  trajectory?: number[][];
  trajectory_torch2?: number[][];
  loss?: number[];
  lr?: number[];
  momentum?: number[];
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
    default:
      throw new TypeError(`${where}: unknown problem kind ${JSON.stringify(p!.kind)}`);
  }
  return {
    ...(c as unknown as GoldenCase),
    name: typeof c.name === 'string' ? c.name : where,
    options: (c.options as Record<string, unknown>) ?? {},
  };
}
