import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Accumulate,
  Adam,
  AdamW,
  cosineAnnealing,
  Lookahead,
  Muon,
  Partition,
  ScheduleFreeAdamW,
  SGD,
  SWATS,
  Switch,
  type Stepper,
  type SwitchEvent,
} from '../packages/optim/src/node.ts';

/** Gradient of f = ½ Σ cᵢ xᵢ² (a diagonal quadratic). */
const quadGrad = (c: number[]) => (x: Float64Array) => Float64Array.from(x, (v, i) => c[i]! * v);
/** A fixed, varied gradient stream. */
const streamAt = (k: number, n: number) =>
  Float64Array.from({ length: n }, (_, i) => Math.sin(1.3 * k + 0.7 * i) * (i + 1));

describe('Accumulate', () => {
  test('sum of k gradients: bit-identical to one step with the summed gradient', () => {
    const a = Float64Array.of(1, 2, 3);
    const b = a.slice();
    const acc = new Accumulate(new Adam([a], { lr: 0.1 }), { steps: 3, reduction: 'sum' });
    const direct = new Adam([b], { lr: 0.1 });
    for (let cycle = 0; cycle < 4; cycle++) {
      const sum = new Float64Array(3);
      for (let j = 0; j < 3; j++) {
        const g = streamAt(cycle * 3 + j, 3);
        acc.step([g]);
        for (let i = 0; i < 3; i++) sum[i]! += g[i]!;
        assert.equal(acc.applied, j === 2);
      }
      direct.step([sum]);
      assert.deepEqual(a, b);
    }
  });

  test('mean of k gradients: equals a step on the mean (to rounding of ·1/k vs /k)', () => {
    const a = Float64Array.of(1, 2);
    const b = a.slice();
    const acc = new Accumulate(new SGD([a], { lr: 0.5, momentum: 0.9 }), { steps: 4 });
    const direct = new SGD([b], { lr: 0.5, momentum: 0.9 });
    for (let cycle = 0; cycle < 3; cycle++) {
      const mean = new Float64Array(2);
      for (let j = 0; j < 4; j++) {
        const g = streamAt(cycle * 4 + j, 2);
        acc.step([g]);
        for (let i = 0; i < 2; i++) mean[i]! += g[i]! / 4;
      }
      direct.step([mean]);
    }
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= 1e-14 * Math.max(1, Math.abs(b[i]!))));
  });

  test('state saved mid-cycle resumes bit for bit', () => {
    const run = (split: number | null) => {
      const x = Float32Array.of(1, -1);
      let acc = new Accumulate(new Adam([x], { lr: 0.1 }), { steps: 3 });
      for (let k = 0; k < 10; k++) {
        if (k === split) {
          const saved = structuredClone(acc.stateDict());
          acc = new Accumulate(new Adam([x], { lr: 0.1 }), { steps: 3 });
          acc.loadStateDict(saved);
        }
        acc.step([Float32Array.from(streamAt(k, 2))]);
      }
      return x;
    };
    assert.deepEqual(run(5), run(null));
  });

  test('bad options are named', () => {
    const opt = new SGD([new Float64Array(1)]);
    assert.throws(
      () => new Accumulate(opt, { steps: 0 }),
      /Accumulate: steps must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => new Accumulate(opt, { steps: 2, reduction: 'max' as never }),
      /reduction must be "mean" or "sum", got max/,
    );
  });
});

