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
  const without = { ...dict };
  delete without.groupState;
  assert.throws(() => copy.loadStateDict(without), /groupState\[0\]/);
  assert.deepEqual(copy.groupState(0), { seen: 3 });
  assert.throws(() => copy.groupState(1), /groupState takes a group index in \[0, 0\], got 1/);
});

// A rule whose slot has one value per row of a matrix (as Adafactor's factored moments), and
// which keeps a parameter-sized slot for vectors only.
const ROWS = [{ name: 'rows', fill: 0, length: (shape: readonly number[]) => shape[0]! }];
const FULL = [{ name: 'full', fill: 0 }];
const rowRule: Rule<MeanOptions> = {
  name: 'Rows',
  defaults: { lr: 1, maximize: false },
  validate() {},
  slots: (_h, shape) => (shape.length === 2 ? ROWS : FULL),
  update(p, g, st, _h, gs, _created, shape) {
    if (shape.length !== 2) return;
    const rows = st.slots.rows!;
    const cols = shape[1]!;
    for (let r = 0; r < shape[0]!; r++) {
      for (let c = 0; c < cols; c++) rows[r]! += g[r * cols + c]! * gs;
    }
    p[0] = rows[0]!;
  },
};
class Rows extends Optimizer<MeanOptions> {
  constructor(params: ConstructorParameters<typeof Optimizer<MeanOptions>>[1]) {
    super(rowRule, params);
  }
}

test('a slot may have its own length per shape; state dicts check it', () => {
  const w = new Float64Array(6);
  const v = new Float64Array(3);
  const opt = new Rows([{ params: [w, v], shapes: [[2, 3], [3]] }]);
  opt.step([new Float64Array([1, 1, 1, 2, 2, 2]), new Float64Array(3)]);
  assert.deepEqual(Array.from(opt.paramState(0)!.slots.rows!), [3, 6]);
  assert.equal(opt.paramState(1)!.slots.full!.length, 3);
  const dict = opt.stateDict();
  const copy = new Rows([
    { params: [new Float64Array(6), new Float64Array(3)], shapes: [[2, 3], [3]] },
  ]);
  copy.loadStateDict(dict);
  assert.deepEqual(Array.from(copy.paramState(0)!.slots.rows!), [3, 6]);
  const bad = opt.stateDict();
  bad.state[0]!.slots.rows = new Float64Array(6);
  assert.throws(
    () => copy.loadStateDict(bad),
    /slot rows of parameter 0 is not a buffer of length 2/,
  );
});
