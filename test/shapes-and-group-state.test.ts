import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Optimizer } from '../packages/optim/src/core/optimizer.ts';
import type { GroupStep, Rule } from '../packages/optim/src/core/rule.ts';
import type { CommonOptions } from '../packages/optim/src/core/types.ts';
import { Adam, SGD } from '../packages/optim/src/index.ts';

test('shapes are checked, kept per parameter and default to [length]', () => {
  const w = new Float64Array(6);
  const b = new Float64Array(3);
  const opt = new SGD([
    { params: [w, b], shapes: [[2, 3], [3]] },
    { params: [new Float64Array(4)] },
  ]);
  assert.deepEqual(opt.paramShapes, [[2, 3], [3], [4]]);
  assert.throws(
    () => new SGD([{ params: [w], shapes: [[4, 2]] }]),
    /^RangeError: SGD: shapes\[0\] of param group 0 must be positive integer sizes whose product is the parameter's length 6, got \[4,2\]$/,
  );
  assert.throws(
    () => new SGD([{ params: [w, b], shapes: [[6]] }]),
    /one shape per parameter \(2\)/,
  );
  assert.throws(() => new SGD([{ params: [w], shapes: [[6, 0]] }]), /shapes\[0\]/);
  // shapes is part of a group, not an option: the constructor's options refuse it.
  assert.throws(() => new SGD([w], { shapes: [[6]] } as never), /unknown option "shapes"/);
});

test('state dicts carry the shapes, and a dict saved for other shapes is refused whole', () => {
  const w = new Float64Array([1, 2, 3, 4, 5, 6]);
  const a = new Adam([{ params: [w], shapes: [[2, 3]] }], { lr: 0.1 });
  a.step([new Float64Array(6).fill(1)]);
  const dict = a.stateDict();
  assert.deepEqual(dict.paramShapes, [[2, 3]]);
  const other = new Adam([{ params: [new Float64Array(6)], shapes: [[3, 2]] }]);
  const before = other.stateDict();
  assert.throws(
    () => other.loadStateDict(dict),
    /^RangeError: Adam: cannot load state dict: parameter 0 has shape \[3, 2\], the saved one \[2,3\]$/,
  );
  assert.deepEqual(other.stateDict(), before);
  // A dict from before shapes (no paramShapes) still loads.
  const old = { ...dict };
  delete old.paramShapes;
  const same = new Adam([{ params: [new Float64Array(6)], shapes: [[2, 3]] }]);
  same.loadStateDict(old);
  assert.equal(same.stateDict().state[0]?.step, 1);
});

// A rule that reduces across its group: every buffer steps by the group's mean gradient, and the
// group counts the elements it has seen (a group scalar).
type MeanOptions = CommonOptions;
const meanRule: Rule<MeanOptions> = {
  name: 'Mean',
  defaults: { lr: 0.5, maximize: false },
  validate() {},
  slots: () => [],
  groupScalars: { seen: 0 },
  update() {
    throw new Error('updateGroup replaces update');
  },
  updateGroup(s: GroupStep<MeanOptions>) {
    let sum = 0;
    let n = 0;
    s.grads.forEach((g) => {
      if (!g) return;
      for (const v of g) sum += v * s.gradScale;
      n += g.length;
    });
    s.scalars.seen! += n;
    s.grads.forEach((g, j) => {
      if (!g) return;
      const p = s.params[j]!;
      for (let i = 0; i < p.length; i++) p[i]! -= s.hyper.lr * (sum / n);
    });
  },
};
class Mean extends Optimizer<MeanOptions> {
  constructor(params: Float64Array[]) {
    super(meanRule, params);
  }
}

test('updateGroup sees the whole group once per step; its scalars are state', () => {
  const a = new Float64Array([0, 0]);
  const b = new Float64Array([0]);
  const c = new Float64Array([0]);
  const opt = new Mean([a, b, c]);
  opt.step([new Float64Array([1, 2]), new Float64Array([3]), null]);
  // mean of the given gradients (1+2+3)/3 = 2, times lr 0.5; c has no gradient and stays.
  assert.deepEqual([...a, ...b, ...c], [-1, -1, -1, 0]);
  assert.deepEqual(opt.groupState(0), { seen: 3 });
  assert.equal(opt.stateDict().state[2], null);
  const dict = opt.stateDict();
  assert.deepEqual(dict.groupState, [{ seen: 3 }]);
  const copy = new Mean([new Float64Array(2), new Float64Array(1), new Float64Array(1)]);
  copy.loadStateDict(dict);
  assert.deepEqual(copy.groupState(0), { seen: 3 });
  assert.throws(
    () => copy.loadStateDict({ ...dict, groupState: [{ seen: 'x' as never }] }),
    /groupState\[0\]\.seen must be a number/,
  );
  assert.throws(() => copy.loadStateDict({ ...dict, groupState: undefined }), /groupState\[0\]/);
  assert.deepEqual(copy.groupState(0), { seen: 3 });
  assert.throws(() => copy.groupState(1), /groupState takes a group index in \[0, 0\], got 1/);
});