describe('Lookahead', () => {
  test('matches the algorithm written out: k fast steps, then φ += α(θ − φ), θ = φ', () => {
    const grad = quadGrad([1, 5]);
    const x = Float64Array.of(2, 1);
    const la = new Lookahead(new SGD([x], { lr: 0.15 }), { k: 4, alpha: 0.3 });
    const theta = [2, 1];
    const phi = [2, 1];
    for (let t = 1; t <= 21; t++) {
      la.step([grad(x)]);
      const g = [1 * theta[0]!, 5 * theta[1]!];
      theta[0]! -= 0.15 * g[0]!;
      theta[1]! -= 0.15 * g[1]!;
      if (t % 4 === 0) {
        for (let i = 0; i < 2; i++) {
          phi[i]! += 0.3 * (theta[i]! - phi[i]!);
          theta[i] = phi[i]!;
        }
      }
      assert.deepEqual(Array.from(x), theta, `step ${t}`);
    }
  });

  test('slow weights change only every k steps, and state round-trips', () => {
    const x = Float64Array.of(1, 1);
    const la = new Lookahead(new Adam([x], { lr: 0.1 }), { k: 3 });
    const slow0 = la.stateDict().slow;
    la.step([Float64Array.of(1, 2)]);
    la.step([Float64Array.of(1, 2)]);
    assert.deepEqual(la.stateDict().slow, slow0);
    la.step([Float64Array.of(1, 2)]);
    assert.notDeepEqual(la.stateDict().slow, slow0);
    const y = x.slice();
    const other = new Lookahead(new Adam([y], { lr: 0.1 }), { k: 3 });
    other.loadStateDict(structuredClone(la.stateDict()));
    for (let k = 0; k < 5; k++) {
      la.step([Float64Array.of(k, 1)]);
      other.step([Float64Array.of(k, 1)]);
    }
    assert.deepEqual(y, x);
  });

  test('bad options are named', () => {
    const opt = new SGD([new Float64Array(1)]);
    assert.throws(
      () => new Lookahead(opt, { k: 0 }),
      /Lookahead: k must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => new Lookahead(opt, { alpha: 2 }),
      /Lookahead: alpha must be in \[0, 1\], got 2/,
    );
  });
});

