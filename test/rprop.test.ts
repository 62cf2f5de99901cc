// Rprop's quirks, each asserted from the update rule of torch 1.13 (shared/reference/extra/README.md,
// "Rprop"); the trajectories themselves are checked against torch in golden.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rprop, type FloatBuffer } from '../packages/optim/src/node.ts';

const slot = (opt: Rprop, name: string, i = 0) =>
  Array.from(opt.paramState(i)!.slots[name] as FloatBuffer);

describe('Rprop', () => {
  test('step 1: every element moves by exactly lr·sign(g); a zero gradient does not move', () => {
    const x0 = [0.3, -1.5, 2, 7];
    const g = [4, -0.001, 0, 1e-30];
    for (const maximize of [false, true]) {
      const p = Float64Array.from(x0);
      const opt = new Rprop([p], { lr: 0.05, maximize });
      opt.step([Float64Array.from(g)]);
      const dir = maximize ? -1 : 1;
      assert.deepEqual(
        Array.from(p),
        x0.map((x, i) => x - dir * Math.sign(g[i]!) * 0.05),
      );
      // step sizes start at lr (factor 1, as prev = 0), prev holds the (negated) gradient
      assert.deepEqual(slot(opt, 'step_size'), [0.05, 0.05, 0.05, 0.05]);
      assert.deepEqual(
        slot(opt, 'prev'),
        g.map((v) => dir * v),
      );
    }
  });

  test('same sign: ×η⁺; a flip: ×η⁻ and no move, prev 0; the step after a flip: factor 1', () => {
    const [lr, em, ep] = [0.1, 0.4, 1.5];
    const p = Float64Array.of(1);
    const opt = new Rprop([p], { lr, etas: [em, ep] });
    const grads = [2, 3, -1, -5];
    const seen: number[][] = [];
    for (const g of grads) {
      opt.step([Float64Array.of(g)]);
      seen.push([p[0]!, slot(opt, 'step_size')[0]!, slot(opt, 'prev')[0]!]);
    }
    const x1 = 1 - lr;
    const x2 = x1 - lr * ep;
    assert.deepEqual(seen, [
      [x1, lr, 2],
      [x2, lr * ep, 3],
      [x2, lr * ep * em, 0], // the flip: shrink, stay, forget the gradient
      [x2 + lr * ep * em, lr * ep * em, -5], // prev 0: factor 1, move on with the shrunk step
    ]);
  });

  test('step sizes are clamped to [min, max]', () => {
    const p = Float64Array.of(0, 0);
    const opt = new Rprop([p], { lr: 0.01, etas: [0.5, 2], stepSizes: [0.004, 0.03] });
    // element 0 keeps its sign (grows to max), element 1 flips every step (shrinks to min,
    // moving only on every other step)
    for (let k = 0; k < 6; k++) opt.step([Float64Array.of(1, k % 2 === 0 ? 1 : -1)]);
    // 0.01 → 0.02 → 0.03 (clamped from 0.04) → 0.03 ...
    assert.equal(slot(opt, 'step_size')[0], 0.03);
    // 0.01, flip → 0.005 (no move), factor 1 (moves 0.005), flip → 0.004 (clamped from
    // 0.0025, no move), factor 1 (moves 0.004), flip → 0.004
    assert.equal(slot(opt, 'step_size')[1], 0.004);
    assert.equal(p[0], -0.01 - 0.02 - 0.03 - 0.03 - 0.03 - 0.03);
    assert.equal(p[1], -0.01 - 0.005 - 0.004);
  });

  test("each group's step sizes start at its own lr", () => {
    const a = Float64Array.of(0);
    const b = Float64Array.of(0);
    const opt = new Rprop([{ params: [a] }, { params: [b], lr: 0.2 }], { lr: 0.01 });
    opt.step([Float64Array.of(1), Float64Array.of(-1)]);
    assert.deepEqual([a[0], b[0]], [-0.01, 0.2]);
  });

  test('only signs matter: the run is the same for any positive gradient scale', () => {
    const run = (scale: number) => {
      const p = Float64Array.of(1, -2, 3);
      const opt = new Rprop([p], { lr: 0.1 });
      for (let k = 0; k < 8; k++) {
        opt.step([Float64Array.from([Math.sin(k), Math.cos(k), (k % 3) - 1], (v) => v * scale)]);
      }
      return Array.from(p);
    };
    assert.deepEqual(run(1e-6), run(1));
    assert.deepEqual(run(1e6), run(1));
  });

  test('refuses etas outside 0 < η⁻ < 1 < η⁺ and step-size ranges with max < min', () => {
    const p = [new Float64Array(1)];
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ etas: [0, 1.2] }, /^Rprop: etas\[0\] must be in \(0, 1\), got 0$/],
      [{ etas: [0.5, Infinity] }, /^Rprop: etas\[1\] must be a finite number > 1, got Infinity$/],
      [{ etas: 0.5 }, /^Rprop: etas must be a pair \[etaminus, etaplus\], got 0.5$/],
      [{ stepSizes: [-1, 1] }, /^Rprop: stepSizes\[0\] must be a finite number >= 0, got -1$/],
      [{ stepSizes: [1e-3] }, /^Rprop: stepSizes must be a pair \[min, max\], got \[0.001\]$/],
    ];
    for (const [options, error] of cases) {
      assert.throws(
        () => new Rprop(p, options as never),
        (e: Error) => error.test(e.message),
      );
    }
  });
});
