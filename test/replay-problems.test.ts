import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCase } from '../packages/lab/src/replay/case.ts';
import { gradient, objective } from '../packages/lab/src/replay/case-gradients.ts';
import { EXTRA_FIXTURE_DIR, loadCases } from './helpers/fixtures.ts';

// The problems of the reference cases, checked against what the cases themselves record: the
// loss before every step (from the generator) and central differences of that loss.
const cases = [...loadCases(), ...loadCases(() => true, EXTRA_FIXTURE_DIR)];

describe('the replay objective reproduces every case loss before each step', () => {
  for (const [file, c] of cases) {
    if (!c.loss || !c.trajectory) continue;
    test(file, () => {
      const closure = c.closure_evals !== undefined;
      c.loss!.forEach((want, k) => {
        const x = k === 0 ? c.x0 : (c.trajectory![k - 1] as number[]);
        const got = objective(c.problem, x, closure ? 0 : k);
        const err = Math.abs(got - want) / Math.max(1, Math.abs(want));
        assert.ok(err <= 1e-12, `step ${k}: ${got} vs ${want}`);
      });
    });
  }
});

describe('the replay gradient is the derivative of that objective', () => {
  const kinds = new Map<string, (typeof cases)[number]>();
  for (const entry of cases) {
    const key = `${entry[1].problem.kind}${entry[1].problem.negate ? ' negated' : ''}`;
    if (!kinds.has(key)) kinds.set(key, entry);
  }
  test('every problem kind of the fixtures is covered, negated ones included', () => {
    assert.ok(kinds.has('matrix_least_squares'), [...kinds.keys()].join(', '));
    assert.ok([...kinds.keys()].some((k) => k.endsWith('negated')));
  });
  for (const [kind, [file, c]] of kinds) {
    test(`${kind} (${file})`, () => {
      const x = c.x0.slice();
      const g = new Float64Array(x.length);
      gradient(c.problem, x, 0, g);
      const h = 1e-6;
      x.forEach((xi, i) => {
        const up = x.slice();
        const down = x.slice();
        up[i] = xi + h;
        down[i] = xi - h;
        const fd = (objective(c.problem, up, 0) - objective(c.problem, down, 0)) / (2 * h);
        assert.ok(
          Math.abs(fd - g[i]!) <= 1e-6 * Math.max(1, Math.abs(fd)),
          `∂${i}: ${g[i]} vs ${fd}`,
        );
      });
    });
  }
});

test('a case whose shapes do not add up to x0 is refused with the field named', () => {
  const c = JSON.parse(JSON.stringify(cases[0]![1])) as Record<string, unknown>;
  c.shapes = [[2, 2], [7]];
  assert.throws(() => parseCase(c, 'bad.json'), /^TypeError: bad\.json: field "shapes"/);
});