describe('Partition', () => {
  /** Params [W (2×3), b, v] and a gradient stream for them, float64. */
  const setup = () => {
    const W = Float64Array.of(0.5, -1, 2, 1.5, 0.25, -0.75);
    const b = Float64Array.of(0.1, -0.2);
    const v = Float64Array.of(3);
    return { W, b, v };
  };
  const gradsAt = (k: number) => [streamAt(k, 6), streamAt(k + 50, 2), streamAt(k + 90, 1)];

  test('equals each part stepped on its own gradients, bit for bit (Muon on the matrix, AdamW on the rest)', () => {
    const a = setup();
    const muon = new Muon([{ params: [a.W], shapes: [[2, 3]] }], {
      lr: 0.02,
      adjustLrFn: 'match_rms_adamw',
    });
    const adamw = new AdamW([a.v, a.b], { lr: 0.02 });
    // The parts may hold their buffers in any order: gradients are routed by buffer.
    const part = new Partition([a.W, a.b, a.v], [muon, adamw]);
    const o = setup();
    const muon2 = new Muon([{ params: [o.W], shapes: [[2, 3]] }], {
      lr: 0.02,
      adjustLrFn: 'match_rms_adamw',
    });
    const adamw2 = new AdamW([o.v, o.b], { lr: 0.02 });
    for (let k = 0; k < 8; k++) {
      const g = gradsAt(k);
      part.step(g);
      muon2.step([g[0]!]);
      adamw2.step([g[2]!, g[1]!]);
      assert.deepEqual([a.W, a.b, a.v], [o.W, o.b, o.v], `step ${k}`);
    }
    assert.deepEqual(part.params, [a.W, a.b, a.v]);
    assert.deepEqual(part.paramGroups, [...muon.paramGroups, ...adamw.paramGroups]);
    // A scheduler drives every part through paramGroups.
    for (const g of part.paramGroups) g.lr = 0.005;
    assert.equal(muon.paramGroups[0]!.lr, 0.005);
    assert.equal(adamw.paramGroups[0]!.lr, 0.005);
  });

  test('hands each part the same list on every step (no allocation) and keeps no gradient', () => {
    const seen: unknown[][] = [];
    const spy = (params: Float64Array[]): Stepper => ({
      paramGroups: [{ lr: 1, maximize: false, params }],
      params,
      step: (grads) => seen.push([grads, ...grads]),
      stateDict: () => ({}),
      loadStateDict: () => undefined,
    });
    const x = Float64Array.of(1);
    const y = Float64Array.of(2, 3);
    const part = new Partition([x, y], [spy([y]), spy([x])]);
    const g1 = [Float64Array.of(1), Float64Array.of(2, 2)];
    const g2 = [Float64Array.of(3), Float64Array.of(4, 4)];
    part.step(g1);
    part.step(g2);
    assert.equal(seen.length, 4);
    assert.equal(seen[0]![0], seen[2]![0], 'part 0 gets the same list');
    assert.equal(seen[1]![0], seen[3]![0], 'part 1 gets the same list');
    assert.deepEqual(
      seen.map((s) => s.slice(1)),
      [[g1[1]], [g1[0]], [g2[1]], [g2[0]]],
    );
    assert.deepEqual(seen[0]![0], [null], 'the list lets go of the gradient after the step');
  });

  test('state round-trips bit for bit; a state a part refuses changes nothing', () => {
    const run = (split: number | null) => {
      const a = setup();
      const build = () =>
        new Partition(
          [a.W, a.b, a.v],
          [
            new Muon([{ params: [a.W], shapes: [[2, 3]] }], { lr: 0.02 }),
            new Adam([a.b, a.v], { lr: 0.02 }),
          ],
        );
      let part = build();
      for (let k = 0; k < 10; k++) {
        if (k === split) {
          const saved = structuredClone(part.stateDict());
          part = build();
          part.loadStateDict(saved);
        }
        part.step(gradsAt(k));
      }
      return [a.W, a.b, a.v];
    };
    assert.deepEqual(run(4), run(null));

    const a = setup();
    const muon = new Muon([{ params: [a.W], shapes: [[2, 3]] }], { lr: 0.02 });
    const adam = new Adam([a.b, a.v], { lr: 0.02 });
    const part = new Partition([a.W, a.b, a.v], [muon, adam]);
    part.step(gradsAt(0));
    const before = structuredClone(part.stateDict());
    const bad = structuredClone(before);
    part.step(gradsAt(1));
    const after = structuredClone(part.stateDict());
    (bad.parts[1] as { paramSizes: number[] }).paramSizes = [5, 5];
    assert.throws(() => part.loadStateDict(bad), /Adam: cannot load state/);
    assert.deepEqual(part.stateDict(), after, 'the first part was put back');
    assert.throws(
      () => part.loadStateDict({ type: 'Partition', parts: [before.parts[0]] }),
      /^RangeError: Partition: cannot load state: it must hold the states of 2 parts, got 1$/,
    );
    assert.throws(
      () => part.loadStateDict({ type: 'Switch' } as never),
      /Partition: cannot load state: expected a Partition state, got Switch/,
    );
  });

  const x = Float64Array.of(1, 2);
  const y = Float64Array.of(3);
  const bad: [string, () => unknown, RegExp][] = [
    [
      'a parameter in no part',
      () => new Partition([x, y], [new SGD([x])]),
      /^RangeError: Partition: parameter 1 is in no part; every parameter must be in exactly one$/,
    ],
    [
      'a parameter in two parts',
      () => new Partition([x, y], [new SGD([x, y]), new SGD([y])]),
      /^RangeError: Partition: parameter 1 is in part 0 and in part 1$/,
    ],
    [
      'a part over a buffer not among the parameters',
      () => new Partition([x], [new SGD([x, y])]),
      /^RangeError: Partition: buffer 1 of part 0 is not among the parameters; build each part over buffers of the list given$/,
    ],
    [
      'the same buffer twice',
      () => new Partition([x, x], [new SGD([x])]),
      /^RangeError: Partition: parameter 1 is the same buffer as 0$/,
    ],
    [
      'no parts',
      () => new Partition([x], []),
      /^TypeError: Partition: parts must be a non-empty array of optimizers$/,
    ],
    [
      'a gradient count that is not the parameters',
      () => new Partition([x, y], [new SGD([x]), new SGD([y])]).step([Float64Array.of(1, 1)]),
      /^RangeError: Partition: step got 1 gradients for 2 parameters$/,
    ],
    [
      'a gradient of the wrong length, before any part steps',
      () => new Partition([x, y], [new SGD([x]), new SGD([y])]).step([x.slice(), x.slice()]),
      /^RangeError: Partition: gradient 1 has length 2, its parameter has length 1$/,
    ],
    [
      'a part that gained a group',
      () => {
        const sgd = new SGD([x]);
        const part = new Partition([x], [sgd]);
        sgd.addParamGroup({ params: [Float64Array.of(0)] });
        part.step([x.slice()]);
      },
      /^RangeError: Partition: part 0 holds 2 buffers, it was built over 1; build a new Partition to add parameters$/,
    ],
  ];
  for (const [name, make, error] of bad) {
    test(`refuses ${name}`, () => {
      const before = [x.slice(), y.slice()];
      assert.throws(make, error);
      assert.deepEqual([x, y], before, 'nothing moved');
    });
  }
});

