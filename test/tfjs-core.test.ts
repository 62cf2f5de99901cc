import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createOptimizer } from '../src/index.ts';
import { tfOptimizer, tfOptimizerNames, type UpdatePath } from '../src/tfjs/index.ts';
import { SWATS } from '../src/wrappers/swats.ts';
import { randomArray, seeded, tf, useBackend } from './tfjs-setup.ts';

/** Options that exercise each optimizer's slots and branches. */
const OPTIONS: Record<string, Record<string, unknown>> = {
  sgd: { lr: 0.05, weightDecay: 0.01 },
  momentum: { lr: 0.05, dampening: 0.1 },
  nesterov: { lr: 0.05 },
  adagrad: { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 },
  adadelta: { weightDecay: 0.01 },
  rmsprop: { lr: 0.01, momentum: 0.5, centered: true },
  adam: { lr: 0.01, weightDecay: 0.01, clipGradNorm: 1 },
  adamw: { lr: 0.01 },
  amsgrad: { lr: 0.01 },
  adamax: { lr: 0.01 },
  nadam: { lr: 0.01 },
  radam: { lr: 0.01 },
  swats: { lr: 0.01 },
};
const SHAPES = [[3, 4], [5], [2, 2, 2]];
const STEPS = 12;

function reference(name: string, params: Float32Array[], options: Record<string, unknown>) {
  return name === 'swats' ? new SWATS(params, options) : createOptimizer(name, params, options);
}

const CASES: ['cpu' | 'wasm', UpdatePath, string][] = [
  ['cpu', 'auto', 'cpu-in-place'],
  ['cpu', 'copy', 'copy'],
  ['wasm', 'auto', 'copy'],
];

// Same kernel, same float32 inputs, same float32 stores: the weights must match bit for bit.
for (const [backend, path, taken] of CASES) {
  describe(`tfOptimizer agrees exactly with the core (${backend}, ${taken})`, () => {
    for (const name of tfOptimizerNames()) {
      test(name, async () => {
        await useBackend(backend);
        const options = OPTIONS[name] as Record<string, unknown>;
        const rand = seeded(7);
        const init = SHAPES.map((s) =>
          randomArray(
            rand,
            s.reduce((a, b) => a * b, 1),
          ),
        );
        const vars = init.map((a, i) => tf.variable(tf.tensor(a.slice(), SHAPES[i]), true));
        const ref = init.map((a) => a.slice());
        const core = reference(name, ref, options);
        const opt = tfOptimizer(name, options);
        opt.updatePath = path;
        const before = tf.memory().numTensors;
        for (let step = 0; step < STEPS; step++) {
          // Every third step leaves the second variable without a gradient.
          const grads = init.map((a, i) =>
            step % 3 === 2 && i === 1 ? null : randomArray(rand, a.length, 2),
          );
          const tensors = grads.map((g, i) => (g ? tf.tensor(g, SHAPES[i]) : null));
          opt.applyGradients(
            vars.flatMap((v, i) => (tensors[i] ? [{ name: v.name, tensor: tensors[i] }] : [])),
          );
          core.step(grads);
          tf.dispose(tensors.filter((t) => t !== null));
          vars.forEach((v, i) =>
            assert.deepEqual(v.dataSync(), ref[i], `${name} step ${step} variable ${i}`),
          );
        }
        assert.equal(opt.lastPath, taken);
        assert.equal(opt.iterations, STEPS);
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks across steps');
        opt.dispose();
        tf.dispose(vars);
      });
    }
  });
}
