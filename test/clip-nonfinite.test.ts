import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  Adam,
  clipGradNorm,
  clipGradValue,
  createOptimizer,
  OPTIMIZERS,
  paramsAs,
  SGD,
} from '../packages/optim/src/node.ts';

// clip_grad_norm_ / clip_grad_value_ results recorded from PyTorch by scripts/gen-torch-extras.py.
const REF = JSON.parse(
  readFileSync(new URL('./fixtures/torch-extras.json', import.meta.url), 'utf8'),
).clip;
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
const freshGrads = () => (REF.grads as number[][]).map((g) => Float64Array.from(g));

describe('clipGradNorm / clipGradValue match PyTorch', () => {
  for (const c of REF.norm as {
    maxNorm: number;
    normType: number | 'inf';
    total: number;
    clipped: number[][];
  }[]) {
    test(`maxNorm ${c.maxNorm}, normType ${c.normType}`, () => {
      const grads = freshGrads();
      const total = clipGradNorm(grads, c.maxNorm, c.normType === 'inf' ? Infinity : c.normType);
      assert.ok(close(total, c.total), `${total} vs ${c.total}`);
      grads.forEach((g, j) => g.forEach((x, i) => assert.ok(close(x, c.clipped[j]![i]!), `${x}`)));
    });
  }

  test('clipGradValue', () => {
    const grads = freshGrads();
    clipGradValue(grads, REF.value.clipValue);
    assert.deepEqual(
      grads.map((g) => Array.from(g)),
      REF.value.clipped,
    );
  });

  test('bad arguments are named', () => {
    assert.throws(
      () => clipGradNorm(freshGrads(), -1),
      /clipGradNorm: maxNorm must be a number >= 0, got -1/,
    );
    assert.throws(
      () => clipGradNorm(freshGrads(), 1, 0.5),
      /clipGradNorm: normType must be a number >= 1 or Infinity, got 0.5/,
    );
    assert.throws(
      () => clipGradValue(freshGrads(), NaN),
      /clipGradValue: clipValue must be a number >= 0, got NaN/,
    );
    assert.throws(
      () => clipGradNorm([Float64Array.of(NaN)], 1, 2, { errorIfNonfinite: true }),
      /total norm of order 2 is NaN/,
    );
  });
});

describe('clipping inside step', () => {
  test('equals clipGradNorm then step, bit for bit in float64, for every optimizer', () => {
    // LBFGS (a closure step) refuses clipGradNorm: test/lbfgs.test.ts.
    for (const d of OPTIMIZERS.filter((x) => !x.closure)) {
      const name = d.name;
      for (const normType of [2, 1, Infinity]) {
        const x0 = [Float64Array.of(1, -2, 3), Float64Array.of(0.5)];
        const a = x0.map((x) => x.slice());
        const b = x0.map((x) => x.slice());
        const inside = createOptimizer(name, paramsAs(d, a), {
          lr: 0.1,
          clipGradNorm: 0.7,
          clipNormType: normType,
        });
        const outside = createOptimizer(name, paramsAs(d, b), { lr: 0.1 });
        for (let k = 0; k < 5; k++) {
          const g = () => [Float64Array.of(3 * k - 4, 1, 2), Float64Array.of(-k)];
          inside.step(g());
          const gb = g();
          const norm = clipGradNorm(gb, 0.7, normType);
          outside.step(gb);
          assert.equal(inside.lastGradNorm, norm);
        }
        // One multiply by the factor either way: in the kernel, or in the buffer first.
        assert.deepEqual(a, b, `${name} normType ${normType}`);
      }
    }
  });

  test('the gradients handed to step are not rewritten', () => {
    const g = Float32Array.of(30, 40);
    new Adam([new Float32Array(2)], { clipGradNorm: 1 }).step([g]);
    assert.deepEqual(g, Float32Array.of(30, 40));
  });

  test('invalid clip options are refused', () => {
    assert.throws(
      () => new SGD([new Float32Array(1)], { clipGradNorm: -1 }),
      /SGD: clipGradNorm must be a number >= 0 or null, got -1/,
    );
    assert.throws(
      () => new SGD([new Float32Array(1)], { clipNormType: 0 }),
      /SGD: clipNormType must be a number >= 1 or Infinity, got 0/,
    );
  });
});

describe('nonFinite policy', () => {
  const poisoned = () => [Float64Array.of(1, NaN), Float64Array.of(Infinity)];
  for (const [value, index] of [
    [NaN, 0],
    [Infinity, 1],
    [-Infinity, 1],
  ] as const) {
    test(`'skip' leaves parameters and state untouched on ${value} and counts it`, () => {
      const params = [Float64Array.of(1, 2), Float64Array.of(3)];
      const opt = new Adam(params, { nonFinite: 'skip' });
      opt.step([Float64Array.of(1, 1), Float64Array.of(1)]);
      const before = { p: params.map((p) => p.slice()), s: opt.stateDict() };
      const grads = [Float64Array.of(1, 1), Float64Array.of(1)];
      grads[index]![0] = value;
      opt.step(grads);
      assert.deepEqual(params, before.p);
      assert.equal(opt.skippedSteps, 1);
      assert.deepEqual({ ...opt.stateDict(), skippedSteps: 0 }, before.s);
    });
  }

  test("'throw' names the gradient and changes nothing", () => {
    const params = [Float64Array.of(1, 2), Float64Array.of(3)];
    const opt = new SGD(params, { lr: 0.1, nonFinite: 'throw' });
    assert.throws(
      () => opt.step(poisoned()),
      /^RangeError: SGD: gradient 0 holds NaN or Infinity; nothing was changed$/,
    );
    assert.deepEqual(params, [Float64Array.of(1, 2), Float64Array.of(3)]);
  });

  test("'propagate' is PyTorch's behaviour: the NaN reaches the parameter", () => {
    const p = Float64Array.of(1);
    new SGD([p], { lr: 0.1 }).step([Float64Array.of(NaN)]);
    assert.ok(Number.isNaN(p[0]));
  });

  test('huge finite gradients are not mistaken for non-finite ones', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const opt = new SGD([new Float64Array(1)], { nonFinite: 'throw' });
        opt.step([Float64Array.of(x)]);
        assert.equal(opt.skippedSteps, 0);
      }),
    );
  });

  test('an unknown policy is refused', () => {
    assert.throws(
      () => new SGD([new Float32Array(1)], { nonFinite: 'ignore' as never }),
      /SGD: nonFinite must be "propagate", "skip" or "throw", got ignore/,
    );
  });

  test('skippedSteps survives stateDict / loadStateDict', () => {
    const opt = new SGD([new Float64Array(1)], { nonFinite: 'skip' });
    opt.step([Float64Array.of(NaN)]);
    const other = new SGD([new Float64Array(1)]);
    other.loadStateDict(opt.stateDict());
    assert.equal(other.skippedSteps, 1);
  });
});
