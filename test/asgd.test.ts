// ASGD's quirks and its averaged parameters, each asserted from the update rule of torch 1.13
// (shared/reference/extra/README.md, "ASGD") or from the reference's recorded `ax`; the
// trajectories themselves are checked against torch in golden.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradient } from '../packages/lab/src/replay/case-gradients.ts';
import { torchOptionsToDescent, worstRelativeError } from '../packages/lab/src/replay/run.ts';
import { ASGD, type FloatBuffer } from '../packages/optim/src/node.ts';
import { EXTRA_FIXTURE_DIR, loadCases } from './helpers/fixtures.ts';

const ax = (opt: ASGD, i = 0) => Array.from(opt.paramState(i)!.slots.ax as FloatBuffer);

/** The spec's steps, one scalar parameter, written out: [x, ax, eta, mu] after each step. */
function specRun(
  o: { lr: number; lambd: number; alpha: number; t0: number; wd: number },
  x0: number,
  grads: number[],
): number[][] {
  let [x, a, eta, mu] = [x0, 0, o.lr, 1];
  const out: number[][] = [];
  grads.forEach((g0, k) => {
    const t = k + 1;
    const g = o.wd !== 0 ? g0 + o.wd * x : g0;
    x = x * (1 - o.lambd * eta);
    x = x - eta * g;
    a = mu !== 1 ? a + mu * (x - a) : x;
    eta = o.lr / (1 + o.lambd * o.lr * t) ** o.alpha;
    mu = 1 / Math.max(1, t - o.t0);
    out.push([x, a, eta, mu]);
  });
  return out;
}

