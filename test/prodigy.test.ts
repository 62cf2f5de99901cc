// Prodigy's rule and quirks, each asserted from the reference set's README (shared/reference/extra,
// section "Prodigy"; konstmish/prodigy, commit 3efb213e) or its golden files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createOptimizer, Prodigy, type FloatBuffer } from '../packages/optim/src/node.ts';
import { prodigyDescriptor } from '../packages/optim/src/rules/prodigy.ts';

const FIXTURES = new URL('./fixtures/extra/', import.meta.url);
const cases = readdirSync(FIXTURES)
  .filter((f) => f.startsWith('prodigy_'))
  .map(
    (f) =>
      [f, JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8'))] as [
        string,
        { effective_options: Record<string, unknown>; d: number[] },
      ],
  );

const near = (got: number, want: number, tol = 1e-14) =>
  assert.ok(Math.abs(got - want) <= tol * Math.abs(want), `${got} vs ${want}`);

describe('Prodigy: the d estimate', () => {
  test('the golden d: d0 after step 1 (p0 = x), never below d0, capped by growthRate after leaving d0', () => {
    assert.ok(cases.length > 0);
    for (const [file, c] of cases) {
      const d0 = c.effective_options.d0 as number;
      const rate = c.effective_options.growth_rate;
      const growth = rate === 'inf' ? Infinity : (rate as number);
      assert.equal(c.d[0], d0, file);
      c.d.forEach((d, k) => {
        assert.ok(d >= d0, `${file} step ${k + 1}`);
        // growth_rate caps d once it has left d0 (the jump from d0 to d̂ is free).
        const prev = c.d[k - 1]!;
        if (k > 0 && prev !== d0)
          assert.ok(d <= prev * growth * (1 + 1e-15), `${file} step ${k + 1}`);
        // With growth_rate = inf, d = d_max: it never decreases.
        if (k > 0 && growth === Infinity) assert.ok(d >= c.d[k - 1]!, `${file} step ${k + 1}`);
      });
    }
  });

  test('steps 1 and 2 follow the README formulas', () => {
    const [lr, b1, b2, eps, d0] = [1, 0.9, 0.999, 1e-8, 1e-6];
    const b3 = Math.sqrt(b2);
    const x0 = [0.3, -0.7];
    const g1 = [1, -2];
    const g2 = [2, -1];
    const x = Float64Array.from(x0);
    const opt = new Prodigy([x], { lr });
    assert.equal(opt.groupState(0).d, 0, 'not started');

    opt.step([Float64Array.from(g1)]);
    // Step 1: ⟨g, p0 − x⟩ = 0, so d̂ = 0 and d stays d0; m = d(1−β₁)g, v = d²(1−β₂)g².
    const m1 = g1.map((g) => d0 * (1 - b1) * g);
    const v1 = g1.map((g) => d0 * d0 * (1 - b2) * g * g);
    const s1 = g1.map((g) => (d0 / d0) * (d0 * lr) * g);
    const x1 = x0.map((p, i) => p - (d0 * lr * m1[i]!) / (Math.sqrt(v1[i]!) + d0 * eps));
    x1.forEach((v, i) => near(x[i]!, v));
    assert.equal(opt.groupState(0).d, d0);
    assert.equal(opt.groupState(0).k, 1);

    opt.step([Float64Array.from(g2)]);
    // Step 2 (d = d0 still): N = β₃·0 + (d/d0)·dlr·⟨g, p0 − x⟩; s = β₃s + (d/d0)·dlr·g.
    const dlr = d0 * lr;
    const dot = g2.reduce((a, g, i) => a + g * (x0[i]! - x1[i]!), 0);
    const num = dlr * dot;
    const s2 = s1.map((s, i) => b3 * s + dlr * g2[i]!);
    const dHat = num / s2.reduce((a, s) => a + Math.abs(s), 0);
    const d2 = Math.max(d0, dHat);
    assert.ok(dHat > d0, 'the estimate grows on this problem');
    const st = opt.groupState(0);
    near(st.d!, d2);
    near(st.d_max!, d2);
    near(st.d_hat!, dHat);
    near(st.d_numerator!, num);
    // The move uses the old dlr and the new d in the denominator.
    const m2 = m1.map((m, i) => b1 * m + d0 * (1 - b1) * g2[i]!);
    const v2 = v1.map((v, i) => b2 * v + d0 * d0 * (1 - b2) * g2[i]! ** 2);
    x1.forEach((p, i) => near(x[i]!, p - (dlr * m2[i]!) / (Math.sqrt(v2[i]!) + d2 * eps), 1e-13));
  });

  test('one d per group over all its tensors: a group of two steps as one concatenated tensor', () => {
    const a = Float64Array.from([0.5, -1, 2]);
    const b = Float64Array.from([0.25, 3]);
    const ab = Float64Array.from([...a, ...b]);
    const split = new Prodigy([a, b], { weightDecay: 0.1 });
    const joined = new Prodigy([ab], { weightDecay: 0.1 });
    for (let k = 0; k < 8; k++) {
      const g = [...a, ...b].map((x, i) => x - 0.3 * i + Math.sin(k + i));
      split.step([Float64Array.from(g.slice(0, 3)), Float64Array.from(g.slice(3))]);
      joined.step([Float64Array.from(g)]);
    }
    // Equal up to the order of the sums (per tensor, then across).
    near(split.groupState(0).d!, joined.groupState(0).d!, 1e-12);
    [...a, ...b].forEach((x, i) => near(x, ab[i]!, 1e-12));
    assert.ok(split.groupState(0).d! > 1e-6);
  });

  test('each param group learns its own d (a deviation: the reference shares one across groups)', () => {
    const a = Float64Array.from([1, 2]);
    const b = Float64Array.from([-3]);
    const alone = Float64Array.from([-3]);
    const two = new Prodigy([{ params: [a] }, { params: [b], dCoef: 2 }]);
    const one = new Prodigy([alone], { dCoef: 2 });
    for (let k = 0; k < 6; k++) {
      two.step([Float64Array.from([a[0]!, a[1]! * 3]), Float64Array.from([b[0]! + 1])]);
      one.step([Float64Array.from([alone[0]! + 1])]);
    }
    assert.deepEqual(two.groupState(1), one.groupState(0));
    assert.deepEqual(Array.from(b), Array.from(alone));
    assert.notEqual(two.groupState(0).d, two.groupState(1).d);
  });
});

