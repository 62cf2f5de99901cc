import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScheduleFreeAdamW } from '../packages/optim/src/node.ts';
import { functionModel, rosenbrock, Trainer } from '../packages/lab/src/lab/index.ts';
import { runOne } from '../packages/lab/src/lab/compare/run.ts';
import { findContender } from '../packages/lab/src/lab/compare/contenders.ts';
import { builtinRaceProblem } from '../packages/lab/src/lab/compare/builtin.ts';

test('the trainer evaluates Schedule-Free at x and leaves y exactly as it was', () => {
  const model = functionModel(rosenbrock);
  let opt: ScheduleFreeAdamW | null = null;
  const trainer = new Trainer(model, {
    optimizer: (p) => (opt = new ScheduleFreeAdamW(p, { lr: 0.05 })),
    epochs: 30,
  });
  trainer.run();
  const y = model.params.map((p) => p.slice());
  const x = opt!.evalParams();
  const atY = model.trainLoss();
  const result = trainer.result();
  // The final loss is the loss at x, not at y, and the training point is back bit for bit.
  model.params.forEach((p, i) => p.set(x[i]!));
  assert.equal(result.final.trainLoss, model.trainLoss());
  assert.notEqual(result.final.trainLoss, atY);
  model.params.forEach((p, i) => p.set(y[i]!));
  const again = trainer.result();
  assert.deepEqual(
    model.params.map((p) => Array.from(p)),
    y.map((p) => Array.from(p)),
  );
  assert.equal(again.final.trainLoss, result.final.trainLoss);
});

test('a race run of Schedule-Free scores the loss at x after every step', async () => {
  const problem = builtinRaceProblem('rosenbrock', 'quick', { epochs: 40 });
  const run = await runOne(problem, findContender('schedulefree-adamw'), 0.01, 0);
  // Replay the same run by hand and measure at x after each step.
  const model = await problem.create(0);
  const opt = new ScheduleFreeAdamW(model.params, { lr: 0.01 });
  const g = model.params.map((p) => new Float64Array(p.length));
  const atX: number[] = [model.trainLoss()];
  for (let k = 0; k < 40; k++) {
    model.lossAndGrad(Uint32Array.of(0), g);
    opt.step(g);
    const y = model.params.map((p) => p.slice());
    opt.evalParams(model.params as Float64Array[]);
    atX.push(model.trainLoss());
    model.params.forEach((p, i) => p.set(y[i]!));
  }
  assert.equal(run.finalTrainLoss, atX.at(-1));
  assert.equal(run.lows!.loss.at(-1), Math.min(...atX));
});