describe('ASGD', () => {
  test('follows the spec step by step: x, ax, and eta and mu for the next step', () => {
    const o = { lr: 0.5, lambd: 0.01, alpha: 0.6, t0: 2, wd: 0.05 };
    const grads = [1, -2, 0.5, 3, -1, 0.25, 2];
    const p = Float64Array.of(1.5);
    const opt = new ASGD([p], {
      lr: o.lr,
      lambd: o.lambd,
      alpha: o.alpha,
      t0: o.t0,
      weightDecay: o.wd,
    });
    const got = grads.map((g) => {
      opt.step([Float64Array.of(g)]);
      const { eta, mu } = opt.paramState(0)!.scalars;
      return [p[0]!, ax(opt)[0]!, eta!, mu!];
    });
    assert.deepEqual(got, specRun(o, 1.5, grads));
  });

  test('with the default t0 the average is the parameter itself, bit for bit', () => {
    const p = Float64Array.of(0.1, -3, 7);
    const opt = new ASGD([p], { lr: 0.3 });
    for (let k = 0; k < 5; k++) {
      opt.step([Float64Array.of(Math.sin(k), Math.cos(k), 1 / (k + 1))]);
      assert.deepEqual(ax(opt), Array.from(p));
    }
  });

  test('after t0, ax is the mean of the iterates from step t0 + 2 on', () => {
    const t0 = 3;
    const p = Float64Array.of(2, -1);
    const opt = new ASGD([p], { lr: 0.2, t0 });
    const xs: number[][] = [];
    for (let t = 1; t <= 10; t++) {
      opt.step([Float64Array.of(Math.sin(t), p[1]!)]);
      xs.push(Array.from(p));
      // mu = 1 / max(1, (t − 1) − t0): 1 up to step t0 + 2, then 1/2, 1/3, ...
      const from = Math.min(t, t0 + 2);
      const window = xs.slice(from - 1);
      const mean = [0, 1].map((j) => window.reduce((s, x) => s + x[j]!, 0) / window.length);
      assert.ok(worstRelativeError([ax(opt)], [mean]) <= 1e-15, `step ${t}`);
    }
  });

  test('step t uses the eta computed at the end of step t − 1, from that step’s lr', () => {
    const [lr, lambd, alpha] = [0.1, 0.5, 0.75];
    const p = Float64Array.of(0);
    const opt = new ASGD([p], { lr, lambd, alpha });
    opt.step([Float64Array.of(1)]); // eta = lr: x = −0.1
    assert.equal(p[0], -lr);
    opt.paramGroups[0]!.lr = 1;
    opt.step([Float64Array.of(1)]); // still the eta of lr 0.1, t = 1
    const eta1 = lr / (1 + lambd * lr * 1) ** alpha;
    assert.equal(p[0], -lr * (1 - lambd * eta1) - eta1);
    // ... and the next step's eta comes from lr 1 at t = 2
    assert.equal(opt.paramState(0)!.scalars.eta, 1 / (1 + lambd * 1 * 2) ** alpha);
  });

  test('the decay term shrinks the parameters even with a zero gradient (lambd 0: no move)', () => {
    const p = Float64Array.of(4, -2);
    new ASGD([p], { lr: 0.5, lambd: 0.1 }).step([new Float64Array(2)]);
    assert.deepEqual(Array.from(p), [4 * (1 - 0.1 * 0.5), -2 * (1 - 0.1 * 0.5)]);
    const q = Float64Array.of(4, -2);
    new ASGD([q], { lr: 0.5, lambd: 0 }).step([new Float64Array(2)]);
    assert.deepEqual(Array.from(q), [4, -2]);
  });

  test("evalParams gives torch's ax on every reference case (float64, 1e-10)", () => {
    const cases = loadCases((f) => f.startsWith('asgd_'), EXTRA_FIXTURE_DIR);
    assert.ok(cases.length > 0);
    for (const [file, c] of cases) {
      // ASGD is elementwise: one flat buffer runs the same math as one buffer per tensor.
      const x = Float64Array.from(c.x0);
      const g = new Float64Array(x.length);
      const opt = new ASGD([x], torchOptionsToDescent(c.options));
      const out = [new Float64Array(x.length)];
      const got: number[][] = [];
      for (let k = 0; k < c.steps; k++) {
        gradient(c.problem, x, k, g);
        opt.step([g]);
        got.push(Array.from(opt.evalParams(out)[0]!));
      }
      const err = worstRelativeError(got, c.ax!);
      assert.ok(err <= 1e-10, `${file}: worst relative error ${err}`);
    }
  });

  describe('evalParams', () => {
    const setup = () => {
      const a = Float64Array.of(1, 2, 3);
      const b = Float32Array.of(5, 6);
      const opt = new ASGD([a, b], { lr: 0.1, t0: 0 });
      opt.step([Float64Array.of(1, 1, 1), Float32Array.of(-1, 2)]);
      opt.step([Float64Array.of(2, 0, -1), null]); // b: one step only
      opt.step([Float64Array.of(-1, 3, 1), null]);
      return { a, b, opt };
    };

    test('copies ax into new buffers of the parameters’ types, the parameters untouched', () => {
      const { a, b, opt } = setup();
      const [before, beforeB] = [Array.from(a), Array.from(b)];
      const avg = opt.evalParams();
      assert.ok(avg[0] instanceof Float64Array && avg[1] instanceof Float32Array);
      assert.notEqual(avg[0], a);
      assert.deepEqual(Array.from(avg[0]!), ax(opt, 0));
      assert.deepEqual(Array.from(avg[1]!), ax(opt, 1));
      assert.deepEqual([Array.from(a), Array.from(b)], [before, beforeB]);
      // t0 0: the third step averages (mu = 1/2), so the average is not the parameter
      assert.notDeepEqual(Array.from(avg[0]!), Array.from(a));
    });

    test('fills and returns the given buffers; given the parameters, puts the average in them', () => {
      const { a, b, opt } = setup();
      const out = [new Float64Array(3), new Float64Array(2)];
      assert.equal(opt.evalParams(out), out);
      assert.deepEqual(Array.from(out[0]!), ax(opt, 0));
      const params = [a, b];
      opt.evalParams(params);
      assert.deepEqual(Array.from(a), ax(opt, 0));
      assert.deepEqual(Array.from(b), ax(opt, 1));
    });

    test('a parameter that has not stepped is its own average', () => {
      const a = Float64Array.of(1, 2);
      const b = Float64Array.of(3);
      const opt = new ASGD([a, b]);
      opt.step([Float64Array.of(1, 1), null]);
      assert.deepEqual(Array.from(opt.evalParams()[1]!), [3]);
    });

    test('refuses buffers that do not match the parameters, naming the lengths', () => {
      const { opt } = setup();
      for (const out of [
        [new Float64Array(3)],
        [new Float64Array(3), new Float64Array(3)],
        [new Float64Array(3), new Int32Array(2)],
      ]) {
        assert.throws(
          () => opt.evalParams(out as FloatBuffer[]),
          /^RangeError: ASGD: evalParams\(out\) needs one Float32Array or Float64Array per parameter, of its length \(3, 2\), got \[/,
        );
      }
    });
  });
});
