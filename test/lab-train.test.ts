import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createScheduler, SWATS } from '../packages/optim/src/node.ts';
import {
  findProblem,
  loadDigits,
  functionModel,
  makeQuadratic,
  rosenbrock,
  Trainer,
  train,
} from '../packages/lab/src/lab/index.ts';

describe('training loop', () => {
  test('a digits MLP reaches >= 0.93 test accuracy with descent Adam (lab loop, tfjs gradients)', async () => {
    const model = await findProblem('digits-mlp').create({ seed: 0, backend: 'wasm' });
    const r = await train(model, {
      optimizer: 'adam',
      optimizerOptions: { lr: 1e-3 },
      epochs: 6,
      batchSize: 32,
      seed: 0,
    });
    model.dispose?.();
    assert.equal(r.divergence, null);
    assert.ok(r.final.testAccuracy! >= 0.93, `test accuracy ${r.final.testAccuracy}`);
    assert.equal(r.epochs.testAccuracy.length, 6);
    assert.equal(r.steps.loss.length, 6 * Math.ceil(loadDigits().train.size / 32));
    assert.ok(r.epochs.trainLoss.at(-1)! < r.epochs.trainLoss[0]!);
  });

  test('records per step: lr in use, gradient norm, and update norm = lr · gradient norm for plain SGD', () => {
    const lr = 1e-3;
    const r = new Trainer(functionModel(rosenbrock), {
      optimizer: 'sgd',
      optimizerOptions: { lr: 1e-5 },
      epochs: 20,
    });
    (r.optimizer.paramGroups[0] as { lr: number }).lr = lr; // a change of lr between steps shows in the record
    const res = r.run();
    assert.equal(res.steps.loss.length, 20);
    assert.deepEqual(res.steps.lr, new Array(20).fill(lr));
    res.steps.gradNorm.forEach((g, k) => {
      const u = res.steps.updateNorm[k]!;
      assert.ok(
        Math.abs(u - lr * g) <= 1e-12 * Math.max(1, lr * g),
        `step ${k}: ${u} vs ${lr * g}`,
      );
    });
    // The first record is the start: its gradient norm from the formula.
    const [x, y] = rosenbrock.start as [number, number];
    const g0 = Math.hypot(-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x));
    assert.ok(Math.abs(res.steps.gradNorm[0]! - g0) < 1e-12 * g0);
    for (let k = 1; k < 20; k++) assert.ok(res.steps.timeMs[k]! >= res.steps.timeMs[k - 1]!);
  });

  test('the recorded trajectory of gradient descent on a quadratic is the closed form (1 − lr·λ)^k x0', () => {
    const q = makeQuadratic(2, 10);
    const lr = 0.05;
    const res = new Trainer(functionModel(q), {
      optimizer: 'sgd',
      optimizerOptions: { lr },
      epochs: 30,
      recordParams: true,
    }).run();
    const pts = res.steps.params!;
    assert.equal(pts.length, 30);
    pts.forEach((p, k) => {
      const expected = [q.start[0]! * (1 - lr * 1) ** k, q.start[1]! * (1 - lr * 10) ** k];
      p.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-12, `step ${k}: ${p}`));
    });
  });

  test('divergence is detected and recorded, not thrown', () => {
    const res = new Trainer(functionModel(rosenbrock), {
      optimizer: 'sgd',
      optimizerOptions: { lr: 1 },
      epochs: 100,
    }).run();
    assert.ok(res.divergence, 'divergence recorded');
    assert.match(res.divergence.reason, /loss is (Infinity|NaN)|not finite/);
    assert.ok(res.final.diverged);
    assert.equal(res.final.steps, res.divergence.step);
    assert.ok(res.final.steps < 100);
    assert.ok(
      !Number.isFinite(res.steps.loss.at(-1)!) || !Number.isFinite(res.steps.updateNorm.at(-1)!),
    );
  });

  test('a scheduler steps after every step, and the record shows the lr each step ran with', () => {
    const res = new Trainer(functionModel(makeQuadratic()), {
      optimizer: 'sgd',
      optimizerOptions: { lr: 0.1 },
      epochs: 12,
      // ExponentialLR, PyTorch's closed form: lr_k = lr_0 · γ^k.
      scheduler: (opt) => createScheduler('ExponentialLR', opt, { gamma: 0.5 }) as { step(): void },
    }).run();
    res.steps.lr.forEach((lr, k) =>
      assert.ok(Math.abs(lr - 0.1 * 0.5 ** k) <= 1e-15, `${k}: ${lr}`),
    );
  });

  test('wrappers run in the loop: SWATS (Adam, then SGD) on Rosenbrock', () => {
    const res = new Trainer(functionModel(rosenbrock), {
      optimizer: (params) => new SWATS(params, { lr: 0.01 }),
      epochs: 300,
    }).run();
    assert.equal(res.divergence, null);
    assert.equal(res.optimizer, 'SWATS');
    assert.ok(res.final.trainLoss! < rosenbrock.value(rosenbrock.start));
  });

  test('epochs must be a positive integer', () => {
    assert.throws(
      () => new Trainer(functionModel(rosenbrock), { optimizer: 'sgd', epochs: 0 }),
      /epochs must be an integer >= 1, got 0/,
    );
  });
});
