/**
 * Issue 14: a state dict's slots are checked before anything is loaded (missing, unknown,
 * wrong length, not numbers), and the parameter structure is fixed after construction, growing
 * only through addParamGroup, which checks a group as the constructor does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { slotNamesOf } from '../packages/optim/src/core/slot-names.ts';
import {
  Accumulate,
  Adam,
  adamRule,
  CosineAnnealingLR,
  Lookahead,
  NAdam,
  OPTIMIZERS,
  paramKinds,
  paramsAs,
  RMSprop,
  rmspropRule,
  SGD,
  sgdRule,
  SWATS,
  Switch,
  type CommonOptions,
  type FloatBuffer,
  type Optimizer,
  type OptimizerStateDict,
  type Rule,
} from '../packages/optim/src/node.ts';
import { mulberry32 } from './helpers/rng.ts';

type AnyOptimizer = Optimizer<CommonOptions>;

/** A deterministic gradient for buffer `j` at step `k` (seeded), of the buffer's type. */
function grad(p: FloatBuffer, k: number, j: number): FloatBuffer {
  const out = new (p.constructor as new (n: number) => FloatBuffer)(p.length);
  const r = mulberry32(k * 7919 + j * 104729 + 1);
  for (let i = 0; i < p.length; i++) out[i] = r() * 2 - 1;
  return out;
}

/** Gradients for every parameter at step k; parameters in `skip` get none. */
function grads(params: readonly FloatBuffer[], k: number, skip: readonly number[] = []) {
  return params.map((p, j) => (skip.includes(j) ? null : grad(p, k, j)));
}

/** What must not change on a refused call: the state, the groups' values, the structure. */
function snapshot(opt: AnyOptimizer) {
  return {
    dict: opt.stateDict(),
    groups: opt.paramGroups.map((g) => ({ ...g, params: [...g.params] })),
    params: [...opt.params],
  };
}