describe('Prodigy: steps that move nothing', () => {
  test('Σ|s| = 0 (a zero first gradient): p, d and k stay, so the next step is a first step', () => {
    const opts = { useBiasCorrection: true, lr: 0.5 };
    const x = Float64Array.from([1, -2]);
    const y = Float64Array.from([1, -2]);
    const late = new Prodigy([x], opts);
    const fresh = new Prodigy([y], opts);
    late.step([new Float64Array(2)]);
    assert.deepEqual(Array.from(x), [1, -2]);
    assert.equal(late.groupState(0).k, 0);
    assert.equal(late.groupState(0).d, 1e-6);
    for (const g of [
      [1, 3],
      [-2, 0.5],
    ]) {
      late.step([Float64Array.from(g)]);
      fresh.step([Float64Array.from(g)]);
    }
    assert.deepEqual(Array.from(x), Array.from(y));
    assert.deepEqual(late.groupState(0), fresh.groupState(0));
  });

  test('Σ|s| = 0 with a gradient: m and v have already moved, p has not', () => {
    // sliceP 2 reads elements 0 and 2 only; their gradient is 0, element 1's is not.
    const x = Float64Array.from([1, -2, 3]);
    const opt = new Prodigy([x], { sliceP: 2 });
    opt.step([Float64Array.from([0, 4, 0])]);
    assert.deepEqual(Array.from(x), [1, -2, 3]);
    const st = opt.paramState(0)!;
    assert.deepEqual(Array.from(st.slots.exp_avg!), [0, 1e-6 * (1 - 0.9) * 4, 0]);
    assert.deepEqual(Array.from(st.slots.exp_avg_sq!), [0, 1e-6 * 1e-6 * (1 - 0.999) * 4 * 4, 0]);
    assert.deepEqual(Array.from(st.slots.s!), [0, 0]);
    assert.equal(opt.groupState(0).k, 0);
  });

  test('lr 0: nothing moves and no statistic changes (p0 is still taken)', () => {
    const x = Float64Array.from([1, -2]);
    const opt = new Prodigy([x], { lr: 0 });
    opt.step([Float64Array.from([1, 1])]);
    assert.deepEqual(Array.from(x), [1, -2]);
    const st = opt.paramState(0)!;
    assert.deepEqual(Array.from(st.slots.p0!), [1, -2]);
    for (const slot of ['s', 'exp_avg', 'exp_avg_sq']) {
      assert.deepEqual(Array.from(st.slots[slot]!), [0, 0], slot);
    }
    assert.deepEqual(opt.groupState(0), {
      d: 1e-6,
      d_max: 1e-6,
      d_numerator: 0,
      d_denom: 0,
      d_hat: 0,
      k: 0,
    });
  });
});

