import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Adam, AdamW, findOptimizer, OPTIMIZERS, paramsAs } from '../packages/optim/src/node.ts';

const finite = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });
const vector = (n: number) => fc.array(finite, { minLength: n, maxLength: n });

test('a zero gradient without weight decay leaves the parameters unchanged', () => {
  // Every optimizer, with weight decay off where it has one (AdamW's default is 1e-2), and
  // ASGD's decay term (lambd) too.
  // LBFGS (a closure step) returns at once on a zero gradient: test/lbfgs.test.ts.
  const makers = OPTIMIZERS.filter((d) => !d.closure).map((d) => (p: Float64Array[]) => {
    const group = d.create(paramsAs(d, [new Float64Array(1)])).paramGroups[0]!;
    return d.create(paramsAs(d, p), {
      lr: 0.1,
      ...('weightDecay' in group ? { weightDecay: 0 } : {}),
      ...('lambd' in group ? { lambd: 0 } : {}),
    });
  });
  fc.assert(
    fc.property(vector(5), fc.integer({ min: 1, max: 5 }), (x, steps) => {
      for (const make of makers) {
        const p = Float64Array.from(x);
        const opt = make([p]);
        for (let k = 0; k < steps; k++) opt.step([new Float64Array(5)]);
        // Equal values: a lerp may turn −0 into +0 (Schedule-Free's y, as torch's does).
        assert.ok(
          x.every((v, i) => p[i] === v),
          `${opt.name}: ${JSON.stringify(Array.from(p))} vs ${JSON.stringify(x)}`,
        );
      }
    }),
  );
});

test("Adam's first step has magnitude lr·|g|/(|g|+eps) in every coordinate", () => {
  fc.assert(
    fc.property(
      vector(4),
      vector(4),
      fc.double({ min: 1e-5, max: 1, noNaN: true }),
      fc.double({ min: 1e-10, max: 1e-3, noNaN: true }),
      (x, g, lr, eps) => {
        const p = Float64Array.from(x);
        new Adam([p], { lr, eps }).step([Float64Array.from(g)]);
        x.forEach((xi, i) => {
          const gi = Math.abs(g[i]!);
          const expected = (lr * gi) / (gi + eps);
          const moved = Math.abs(p[i]! - xi);
          assert.ok(
            Math.abs(moved - expected) <= 1e-12 * Math.max(1, Math.abs(xi)),
            `${moved} vs ${expected}`,
          );
        });
      },
    ),
  );
});

test('AdamW with weightDecay 0 equals Adam, bit for bit', () => {
  fc.assert(
    fc.property(
      vector(3),
      fc.array(vector(3), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (x, grads, amsgrad) => {
        const a = Float64Array.from(x);
        const b = Float64Array.from(x);
        const adam = new Adam([a], { lr: 0.01, amsgrad });
        const adamw = new AdamW([b], { lr: 0.01, amsgrad, weightDecay: 0 });
        for (const g of grads) {
          adam.step([Float64Array.from(g)]);
          adamw.step([Float64Array.from(g)]);
        }
        assert.deepEqual(a, b);
      },
    ),
  );
});

test('state round-trip: stateDict then loadStateDict into a fresh optimizer continues bit for bit', () => {
  // A closure step (LBFGS) takes no gradient stream: its round trip is in test/lbfgs.test.ts.
  const names = OPTIMIZERS.filter((d) => !d.closure).map((d) => d.name);
  fc.assert(
    fc.property(
      fc.constantFrom(...names),
      vector(3),
      fc.array(vector(3), { minLength: 2, maxLength: 10 }),
      fc.nat(),
      (name, x, grads, cut) => {
        const k = cut % grads.length;
        const d = findOptimizer(name);
        const straight = Float32Array.from(x);
        const opt = d.create(paramsAs(d, [straight]), { lr: 0.01 });
        for (const g of grads) opt.step([Float32Array.from(g)]);

        const resumed = Float32Array.from(x);
        const first = d.create(paramsAs(d, [resumed]), { lr: 0.01 });
        grads.slice(0, k).forEach((g) => first.step([Float32Array.from(g)]));
        const second = d.create(paramsAs(d, [resumed]));
        second.loadStateDict(structuredClone(first.stateDict()));
        grads.slice(k).forEach((g) => second.step([Float32Array.from(g)]));
        assert.deepEqual(resumed, straight);
      },
    ),
  );
});
