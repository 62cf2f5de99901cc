import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  caseError,
  referenceTrajectory,
  replayCase,
  replayTolerance,
  worstRelativeError,
} from '../packages/lab/src/replay/run.ts';
import { EXTRA_FIXTURE_DIR, loadCases } from './helpers/fixtures.ts';

const cases = loadCases((f) => !f.startsWith('sched_'));

test('the fixture set holds the 128 non-scheduler cases', () => {
  assert.equal(cases.length, 128);
});

describe('float64 replay matches torch.optim at 1e-10', () => {
  for (const [file, c] of cases) {
    test(file, () => {
      const ref = referenceTrajectory(c);
      assert.ok(ref, 'the case has a reference trajectory');
      const err = worstRelativeError(replayCase(c).trajectory, ref);
      assert.ok(err <= 1e-10, `worst relative error ${err}`);
    });
  }
});

// float32: N·4·2⁻²⁴ after N steps (derived in replayTolerance's TSDoc).
const float32Tolerance = (steps: number) => replayTolerance('float32', steps);

describe('float32 replay stays within N·4·2^-24 of the float64 reference', () => {
  for (const [file, c] of cases) {
    test(file, () => {
      const ref = referenceTrajectory(c)!;
      const err = worstRelativeError(replayCase(c, 'float32').trajectory, ref);
      assert.ok(err <= float32Tolerance(c.steps), `worst relative error ${err}`);
    });
  }
});

describe('scheduler cases: trajectory, lr per step and momentum per step match at 1e-10', () => {
  const sched = loadCases((f) => f.startsWith('sched_'));
  test('the fixture set holds the 4 scheduler cases', () => assert.equal(sched.length, 4));
  for (const [file, c] of sched) {
    test(file, () => {
      const result = replayCase(c);
      assert.equal(result.lr?.length, c.steps);
      if (c.momentum) assert.equal(result.momentum?.length, c.steps);
      const err = caseError(c, result)!;
      assert.ok(err <= 1e-10, `worst relative error ${err}`);
    });
  }
});

describe('optimizers outside torch.optim: float64 at 1e-10, float32 within N·4·2^-24 of their references', () => {
  const extra = loadCases(() => true, EXTRA_FIXTURE_DIR);
  test('there are reference cases', () => assert.ok(extra.length > 0));
  for (const [file, c] of extra) {
    test(file, () => {
      const ref = referenceTrajectory(c)!;
      const err64 = worstRelativeError(replayCase(c).trajectory, ref);
      assert.ok(err64 <= 1e-10, `float64: worst relative error ${err64}`);
      const err32 = worstRelativeError(replayCase(c, 'float32').trajectory, ref);
      assert.ok(err32 <= float32Tolerance(c.steps), `float32: worst relative error ${err32}`);
    });
  }
});
