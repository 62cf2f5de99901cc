// Inputs from the edges (issue 17): typed arrays of another realm, schedules that compute NaN or
// a negative value, and ReduceLROnPlateau's state through JSON and with a NaN metric.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import {
  Adam,
  LambdaLR,
  ReduceLROnPlateau,
  SGD,
  type PlateauStateDict,
} from '../packages/optim/src/node.ts';

const foreign = vm.runInNewContext('({ F64: Float64Array, F32: Float32Array })') as {
  F64: Float64ArrayConstructor;
  F32: Float32ArrayConstructor;
};

test('typed arrays of another realm are accepted and stepped like our own, in place', () => {
  for (const [Local, Other] of [
    [Float64Array, foreign.F64],
    [Float32Array, foreign.F32],
  ] as const) {
    const start = Array.from({ length: 100 }, (_, i) => Math.sin(i));
    const mine = Local.from(start);
    const theirs = Other.from(start);
    assert.equal(theirs instanceof Local, false, 'the test array really is foreign');
    const a = new Adam([mine], { lr: 0.01, weightDecay: 0.1 });
    const b = new Adam([theirs], { lr: 0.01, weightDecay: 0.1 });
    for (let s = 0; s < 5; s++) {
      const g = start.map((x, i) => Math.cos(x * (s + 1) + i));
      a.step([Local.from(g)]);
      b.step([Other.from(g)]); // a foreign gradient too
    }
    assert.deepEqual(
      Array.from(theirs),
      Array.from(mine),
      `${Local.name}: the caller's array moved`,
    );
  }
});

test('an object that only claims to be a Float64Array is refused', () => {
  const fake = { [Symbol.toStringTag]: 'Float64Array', length: 2, 0: 1, 1: 2 };
  assert.throws(
    () => new SGD([fake as unknown as Float64Array], { lr: 0.1 }),
    /params must be a non-empty array|must be a Float32Array/,
  );
  const w = new Float64Array(2);
  const opt = new SGD([w], { lr: 0.1 });
  assert.throws(
    () => opt.step([fake as unknown as Float64Array]),
    /gradient 0 must be a Float32Array/,
  );
});

test('a schedule that computes NaN or an infinity is refused when it writes, changing nothing', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const opt = new SGD([new Float64Array(2)], { lr: 0.1 });
    const sched = new LambdaLR(opt, { lrLambda: (step: number) => (step < 2 ? 1 : bad) });
    sched.step(); // step 1: factor 1
    assert.throws(
      () => sched.step(),
      (e: Error) =>
        e instanceof RangeError &&
        e.message.includes(`lr = ${String(bad * 0.1)}`) &&
        e.message.includes('param group 0') &&
        e.message.includes('must be a finite number'),
    );
    assert.equal(opt.paramGroups[0]!.lr, 0.1, 'lr unchanged');
    assert.equal(sched.lastEpoch, 1, 'the step index did not advance');
  }
  // A finite negative lr is written as torch writes it (OneCycleLR one step past its end); the
  // optimizer's next step refuses it.
  const opt = new SGD([new Float64Array(2)], { lr: 0.1 });
  const sched = new LambdaLR(opt, { lrLambda: (step: number) => (step < 1 ? 1 : -1) });
  sched.step();
  assert.equal(opt.paramGroups[0]!.lr, -0.1);
  assert.throws(() => opt.step([new Float64Array(2)]), /lr/);
});

test("ReduceLROnPlateau's state survives JSON, before and after its first metric", () => {
  for (const mode of ['min', 'max'] as const) {
    const make = () => {
      const opt = new SGD([new Float64Array(1)], { lr: 1 });
      return { opt, sched: new ReduceLROnPlateau(opt, { mode, patience: 1, factor: 0.5 }) };
    };
    const metrics = [5, 4, 4, 4, 3, 3, 3, 3];
    for (let cut = 0; cut < metrics.length; cut++) {
      const whole = make();
      const split = make();
      metrics.forEach((m, i) => {
        whole.sched.step(m);
        if (i < cut) split.sched.step(m);
      });
      const saved = JSON.parse(JSON.stringify(split.sched.stateDict())) as PlateauStateDict;
      const resumed = make();
      resumed.sched.loadStateDict(saved);
      resumed.opt.paramGroups[0]!.lr = split.opt.paramGroups[0]!.lr;
      metrics.slice(cut).forEach((m) => resumed.sched.step(m));
      assert.deepEqual(
        resumed.sched.stateDict(),
        whole.sched.stateDict(),
        `${mode}, cut at ${cut}`,
      );
      assert.equal(resumed.opt.paramGroups[0]!.lr, whole.opt.paramGroups[0]!.lr);
    }
  }
  // A state JSON had already turned into null (best = Infinity before any metric) still loads.
  const { sched } = (() => {
    const opt = new SGD([new Float64Array(1)], { lr: 1 });
    return { sched: new ReduceLROnPlateau(opt) };
  })();
  sched.loadStateDict({ ...sched.stateDict(), best: null as unknown as number });
  assert.equal(sched.best, Infinity);
});

test('ReduceLROnPlateau: a NaN metric counts as no improvement (as in torch); bad states name the field', () => {
  // torch: is_better(nan, best) is False, so num_bad_epochs grows and, past patience, lr drops.
  const opt = new SGD([new Float64Array(1)], { lr: 1 });
  const sched = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 });
  sched.step(1);
  sched.step(NaN);
  assert.equal(opt.paramGroups[0]!.lr, 0.5);
  assert.equal(sched.best, 1);
  assert.throws(() => sched.step('1' as unknown as number), TypeError);
  const good = sched.stateDict();
  for (const [field, value, pattern] of [
    ['type', 'StepLR', /type is "StepLR", expected "ReduceLROnPlateau"/],
    ['numBadEpochs', -1, /numBadEpochs must be an integer >= 0, got -1/],
    ['best', 'x', /best must be a number, "Infinity" or "-Infinity", got "x"/],
  ] as const) {
    assert.throws(
      () => sched.loadStateDict({ ...good, [field]: value } as PlateauStateDict),
      pattern,
    );
    assert.deepEqual(sched.stateDict(), good, `nothing changed by a refused ${field}`);
  }
});

test('a group added after the scheduler was built keeps its own lr, as in torch', () => {
  const opt = new SGD([new Float64Array(2)], { lr: 0.1 });
  const sched = new LambdaLR(opt, { lrLambda: (step: number) => 1 / (step + 1) });
  opt.addParamGroup({ params: [new Float64Array(3)], lr: 0.5 });
  sched.step();
  assert.equal(opt.paramGroups[0]!.lr, 0.05);
  assert.equal(opt.paramGroups[1]!.lr, 0.5);
  opt.step([new Float64Array(2), new Float64Array(3)]);
});