describe('Switch', () => {
  test('at a fixed step equals Adam for k steps then SGD from that state (bit for bit)', () => {
    const grad = quadGrad([1, 3, 0.5]);
    const a = Float64Array.of(1, -1, 2);
    const b = a.slice();
    const events: SwitchEvent[] = [];
    const sw = new Switch(new Adam([a], { lr: 0.05 }), new SGD([a], { lr: 0.02, momentum: 0.9 }), {
      trigger: { step: 7 },
      onSwitch: (e) => events.push(e),
    });
    const adam = new Adam([b], { lr: 0.05 });
    const sgd = new SGD([b], { lr: 0.02, momentum: 0.9 });
    for (let k = 0; k < 20; k++) {
      sw.step([grad(a)]);
      (k < 7 ? adam : sgd).step([grad(b)]);
      assert.deepEqual(a, b, `step ${k}`);
    }
    assert.deepEqual(events, [{ step: 7, lr: 0.02 }]);
  });

  test('by epoch, with a cosine plan for the SGD phase starting at the hand-over', () => {
    const x = Float64Array.of(1);
    const sgd = new SGD([x], { lr: 0.1 });
    const sw = new Switch(new Adam([x]), sgd, {
      trigger: { epoch: 2, stepsPerEpoch: 5 },
      lr: 0.08,
      schedule: cosineAnnealing(10),
    });
    const lrs: number[] = [];
    for (let k = 0; k < 20; k++) {
      sw.step([Float64Array.of(x[0]!)]);
      if (sw.phase === 'second') lrs.push(sgd.paramGroups[0]!.lr);
    }
    assert.equal(sw.event?.step, 10);
    const want = Array.from({ length: 10 }, (_, k) => cosineAnnealing(10)(k, 0.08));
    assert.deepEqual(lrs, want);
  });

  test("at a fixed step with lr 'estimate': SGD gets (1 − μ) times the running SWATS estimate", () => {
    // Constant gradient a: every γₖ equals the linear-objective value (see the SWATS tests).
    const a = [0.5, -2];
    const want =
      (0.01 * a.reduce((s, v) => s + (v / (Math.abs(v) + 1e-8)) ** 2, 0)) /
      a.reduce((s, v) => s + (v * v) / (Math.abs(v) + 1e-8), 0);
    const x = new Float64Array(2);
    const sw = new Switch(new Adam([x], { lr: 0.01 }), new SGD([x], { lr: 5, momentum: 0.5 }), {
      trigger: { step: 6 },
      lr: 'estimate',
    });
    for (let k = 0; k < 8; k++) sw.step([Float64Array.from(a)]);
    assert.equal(sw.event?.step, 6);
    assert.ok(Math.abs(sw.event!.estimate! - want) <= 1e-12 * want);
    assert.ok(Math.abs(sw.event!.lr - 0.5 * want) <= 1e-12 * want);
  });

  test('on a plateau of the observed loss', () => {
    const x = Float64Array.of(1);
    const sw = new Switch(new Adam([x]), new SGD([x], { lr: 0.1 }), {
      trigger: { plateau: { patience: 2 } },
    });
    for (const loss of [5, 4, 4, 3.9999999]) {
      sw.step([Float64Array.of(1)]);
      sw.observe(loss);
    }
    assert.equal(sw.phase, 'second');
    assert.equal(sw.event?.step, 4);
  });

  test('bad configurations are named', () => {
    const x = new Float64Array(1);
    assert.throws(
      () => new Switch(new SGD([x]), new SGD([x]), { trigger: 'swats' }),
      /the SWATS trigger needs Adam or AdamW first, got SGD/,
    );
    assert.throws(
      () => new Switch(new Adam([x]), new SGD([new Float64Array(1)]), { trigger: { step: 1 } }),
      /both optimizers must hold the same parameters/,
    );
    assert.throws(
      () => new Switch(new Adam([x]), new SGD([x]), { trigger: { step: -1 } }),
      /trigger.step must be an integer >= 0, got -1/,
    );
    assert.throws(
      () => new Switch(new SGD([x]), new SGD([x]), { trigger: { step: 1 }, lr: 'estimate' }),
      /lr 'estimate' needs Adam or AdamW first, got SGD/,
    );
  });
});