/** The message as `assert.throws` shows it: `RangeError: Adam: ...`. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  return 'nothing thrown';
}

const ruleOf = (opt: AnyOptimizer) => (opt as unknown as { rule: Rule<CommonOptions> }).rule;

describe('loadStateDict refuses a state with a slot missing, unknown or malformed', () => {
  type Make = () => AnyOptimizer;
  const adam: Make = () =>
    new Adam([{ params: [new Float32Array([1, -2])] }, { params: [new Float64Array([3, 4])] }], {
      lr: 0.1,
    });
  const amsgrad: Make = () =>
    new Adam([new Float32Array([1, -2]), new Float64Array([3, 4])], { lr: 0.1, amsgrad: true });
  const momentum: Make = () => new SGD([new Float64Array([1, 2])], { lr: 0.1, momentum: 0.9 });
  const centered: Make = () =>
    new RMSprop([new Float32Array([1, 2])], { momentum: 0.5, centered: true });
  const nadam: Make = () => new NAdam([new Float64Array([1, 2])]);
  type Slots = Record<string, unknown>;
  const slots = (d: OptimizerStateDict, i = 0) => d.state[i]!.slots as Slots;

  const cases: [string, Make, (d: OptimizerStateDict) => void, RegExp][] = [
    [
      'a missing slot (the issue: exp_avg_sq recreated as zeros moved a weight by 88)',
      adam,
      (d) => delete slots(d).exp_avg_sq,
      /^RangeError: Adam: cannot load state dict: parameter 0 lacks slot exp_avg_sq, which Adam needs with the options of param group 0$/,
    ],
    [
      'a misspelt slot',
      adam,
      (d) => {
        slots(d, 1).exp_avg_sqq = slots(d, 1).exp_avg_sq;
        delete slots(d, 1).exp_avg_sq;
      },
      /parameter 1 lacks slot exp_avg_sq, which Adam needs with the options of param group 1 and has an unknown slot "exp_avg_sqq" \(Adam's slots: exp_avg, exp_avg_sq, max_exp_avg_sq\)$/,
    ],
    [
      'an extra slot no Adam declares',
      adam,
      (d) => (slots(d).momentum_buffer = new Float32Array(2)),
      /parameter 0 has an unknown slot "momentum_buffer" \(Adam's slots: exp_avg, exp_avg_sq, max_exp_avg_sq\)$/,
    ],
    [
      'strings in a slot (gave NaN weights)',
      adam,
      (d) => (slots(d).exp_avg = ['a', 'b']),
      /slot exp_avg of parameter 0 holds a value of type string at index 0, expected numbers$/,
    ],
    [
      'an integer typed array',
      adam,
      (d) => (slots(d).exp_avg = new Int32Array(2)),
      /slot exp_avg of parameter 0 must be a Float32Array, a Float64Array or an array of numbers, got Int32Array$/,
    ],
    [
      'a string for a slot',
      adam,
      (d) => (slots(d, 1).exp_avg_sq = 'ab'),
      /slot exp_avg_sq of parameter 1 must be a Float32Array, a Float64Array or an array of numbers, got string$/,
    ],
    [
      'a slot of the wrong length',
      adam,
      (d) => (slots(d, 1).exp_avg = new Float64Array(5)),
      /slot exp_avg of parameter 1 is not a buffer of length 2 \(it has 5 elements\)$/,
    ],
    [
      'slots that are not an object',
      adam,
      (d) => ((d.state[0] as { slots: unknown }).slots = null),
      /the slots of parameter 0 must be an object of named buffers, got null$/,
    ],
    [
      'a parameter state that is not an object',
      adam,
      (d) => ((d.state as unknown[])[1] = 5),
      /the state of parameter 1 must be an object or null, got number$/,
    ],
    [
      "amsgrad's max_exp_avg_sq missing",
      amsgrad,
      (d) => delete slots(d, 1).max_exp_avg_sq,
      /parameter 1 lacks slot max_exp_avg_sq, which Adam needs with the options of param group 0$/,
    ],
    [
      'amsgrad switched on in the saved group without its slot',
      adam,
      (d) => (d.paramGroups[0]!.amsgrad = true),
      /parameter 0 lacks slot max_exp_avg_sq, which Adam needs with the options of param group 0$/,
    ],
    [
      "SGD's momentum_buffer missing with momentum 0.9",
      momentum,
      (d) => delete slots(d).momentum_buffer,
      /^RangeError: SGD: cannot load state dict: parameter 0 lacks slot momentum_buffer, which SGD needs/,
    ],
    [
      "centered RMSprop's grad_avg missing",
      centered,
      (d) => delete slots(d).grad_avg,
      /^RangeError: RMSprop: cannot load state dict: parameter 0 lacks slot grad_avg/,
    ],
    [
      'a misspelt scalar state',
      nadam,
      (d) => {
        const sc = d.state[0]!.scalars;
        sc.mu_prod = sc.mu_product!;
        delete sc.mu_product;
      },
      /parameter 0 has an unknown scalar state "mu_prod" \(NAdam keeps: mu_product\)$/,
    ],
  ];

  for (const [what, make, mutate, message] of cases) {
    test(`${what}: refused, naming the parameter and the slot; nothing changes`, () => {
      const opt = make();
      for (let k = 0; k < 2; k++) opt.step(grads(opt.params, k));
      const twin = make();
      for (let k = 0; k < 2; k++) twin.step(grads(twin.params, k));
      const before = snapshot(opt);
      // A dict that is otherwise loadable, with other state and lr: a half-done load would show.
      const source = make();
      for (let k = 0; k < 3; k++) source.step(grads(source.params, k + 10));
      const foreign = source.stateDict();
      foreign.paramGroups.forEach((g) => (g.lr = 0.5));
      mutate(foreign);
      assert.match(
        thrown(() => opt.loadStateDict(foreign)),
        message,
      );
      assert.deepEqual(snapshot(opt), before);
      // And it steps on as if nothing had been tried.
      opt.step(grads(opt.params, 5));
      twin.step(grads(twin.params, 5));
      assert.deepEqual(opt.params, twin.params);
    });
  }

  test("every optimizer's every variant: its own dict loads and continues bit for bit; each slot it holds is needed", () => {
    // A closure step (LBFGS) keeps no per-parameter state: its dicts are tested in test/lbfgs.test.ts.
    for (const d of OPTIMIZERS.filter((x) => !x.closure)) {
      for (const [kind, variant] of paramKinds(d).flatMap((k) =>
        d.variants.map((v) => [k, v] as const),
      )) {
        const make = () => [
          Float32Array.of(0.5, -1, 2),
          Float64Array.of(1.5, -0.25),
          Float32Array.of(3, 1), // never given a gradient: no state
        ];
        const pa = make();
        const a = d.create(paramsAs(d, pa, kind), variant);
        for (let k = 0; k < 3; k++) a.step(grads(pa, k, [2]));
        const saved = a.stateDict();
        assert.equal(saved.state[2], null, `${d.name}: a parameter never stepped has no state`);
        for (const name of Object.keys(saved.state[0]!.slots)) {
          assert.ok(d.slots.includes(name), `${d.name}: slot ${name} is one it declares`);
        }
        const pb = make();
        const b = d.create(paramsAs(d, pb, kind), variant);
        b.loadStateDict(saved);
        pb.forEach((p, j) => p.set(pa[j]!));
        for (let k = 3; k < 5; k++) {
          a.step(grads(pa, k));
          b.step(grads(pb, k));
        }
        assert.deepEqual(pb, pa, `${d.name} ${JSON.stringify(variant)}`);
        assert.deepEqual(b.stateDict(), a.stateDict());

        for (const name of Object.keys(saved.state[1]!.slots)) {
          const broken = a.stateDict();
          delete broken.state[1]!.slots[name];
          assert.match(
            thrown(() => b.loadStateDict(broken)),
            new RegExp(`parameter 1 lacks slot ${name}, which `),
            `${d.name} ${JSON.stringify(variant)}: ${name}`,
          );
        }
      }
    }
  });

  test('a slot the options no longer need is kept: momentum cycled to 0 and back, as in PyTorch', () => {
    const run = (opt: SGD, w: Float64Array, from: number, to: number) => {
      for (let k = from; k < to; k++) {
        opt.paramGroups[0]!.momentum = k % 4 === 2 ? 0 : 0.9; // a cyclic momentum touching 0
        opt.step(grads([w], k));
      }
    };
    const wa = Float64Array.of(1, -1);
    const a = new SGD([wa], { lr: 0.1, momentum: 0.9 });
    run(a, wa, 0, 3); // the last step had momentum 0: a buffer it does not need
    const saved = a.stateDict();
    assert.equal(saved.paramGroups[0]!.momentum, 0);
    assert.ok(saved.state[0]!.slots.momentum_buffer);
    const wb = Float64Array.from(wa);
    const b = new SGD([wb], { lr: 0.1 });
    b.loadStateDict(saved);
    run(a, wa, 3, 8);
    run(b, wb, 3, 8);
    assert.deepEqual(wb, wa);
  });

  test('a centered RMSprop turned plain keeps grad_avg through a round trip', () => {
    const w = Float32Array.of(1, 2);
    const a = new RMSprop([w], { centered: true });
    a.step(grads([w], 0));
    a.paramGroups[0]!.centered = false;
    const b = new RMSprop([Float32Array.from(w)]);
    b.loadStateDict(a.stateDict());
    assert.deepEqual(b.stateDict(), a.stateDict());
  });

  test('never-stepped parameters (null or undefined) and a fresh optimizer round trip', () => {
    const a = new Adam([new Float32Array(2), new Float32Array(3)]);
    const fresh = a.stateDict();
    assert.deepEqual(fresh.state, [null, null]);
    const b = new Adam([new Float32Array(2), new Float32Array(3)]);
    b.loadStateDict(fresh);
    a.step([grad(a.params[0]!, 0, 0), null]);
    const saved = a.stateDict();
    (saved.state as unknown[])[1] = undefined;
    b.loadStateDict(saved);
    assert.deepEqual(b.stateDict(), a.stateDict());
  });

  test('float64 slots for a float32 parameter are cast (as PyTorch casts state); number arrays load', () => {
    const a = new Adam([Float32Array.of(1, 2)]);
    a.step([Float32Array.of(0.5, -0.25)]);
    const saved = a.stateDict();
    const st = saved.state[0]!;
    st.slots.exp_avg = Float64Array.of(0.1, 0.2);
    (st.slots as Record<string, unknown>).exp_avg_sq = [0.3, 0.4];
    const b = new Adam([Float32Array.of(1, 2)]);
    b.loadStateDict(saved);
    const slotsB = b.stateDict().state[0]!.slots;
    assert.deepEqual(slotsB.exp_avg, Float32Array.of(0.1, 0.2));
    assert.deepEqual(slotsB.exp_avg_sq, Float32Array.of(0.3, 0.4));
  });

  test("slot names come from the rules' slot specs, every configuration included", () => {
    assert.deepEqual([...slotNamesOf(adamRule)].sort(), [
      'exp_avg',
      'exp_avg_sq',
      'max_exp_avg_sq',
    ]);
    assert.deepEqual([...slotNamesOf(rmspropRule)].sort(), [
      'grad_avg',
      'momentum_buffer',
      'square_avg',
    ]);
    assert.deepEqual([...slotNamesOf(sgdRule)], ['momentum_buffer']);
    for (const d of OPTIMIZERS) {
      const known = slotNamesOf(ruleOf(d.create(paramsAs(d, [new Float64Array(1)]))));
      for (const name of d.slots) assert.ok(known.includes(name), `${d.name}: ${name}`);
    }
  });
});

describe('the structure is fixed after construction', () => {
  const make = () => {
    const w = Float32Array.of(1, 2);
    const b = Float64Array.of(3);
    const opt = new Adam([{ params: [w] }, { params: [b], lr: 0.2 }]);
    opt.step(grads(opt.params, 0));
    return { opt, w, b };
  };
  const other = () => new Float32Array(2);
  const GROUPS =
    /^TypeError: Adam: paramGroups cannot be changed, its groups are fixed; add one with addParamGroup\(\{ params: \[\.\.\.\] \}\)/;
  const PARAMS_OF = (gi: number) =>
    new RegExp(
      `^TypeError: Adam: paramGroups\\[${gi}\\]\\.params cannot be changed, its buffers are fixed; add buffers as a new group with addParamGroup`,
    );
  const REPLACE = (gi: number) =>
    new RegExp(
      `^TypeError: Adam: paramGroups\\[${gi}\\]\\.params cannot be replaced or removed; add buffers as a new group with addParamGroup`,
    );
  const cases: [string, (opt: AnyOptimizer) => unknown, RegExp][] = [
    ['paramGroups.push', (o) => (o.paramGroups as object[]).push({ params: [other()] }), GROUPS],
    ['paramGroups[0] =', (o) => ((o.paramGroups as object[])[0] = { params: [] }), GROUPS],
    ['paramGroups.length =', (o) => ((o.paramGroups as object[]).length = 1), GROUPS],
    ['paramGroups.splice', (o) => (o.paramGroups as object[]).splice(0, 1), GROUPS],
    ['paramGroups.pop', (o) => (o.paramGroups as object[]).pop(), GROUPS],
    ['paramGroups.reverse', (o) => (o.paramGroups as object[]).reverse(), GROUPS],
    [
      'paramGroups[0].params =',
      (o) => ((o.paramGroups[0] as { params: unknown }).params = [other()]),
      REPLACE(0),
    ],
    [
      'delete paramGroups[1].params',
      (o) => delete (o.paramGroups[1] as { params?: unknown }).params,
      REPLACE(1),
    ],
    [
      'defineProperty on paramGroups[0].params',
      (o) => Object.defineProperty(o.paramGroups[0], 'params', { value: [] }),
      REPLACE(0),
    ],
    [
      'paramGroups[1].params.push',
      (o) => (o.paramGroups[1]!.params as FloatBuffer[]).push(other()),
      PARAMS_OF(1),
    ],
    [
      'paramGroups[0].params[0] =',
      (o) => ((o.paramGroups[0]!.params as FloatBuffer[])[0] = other()),
      PARAMS_OF(0),
    ],
    [
      'paramGroups[0].params.length =',
      (o) => ((o.paramGroups[0]!.params as FloatBuffer[]).length = 0),
      PARAMS_OF(0),
    ],
    [
      'params.push',
      (o) => (o.params as FloatBuffer[]).push(other()),
      /^TypeError: Adam: params is read-only; add buffers as a new group with addParamGroup/,
    ],
  ];
  for (const [what, change, message] of cases) {
    test(`${what} throws a TypeError saying what to do; nothing changes`, () => {
      const { opt } = make();
      const before = snapshot(opt);
      assert.match(
        thrown(() => change(opt)),
        message,
      );
      assert.deepEqual(snapshot(opt), before);
      opt.step(grads(opt.params, 1));
    });
  }

  test('the arrays are frozen; the buffers are the caller’s; the groups keep their keys', () => {
    const { opt, w, b } = make();
    assert.ok(Object.isFrozen(opt.paramGroups));
    assert.ok(Object.isFrozen(opt.paramGroups[0]!.params));
    assert.ok(Object.isFrozen(opt.params));
    assert.ok(Array.isArray(opt.paramGroups) && Array.isArray(opt.paramGroups[0]!.params));
    assert.equal(opt.paramGroups[0]!.params[0], w);
    assert.deepEqual(opt.params, [w, b]);
    assert.deepEqual(Object.keys(opt.paramGroups[1]!).sort(), [
      'amsgrad',
      'betas',
      'eps',
      'lr',
      'maximize',
      'params',
      'weightDecay',
    ]);
  });

  test('hyper-parameters stay writable, by hand and by a scheduler', () => {
    const { opt } = make();
    opt.paramGroups[0]!.lr = 0.01;
    opt.paramGroups[0]!.betas[0] = 0.8;
    opt.paramGroups[1]!.weightDecay = 0.1;
    assert.equal(opt.stateDict().paramGroups[0]!.lr, 0.01);
    assert.deepEqual(opt.stateDict().paramGroups[0]!.betas, [0.8, 0.999]);
    const sched = new CosineAnnealingLR(opt, { tMax: 4 });
    sched.step();
    assert.ok(opt.paramGroups[0]!.lr < 0.01 && opt.paramGroups[1]!.lr < 0.2);
  });

  test("wrappers show the inner optimizer's fixed groups", () => {
    const w = Float32Array.of(1);
    for (const wrapper of [
      new Lookahead(new Adam([w])),
      new Accumulate(new Adam([w]), { steps: 2 }),
      new SWATS([w]),
    ]) {
      assert.match(
        thrown(() => (wrapper.paramGroups as object[]).push({})),
        /^TypeError: Adam: paramGroups cannot be changed/,
      );
    }
  });
});

describe('addParamGroup', () => {
  const w = () => Float32Array.of(1, -2);
  test('checks a group exactly as the constructor does; a refusal changes nothing', () => {
    const taken = w();
    const fresh = Float64Array.of(3);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'unknown option',
        { params: [fresh], momentum: 0.9 },
        /unknown option in param group 1 "momentum"/,
      ],
      ['a step option', { params: [fresh], clipGradNorm: 1 }, /unknown option in param group 1/],
      [
        'not a buffer',
        { params: [fresh, [1, 2]] },
        /^TypeError: Adam: parameter 1 of group 1 must be a Float32Array or Float64Array, got Array$/,
      ],
      [
        'an integer buffer',
        { params: [new Int32Array(2)] },
        /parameter 0 of group 1 must be a Float32Array or Float64Array, got Int32Array$/,
      ],
      [
        'a buffer already in the optimizer',
        { params: [fresh, taken] },
        /^RangeError: Adam: a parameter buffer appears more than once$/,
      ],
      [
        'a buffer twice in the group',
        { params: [fresh, fresh] },
        /^RangeError: Adam: a parameter buffer appears more than once$/,
      ],
      ['an invalid lr', { params: [fresh], lr: -1 }, /^RangeError: Adam: lr must be/],
      [
        'invalid betas',
        { params: [fresh], betas: [1.2, 0.9] },
        /betas\[0\] must be in \[0, 1\), got 1.2/,
      ],
      [
        'no params',
        { lr: 0.1 },
        /^TypeError: Adam: addParamGroup takes a group \{ params: \[\.\.\.\] \}, got object$/,
      ],
    ];
    for (const [what, group, message] of cases) {
      const opt = new Adam([taken], { lr: 0.1 });
      opt.step([Float32Array.of(1, 1)]);
      const before = snapshot(opt);
      const added = thrown(() => opt.addParamGroup(group as never));
      assert.match(added, message, what);
      assert.deepEqual(snapshot(opt), before, what);
      if (what !== 'no params') {
        // The constructor's words for the same group in the same place.
        const built = thrown(() => new Adam([{ params: [taken] }, group as never], { lr: 0.1 }));
        assert.equal(added, built, what);
      }
      // A refused group reserves nothing: its valid buffer can still join.
      opt.addParamGroup({ params: [fresh] });
      assert.equal(opt.paramGroups.length, 2);
    }
    assert.match(
      thrown(() => new Adam([w()]).addParamGroup(w() as never)),
      /^TypeError: Adam: addParamGroup takes a group \{ params: \[\.\.\.\] \}, got Float32Array$/,
    );
  });

  test("options it does not set come from the constructor's, as own copies", () => {
    const opt = new Adam([w()], { lr: 0.1, betas: [0.8, 0.9] });
    opt.addParamGroup({ params: [w()], eps: 1e-6 });
    const g = opt.paramGroups[1]!;
    assert.equal(g.lr, 0.1);
    assert.equal(g.eps, 1e-6);
    assert.deepEqual(g.betas, [0.8, 0.9]);
    assert.notEqual(g.betas, opt.paramGroups[0]!.betas);
    assert.ok(Object.isFrozen(opt.paramGroups) && opt.paramGroups.length === 2);
    assert.equal(opt.params.length, 2);
  });

  test('a group added mid-run steps as one present from the start that had no gradient yet', () => {
    const [a1, a2, b1, b2] = [w(), Float64Array.of(0.5, 2, -1), w(), Float64Array.of(0.5, 2, -1)];
    const a = new Adam([a1], { lr: 0.1 });
    const b = new Adam([{ params: [b1] }, { params: [b2], lr: 0.05, amsgrad: true }], { lr: 0.1 });
    for (let k = 0; k < 3; k++) {
      a.step(grads([a1], k));
      b.step(grads([b1, b2], k, [1]));
    }
    a.addParamGroup({ params: [a2], lr: 0.05, amsgrad: true });
    assert.match(
      thrown(() => a.step(grads([a1], 3))),
      /^RangeError: Adam: /,
    );
    for (let k = 3; k < 6; k++) {
      a.step(grads([a1, a2], k));
      b.step(grads([b1, b2], k));
    }
    assert.deepEqual([a1, a2], [b1, b2]);
    assert.deepEqual(a.stateDict(), b.stateDict());
    // Its state is saved and loaded with the rest; a structure without the group refuses it.
    const c = new Adam([{ params: [w()] }, { params: [Float64Array.of(0, 0, 0)] }]);
    c.loadStateDict(a.stateDict());
    assert.deepEqual(c.stateDict(), a.stateDict());
    assert.match(
      thrown(() => new Adam([w()]).loadStateDict(a.stateDict())),
      /it has 2 param groups, this optimizer has 1/,
    );
  });

  test('Lookahead gives a new buffer slow weights from its values when first seen', () => {
    const [a1, a2, b1, b2] = [w(), Float64Array.of(4), w(), Float64Array.of(4)];
    const innerA = new Adam([a1], { lr: 0.1 });
    const la = new Lookahead(innerA, { k: 2 });
    const lb = new Lookahead(new Adam([b1, b2], { lr: 0.1 }), { k: 2 });
    for (let k = 0; k < 3; k++) {
      la.step(grads([a1], k));
      lb.step(grads([b1, b2], k, [1]));
    }
    innerA.addParamGroup({ params: [a2] });
    // Saved right away, it holds slow weights for every buffer and loads into the same shape.
    const twin = new Adam([{ params: [w()] }, { params: [Float64Array.of(4)] }]);
    new Lookahead(twin, { k: 2 }).loadStateDict(la.stateDict());
    for (let k = 3; k < 8; k++) {
      la.step(grads([a1, a2], k));
      lb.step(grads([b1, b2], k));
    }
    assert.deepEqual([a1, a2], [b1, b2]);
    assert.deepEqual(la.stateDict().slow, lb.stateDict().slow);
  });

  test('Accumulate starts a new buffer at zero mid-cycle', () => {
    const [w1, w2] = [Float64Array.of(1), Float64Array.of(10)];
    const inner = new SGD([w1], { lr: 1 });
    const acc = new Accumulate(inner, { steps: 2 });
    acc.step([Float64Array.of(0.5)]);
    inner.addParamGroup({ params: [w2] });
    const saved = acc.stateDict();
    assert.equal(saved.buffers?.length, 2);
    acc.step([Float64Array.of(0.25), Float64Array.of(2)]);
    assert.deepEqual([w1[0], w2[0]], [1 - 0.75 / 2, 10 - 2 / 2]);
    const twin = new SGD([{ params: [Float64Array.of(1)] }, { params: [Float64Array.of(10)] }]);
    new Accumulate(twin, { steps: 2 }).loadStateDict(saved);
  });

  test('Switch refuses to step until both optimizers hold the new group; a schedule takes it on', () => {
    const p = Float64Array.of(1, 2);
    const q = Float64Array.of(3);
    const sw = new Switch(new Adam([p], { lr: 0.1 }), new SGD([p], { lr: 0.1 }), {
      trigger: { step: 2 },
      schedule: (k, base) => base * 0.5 ** k,
    });
    for (let k = 0; k < 3; k++) sw.step(grads([p], k));
    sw.first.addParamGroup({ params: [q] });
    const before = [Float64Array.from(p), Float64Array.from(q), sw.stateDict()];
    assert.match(
      thrown(() => sw.step(grads([p, q], 3))),
      /^RangeError: Switch: both optimizers must hold the same parameters, in the same order \(first 2, second 1\); add a new group to both$/,
    );
    assert.deepEqual([Float64Array.from(p), Float64Array.from(q), sw.stateDict()], before);
    sw.second.addParamGroup({ params: [q], lr: 0.2 });
    sw.step(grads([p, q], 3));
    sw.step(grads([p, q], 4));
    const k = sw.steps - 1 - sw.event!.step;
    assert.equal(sw.second.paramGroups[1]!.lr, 0.2 * 0.5 ** k);
  });
});
