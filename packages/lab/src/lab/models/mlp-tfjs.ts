import type * as TF from '@tensorflow/tfjs-core';
import { gatherRows, type Dataset } from '../dataset.ts';
import type { Model, TestResult } from '../model.ts';
import { Rng } from '../rng.ts';
import { tfjsModel } from './tfjs-model.ts';

/** TensorFlow.js backends the lab can train on in Node. */
export type TfBackend = 'cpu' | 'wasm';

/** Options of {@link mlpModel}. */
export interface MlpOptions {
  /** Hidden layer widths, e.g. [256, 128]. */
  hidden: readonly number[];
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** tfjs backend (default 'cpu'). */
  backend?: TfBackend;
}

/** Loads tfjs-core and the backend on first use, so nothing else in the lab needs tfjs. */
export async function loadTf(backend: TfBackend = 'cpu'): Promise<typeof TF> {
  let tf: typeof TF;
  try {
    tf = await import('@tensorflow/tfjs-core');
    // tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers them all
    // (tfjs-core's own register_all_gradients is ESM-only and would load a second tfjs-core).
    await import('@tensorflow/tfjs-layers');
    await import('@tensorflow/tfjs-backend-cpu');
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    throw new Error(
      `the MLP problems need TensorFlow.js (${(e as Error).message}); install ` +
        '@tensorflow/tfjs-core and @tensorflow/tfjs-backend-cpu (and -backend-wasm for --backend wasm)',
    );
  }
  if (!(await tf.setBackend(backend))) {
    throw new Error(`tfjs backend "${backend}" failed to initialize`);
  }
  await tf.ready();
  // The cpu backend prints a banner recommending tfjs-node (which cannot install here) on its
  // first tensor; it is noise on a command line that may print JSON.
  const b = tf.backend() as { firstUse?: boolean };
  if (b.firstUse === true) b.firstUse = false;
  return tf;
}

/** Glorot-uniform weights (Keras' default initializer) from the lab's seeded RNG, zero biases. */
function initialParams(sizes: readonly number[], rng: Rng): Float32Array[] {
  const params: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    const fanOut = sizes[l + 1]!;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const W = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < W.length; i++) W[i] = (2 * rng.next() - 1) * limit;
    params.push(W, new Float32Array(fanOut));
  }
  return params;
}

/**
 * A multi-layer perceptron (ReLU hidden layers, softmax output, mean cross-entropy) whose
 * gradients come from TensorFlow.js (`tf.variableGrads`). Its parameters live in Float32Arrays
 * that any descent optimizer steps in place; before each gradient they are copied into the tfjs
 * variables with `assign` (never written in place: the wasm backend caches packed weights by
 * tensor). Initial weights come from the seed alone, so runs are reproducible across backends'
 * start-up order.
 */
export async function mlpModel(
  train: Dataset,
  test: Dataset | null,
  options: MlpOptions,
): Promise<Model> {
  for (const h of options.hidden) {
    if (!Number.isInteger(h) || h < 1) {
      throw new RangeError(`hidden layer widths must be integers >= 1, got ${h}`);
    }
  }
  const tf = await loadTf(options.backend ?? 'cpu');
  const sizes = [train.features, ...options.hidden, train.classes];
  const shapes: [number, number][] | [number][] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    (shapes as number[][]).push([sizes[l]!, sizes[l + 1]!], [sizes[l + 1]!]);
  }
  // tidy disposes the initial tensors; each variable keeps its data.
  const vars = tf.tidy(() =>
    initialParams(sizes, new Rng(options.seed ?? 0)).map((p, i) =>
      tf.variable(tf.tensor(p, shapes[i]!)),
    ),
  );
  const F = train.features;
  const C = train.classes;

  const logits = (x: TF.Tensor2D): TF.Tensor2D => {
    let h: TF.Tensor2D = x;
    for (let l = 0; l < vars.length; l += 2) {
      h = tf.add(tf.matMul(h, vars[l] as TF.Tensor2D), vars[l + 1]!);
      if (l + 2 < vars.length) h = tf.relu(h);
    }
    return h;
  };
  const rowsTensor = (d: Dataset, rows: ArrayLike<number>) => {
    const buf = new Float32Array(rows.length * F);
    gatherRows(d, rows, buf);
    return tf.tensor2d(buf, [rows.length, F]);
  };

  /** Mean cross-entropy and accuracy over all of `d`, from logits computed in chunks. */
  const evaluate = (d: Dataset): TestResult => {
    const chunk = 2000;
    let loss = 0;
    let correct = 0;
    for (let start = 0; start < d.size; start += chunk) {
      const rows = Array.from({ length: Math.min(chunk, d.size - start) }, (_, i) => start + i);
      const zt = tf.tidy(() => logits(rowsTensor(d, rows)));
      const z = zt.dataSync();
      zt.dispose();
      for (let r = 0; r < rows.length; r++) {
        let max = -Infinity;
        let arg = 0;
        for (let c = 0; c < C; c++) {
          if (z[r * C + c]! > max) {
            max = z[r * C + c]!;
            arg = c;
          }
        }
        let sum = 0;
        for (let c = 0; c < C; c++) sum += Math.exp(z[r * C + c]! - max);
        const label = d.y[start + r]!;
        loss += Math.log(sum) + max - z[r * C + label]!;
        if (arg === label) correct++;
      }
    }
    return { loss: loss / d.size, accuracy: correct / d.size };
  };

  return tfjsModel(tf, {
    variables: vars,
    trainSize: train.size,
    loss(batch) {
      const B = batch.length;
      const onehot = new Float32Array(B * C);
      for (let r = 0; r < B; r++) onehot[r * C + train.y[batch[r]!]!] = 1;
      const y = tf.tensor2d(onehot, [B, C]);
      return tf.losses.softmaxCrossEntropy(y, logits(rowsTensor(train, batch))) as TF.Scalar;
    },
    trainLoss: () => evaluate(train).loss,
    test: () => (test ? evaluate(test) : null),
  });
}
