/**
 * A training run for the crash/resume tests: `tsx resume-run.ts CONFIG STEPS CKPT [--resume]`.
 * It minimises a fixed least-squares problem for STEPS steps, saving a checkpoint to CKPT every
 * 5 steps (and printing "ckpt <step>" after each), then prints the final parameters as JSON.
 * CONFIG is adam | sgd-schedule | swats. Everything depends only on the step index, so a run
 * resumed from a checkpoint must end bit-identical to an uninterrupted one.
 */
import {
  Adam,
  CosineAnnealingLR,
  SGD,
  SWATS,
  type Stepper,
} from '../../packages/optim/src/node.ts';
import {
  loadCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
} from '../../packages/optim/src/checkpoint/index.ts';

const [config, stepsArg, ckpt, flag] = process.argv.slice(2);
const steps = Number(stepsArg);
const n = 6;
const A = Array.from({ length: 9 }, (_, i) =>
  Array.from({ length: n }, (_, j) => Math.sin(i * 1.7 + j * 0.9)),
);
const b = A.map((_, i) => Math.cos(i));

function gradient(x: Float32Array, k: number): Float32Array {
  const g = new Float32Array(n);
  // A slowly varying problem (the row weights depend on the step) so that every step matters.
  A.forEach((row, i) => {
    const w = 1 + 0.1 * Math.sin(k + i);
    const r = row.reduce((s, a, j) => s + a * x[j]!, 0) - b[i]!;
    row.forEach((a, j) => (g[j]! += (w * a * r) / A.length));
  });
  return g;
}

const x = new Float32Array(n).fill(0.5);
let opt: Stepper;
let sched: CosineAnnealingLR | undefined;
if (config === 'adam') opt = new Adam([x], { lr: 0.05 });
else if (config === 'sgd-schedule') {
  const sgd = new SGD([x], { lr: 0.2, momentum: 0.9 });
  sched = new CosineAnnealingLR(sgd, { tMax: 40, etaMin: 0.01 });
  opt = sgd;
} else opt = new SWATS([x], { lr: 0.02, tolerance: 1e-5 });

let start = 0;
if (flag === '--resume') {
  const content = await loadCheckpoint(ckpt!);
  restoreCheckpoint(content, {
    params: { x },
    optimizer: opt,
    ...(sched ? { scheduler: sched } : {}),
  });
  start = (content.extra as { step: number }).step;
}
for (let k = start; k < steps; k++) {
  opt.step([gradient(x, k)]);
  sched?.step();
  if ((k + 1) % 5 === 0) {
    await saveCheckpoint(ckpt!, {
      params: { x },
      optimizer: opt.stateDict(),
      ...(sched ? { scheduler: sched.stateDict() } : {}),
      extra: { step: k + 1, config },
    });
    process.stdout.write(`ckpt ${k + 1}\n`);
  }
}
const phase = opt instanceof SWATS ? opt.phase : null;
process.stdout.write(JSON.stringify({ x: Array.from(x), phase }) + '\n');