describe('SWATS', () => {
  test('on a linear objective the estimate is lr·Σ(aᵢ/(|aᵢ|+ε))² / Σ(aᵢ²/(|aᵢ|+ε)) and fires at step 2', () => {
    // Constant gradient a: Adam's bias-corrected moments are exactly a and a², so every Adam
    // step is pᵢ = −lr·aᵢ/(|aᵢ|+ε), γ = pᵀp/(−pᵀa) is the same each step, and the
    // bias-corrected average of a constant equals it: the criterion holds at the first k > 1.
    const a = [0.5, -2, 3, 0.01];
    const lr = 0.01;
    const eps = 1e-8;
    const want =
      (lr * a.reduce((s, v) => s + (v / (Math.abs(v) + eps)) ** 2, 0)) /
      a.reduce((s, v) => s + (v * v) / (Math.abs(v) + eps), 0);
    const x = new Float64Array(4);
    const events: SwitchEvent[] = [];
    const opt = new SWATS([x], { lr, onSwitch: (e) => events.push(e) });
    for (let k = 0; k < 10; k++) opt.step([Float64Array.from(a)]);
    assert.equal(events.length, 1, 'the switch fires once');
    assert.equal(events[0]!.step, 2);
    assert.ok(Math.abs(events[0]!.estimate! - want) <= 1e-12 * want);
    // Handed to SGD with momentum β₁ as lr (1 − β₁)·Λ.
    assert.ok(Math.abs(events[0]!.lr - 0.1 * want) <= 1e-12 * want);
  });

  test('on a quadratic with β = (0, 0) the estimate is lr/(c·|x₁| + ε) at step 2', () => {
    // β₁ = β₂ = 0 makes Adam a sign step: p = −lr·g/(|g|+ε), so γₖ = lr/(|gₖ|+ε) with
    // gₖ = c·xₖ₋₁, and λₖ = γₖ: the criterion holds at k = 2 with x₁ = x₀ − lr·c·x₀/(c·x₀+ε).
    const c = 3;
    const x0 = 2;
    const lr = 0.1;
    const eps = 1e-8;
    const x1 = x0 - (lr * c * x0) / (c * x0 + eps);
    const x = Float64Array.of(x0);
    const opt = new SWATS([x], { lr, betas: [0, 0], eps });
    for (let k = 0; k < 5; k++) opt.step([Float64Array.of(c * x[0]!)]);
    const want = lr / (c * x1 + eps);
    assert.equal(opt.event?.step, 2);
    assert.ok(Math.abs(opt.event!.estimate! - want) <= 1e-14 * want);
  });

  test('a state saved before the switch and reloaded reproduces the same switch step and result', () => {
    const grad = quadGrad([1, 4, 0.5]);
    const run = (reloadAt: number | null) => {
      const x = Float64Array.of(1.5, -2, 0.5);
      let opt = new SWATS([x], { lr: 0.01, tolerance: 1e-6 });
      for (let k = 0; k < 60; k++) {
        if (k === reloadAt) {
          const saved = JSON.parse(
            JSON.stringify(opt.stateDict(), (_, v) =>
              ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
            ),
          );
          assert.equal(saved.phase, 'first');
          opt = new SWATS([x], { lr: 0.01, tolerance: 1e-6 });
          opt.loadStateDict(saved);
        }
        opt.step([grad(x)]);
      }
      return { x, event: opt.event };
    };
    const straight = run(null);
    assert.ok(
      straight.event && straight.event.step > 10,
      'the switch happens after the reload point',
    );
    assert.deepEqual(run(10), straight);
  });

  test("momentum 'adam' starts SGD's buffer at m̂/(1−μ)", () => {
    const x = Float64Array.of(1, 2);
    const opt = new SWATS([x], { lr: 0.01, momentum: 'adam' });
    for (let k = 0; k < 3; k++) opt.step([Float64Array.of(0.3, -0.2)]);
    assert.equal(opt.phase, 'second');
    const buf = opt.switch.second.stateDict().state[0]!.slots.momentum_buffer!;
    // Constant gradient: m̂ = g exactly, so the buffer is g/(1 − 0.9) before the SGD steps.
    const sgdSteps = 3 - opt.event!.step;
    let want = [0.3 / 0.1, -0.2 / 0.1];
    for (let s = 0; s < sgdSteps; s++) want = want.map((b, i) => 0.9 * b + [0.3, -0.2][i]!);
    buf.forEach((b, i) => assert.ok(Math.abs(b - want[i]!) < 1e-12));
  });
});