describe('Prodigy: options', () => {
  test('β₁ = 0 keeps no exp_avg and steps by (dlr·d)·g/(√v + d·eps)', () => {
    const [d0, eps, b2] = [1e-6, 1e-8, 0.99];
    const x = Float64Array.from([0.5, -0.25]);
    const opt = new Prodigy([x], { betas: [0, b2] });
    opt.step([Float64Array.from([2, -1])]);
    assert.deepEqual(Object.keys(opt.paramState(0)!.slots).sort(), ['exp_avg_sq', 'p0', 's']);
    // Step 1: d stays d0, so dlr·d = d0².
    [0.5, -0.25].forEach((p, i) => {
      const g = [2, -1][i]!;
      const v = d0 * d0 * (1 - b2) * g * g;
      near(x[i]!, p - (d0 * d0 * g) / (Math.sqrt(v) + d0 * eps));
    });
  });

  test('coupled decay joins the gradient without writing into the caller’s buffer', () => {
    const x = Float64Array.from([1, 2]);
    const g = Float64Array.from([0.5, -0.5]);
    const opt = new Prodigy([x], { weightDecay: 0.5, decouple: false });
    opt.step([g]);
    assert.deepEqual(Array.from(g), [0.5, -0.5]);
    // g + wd·x = [1, 0.5]: m = d0(1 − β₁)·(g + wd·x).
    const m = opt.paramState(0)!.slots.exp_avg!;
    [1, 0.5].forEach((g, i) => near(m[i]!, 1e-6 * (1 - 0.9) * g));
  });

  test('maximize walks up: the same run as the negated gradient', () => {
    const x = Float64Array.from([1, -1, 0.5]);
    const y = Float64Array.from(x);
    const up = new Prodigy([x], { maximize: true });
    const down = new Prodigy([y]);
    for (let k = 0; k < 5; k++) {
      const g = [...x].map((v, i) => v * (i + 1) + Math.cos(k));
      up.step([Float64Array.from(g)]);
      down.step([Float64Array.from(g.map((v) => -v))]);
    }
    assert.deepEqual(Array.from(x), Array.from(y));
    assert.deepEqual(up.groupState(0), down.groupState(0));
  });

  test('sliceP: s and p0 keep every sliceP-th element, and d is the strided tensor’s d', () => {
    const x = Float64Array.from([0.5, 9, -1, 7, 2]);
    const strided = Float64Array.from([0.5, -1, 2]);
    const sliced = new Prodigy([x], { sliceP: 2 });
    const plain = new Prodigy([strided]);
    for (let k = 0; k < 6; k++) {
      const g = [...x].map((v, i) => v - i + Math.sin(3 * k + i));
      sliced.step([Float64Array.from(g)]);
      plain.step([Float64Array.from([g[0]!, g[2]!, g[4]!])]);
    }
    const st = sliced.paramState(0)!;
    assert.deepEqual(Array.from(st.slots.p0!), [0.5, -1, 2]);
    assert.equal(st.slots.s!.length, 3);
    assert.equal(st.slots.exp_avg!.length, 5);
    assert.deepEqual(sliced.groupState(0), plain.groupState(0));
    assert.deepEqual([x[0], x[2], x[4]], Array.from(strided));
    assert.ok(sliced.groupState(0).d! > 1e-6);
  });

  test('sliceP cannot change once the group has stepped', () => {
    const opt = new Prodigy([new Float64Array(5)], { sliceP: 2 });
    opt.step([Float64Array.from([1, 1, 1, 1, 1])]);
    opt.paramGroups[0]!.sliceP = 1;
    assert.throws(
      () => opt.step([Float64Array.from([1, 1, 1, 1, 1])]),
      /^RangeError: Prodigy: sliceP cannot change once a group has stepped: parameter 0 of the group keeps 3 statistics, sliceP 1 needs 5$/,
    );
  });

  test('growthRate caps how fast d grows, except the first jump from d0', () => {
    const run = (growthRate: number) => {
      const x = Float64Array.from([3, -2, 1]);
      const opt = createOptimizer('prodigy', [x], { growthRate });
      const ds: number[] = [];
      for (let k = 0; k < 10; k++) {
        opt.step([Float64Array.from(x)]); // f = ½‖x‖²
        ds.push(opt.groupState(0).d!);
      }
      return ds;
    };
    const free = run(Infinity);
    const capped = run(1.5);
    // While d = d0 it takes max(d, d̂) before the cap: the first jump is not limited.
    assert.equal(capped[1], free[1]);
    assert.ok(capped[1]! > 1.5e-6);
    assert.ok(
      free.some((d, k) => k > 1 && d > free[k - 1]! * 1.5),
      'unlimited d grows faster',
    );
    for (let k = 2; k < capped.length; k++) assert.ok(capped[k]! <= capped[k - 1]! * 1.5);
  });

  test('validation names the option', () => {
    for (const [options, message] of [
      [{ lr: -1 }, /^RangeError: Prodigy: lr must be a finite number >= 0, got -1$/],
      [{ dCoef: 0 }, /^RangeError: Prodigy: dCoef must be a finite number > 0, got 0$/],
      [
        { beta3: -0.1 },
        /^RangeError: Prodigy: beta3 must be null \(√β₂\) or in \[0, 1\], got -0\.1$/,
      ],
      [{ growthRate: NaN }, /^RangeError: Prodigy: growthRate must be a number >= 1/],
      [{ sliceP: 1.5 }, /^RangeError: Prodigy: sliceP must be an integer >= 1, got 1\.5$/],
      [{ decouple: 1 }, /^RangeError: Prodigy: decouple must be true or false, got 1$/],
    ] as const) {
      assert.throws(() => new Prodigy([new Float64Array(1)], options as never), message);
    }
  });

  test('the reference’s kwargs: fsdp_in_use false is dropped, true refused', () => {
    const from = prodigyDescriptor.fromReference!;
    assert.deepEqual(from({ fsdpInUse: false, dCoef: 2 }), { dCoef: 2 });
    assert.throws(
      () => from({ fsdpInUse: true }),
      /^RangeError: Prodigy: fsdp_in_use must be false/,
    );
  });

  test('float32 parameters get float32 slots, s and p0 strided too', () => {
    const x = new Float32Array([1, 2, 3, 4]);
    const opt = new Prodigy([x], { sliceP: 3 });
    opt.step([new Float32Array([1, 1, 1, 1])]);
    for (const [name, slot] of Object.entries(opt.paramState(0)!.slots) as [
      string,
      FloatBuffer,
    ][]) {
      assert.ok(slot instanceof Float32Array, name);
    }
  });
});