test('Accumulate refuses bad gradients with the core checks, before adding anything', () => {
  const x = Float64Array.of(1, 2);
  const acc = new Accumulate(new SGD([x], { lr: 0.5 }), { steps: 2, reduction: 'sum' });
  acc.step([Float64Array.of(1, 1)]);
  assert.throws(
    () => acc.step([Float32Array.of(1, 1)]),
    /Accumulate: gradient 0 is float32, its parameter is float64/,
  );
  assert.throws(
    () => acc.step([Float64Array.of(1)]),
    /Accumulate: gradient 0 has length 1, its parameter has length 2/,
  );
  assert.throws(() => acc.step([]), /Accumulate: step got 0 gradients for 1 parameters/);
  acc.step([{ indices: [1], values: Float64Array.of(2) }]);
  // Only the two accepted gradients were summed: (1, 1) + (0, 2).
  assert.deepEqual(x, Float64Array.of(1 - 0.5, 2 - 1.5));
});

test('Accumulate with clipping clips the mean it applies, as a plain clipped step of that mean', () => {
  // Two gradients of 10: their mean is 10, clipped to norm 1 (PyTorch: clip_grad_norm_ on the
  // accumulated mean), so SGD at lr 1 moves by 1 − 1e-6·(1/(10 + 1e-6)) ≈ 1, not by 0.5.
  const a = new Float64Array(1);
  const acc = new Accumulate(new SGD([a], { lr: 1, clipGradNorm: 1 }), { steps: 2 });
  acc.step([Float64Array.of(10)]);
  acc.step([Float64Array.of(10)]);
  const b = new Float64Array(1);
  new SGD([b], { lr: 1, clipGradNorm: 1 }).step([Float64Array.of(10)]);
  assert.equal(a[0], b[0]);
});

test('Partition answers with the eval point of a Schedule-Free part, and the parameters of the others', () => {
  const a = Float64Array.of(1, 2);
  const b = Float64Array.of(3);
  const sf = new ScheduleFreeAdamW([a], { lr: 0.1 });
  const adamw = new AdamW([b], { lr: 0.1 });
  const both = new Partition([a, b], [sf, adamw]);
  for (let k = 0; k < 3; k++) both.step([Float64Array.of(0.5, -1), Float64Array.of(2)]);
  const out = [new Float64Array(2), new Float64Array(1)];
  both.evalParams!(out);
  assert.deepEqual(Array.from(out[0]!), Array.from(sf.evalParams()[0]!));
  assert.deepEqual(Array.from(out[1]!), Array.from(b));
  assert.notDeepEqual(Array.from(out[0]!), Array.from(a), 'x is not y after 3 steps');
  // Without such a part there is no eval point to look for.
  assert.equal(new Partition([b], [new AdamW([b])]).evalParams, undefined);
  assert.throws(
    () => both.evalParams!([new Float64Array(2)]),
    /evalParams\(out\) needs one Float32Array or Float64Array per parameter/,
  );
});
