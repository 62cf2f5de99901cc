import { Command, Option } from 'commander';
import type { Optimizer } from 'descent-optim/internal/core/optimizer';
import { OPTIMIZER_NAMES } from 'descent-optim/internal/core/registry';
import type { CommonOptions } from 'descent-optim/internal/core/types';
import { TEST_FUNCTIONS } from '../lab/functions.ts';
import { findProblem } from '../lab/problems.ts';
import { progressBar, type Progress } from '../lab/node/progress.ts';
import { resolveBatchSize, type BatchSize } from '../lab/sampler.ts';
import { Trainer } from '../lab/trainer.ts';
import { batchSize, positiveInt, positiveNumber, seed } from './args.ts';
import { resumeRun, saveRun, type RunConfig } from './train-checkpoint.ts';

interface TrainFlags {
  problem: string;
  optimizer: string;
  lr?: number;
  epochs?: number;
  batchSize?: BatchSize;
  seed: number;
  backend: 'cpu' | 'wasm';
  data?: string;
  json?: boolean;
  quiet?: boolean;
  checkpoint?: string;
  every?: number;
  resume?: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const fmt = (x: number | null) => (x === null ? '-' : x.toPrecision(5));

/** `descent train`: trains one optimizer on one built-in problem and reports the curves. */
export function trainCommand(): Command {
  return new Command('train')
    .description('Train one optimizer on a built-in problem; record loss, lr, norms and accuracy')
    .requiredOption(
      '--problem <name>',
      `digits-mlp, digits-logreg, fashion-mlp, fashion-logreg, sparse-logreg or a test function (${TEST_FUNCTIONS.map((f) => f.name).join(', ')})`,
    )
    .requiredOption('--optimizer <name>', OPTIMIZER_NAMES.join(', '))
    .option('--lr <x>', "learning rate (default: the optimizer's own)", positiveNumber)
    .option(
      '--epochs <n>',
      "epochs (default: the problem's; a test function's epoch is one step)",
      positiveInt,
    )
    .option(
      '--batch-size <b>',
      "'full' (batch GD), 1 (SGD) or n (mini-batch) (default: the problem's)",
      batchSize,
    )
    .option('--seed <s>', 'seed of the data order and the initial weights', seed, 0)
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend for the MLPs')
        .choices(['cpu', 'wasm'])
        .default('cpu'),
    )
    .option('--data <dir>', 'directory with the four Fashion-MNIST IDX files (gzipped or raw)')
    .option(
      '--checkpoint <file>',
      'save a checkpoint (safetensors, written atomically) to this file',
    )
    .option('--every <n>', 'steps between checkpoints (default: one epoch)', positiveInt)
    .option('--resume <file>', 'continue the run saved in this checkpoint (same settings)')
    .option('--json', 'print one JSON object with the curves and a final summary')
    .option('--quiet', 'no progress bar and no per-epoch lines')
    .action(async (o: TrainFlags) => {
      let problem;
      try {
        problem = findProblem(o.problem);
      } catch (e) {
        throw new Error(`--problem: ${(e as Error).message}`);
      }
      if (!OPTIMIZER_NAMES.includes(o.optimizer.toLowerCase() as never)) {
        throw new Error(
          `--optimizer: unknown optimizer "${o.optimizer}"; known: ${OPTIMIZER_NAMES.join(', ')}`,
        );
      }
      const epochs = o.epochs ?? problem.defaults.epochs;
      const bs = o.batchSize ?? problem.defaults.batchSize;
      const model = await problem.create({
        seed: o.seed,
        backend: o.backend,
        ...(o.data !== undefined && { dataDir: o.data }),
      });
      const quiet = o.quiet === true;
      const stepsPerEpoch = Math.ceil(model.trainSize / resolveBatchSize(bs, model.trainSize));
      const progress: { bar?: Progress } = {};
      const trainer = new Trainer(model, {
        optimizer: o.optimizer.toLowerCase(),
        optimizerOptions: o.lr !== undefined ? { lr: o.lr } : {},
        epochs,
        batchSize: bs,
        seed: o.seed,
        recordParams: problem.kind === 'function',
        onStep: (st) => progress.bar?.update(st.step, st.loss),
        onEpoch: (e) => {
          // A test function's epoch is one step: a line per step would drown the summary.
          if (o.json || quiet || process.stderr.isTTY || problem.kind === 'function') return;
          process.stdout.write(
            `epoch ${e.epoch}/${epochs}  train loss ${fmt(e.trainLoss)}  test accuracy ${fmt(e.testAccuracy)}  ${(e.timeMs / 1000).toFixed(2)} s\n`,
          );
        },
      });
      const lrUsed = (trainer.optimizer.paramGroups[0] as { lr: number }).lr;
      const config: RunConfig = {
        problem: problem.name,
        optimizer: o.optimizer.toLowerCase(),
        lr: lrUsed,
        batchSize: bs,
        seed: o.seed,
        backend: problem.tfjs ? o.backend : null,
      };
      if (o.resume) await resumeRun(o.resume, trainer, config);
      const every = o.every ?? stepsPerEpoch;
      // Created after the Trainer, whose constructor checks the optimizer options and may throw.
      const bar = progressBar(epochs * stepsPerEpoch, quiet);
      progress.bar = bar;
      let lastEpoch = 0;
      try {
        while (trainer.step()) {
          if (o.checkpoint && trainer.stepsTaken % every === 0) {
            await saveRun(o.checkpoint, trainer, config);
          }
          if (trainer.epochsDone !== lastEpoch) {
            lastEpoch = trainer.epochsDone;
            // Lets the bar's timer redraw between epochs (setImmediate costs microseconds).
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      } finally {
        bar.stop();
      }
      // The last state too, so that a later --resume with more --epochs continues from the end.
      if (o.checkpoint) await saveRun(o.checkpoint, trainer, config);
      const result = trainer.result();
      model.dispose?.();
      // A named descent optimizer: its first group holds the lr it ran with.
      const opt = trainer.optimizer as Optimizer<CommonOptions>;
      const lr = opt.paramGroups[0]!.lr;
      if (o.json) {
        const out = {
          config: {
            problem: problem.name,
            optimizer: o.optimizer.toLowerCase(),
            lr,
            epochs,
            batchSize: bs,
            seed: o.seed,
            backend: problem.tfjs ? o.backend : null,
          },
          stepsPerEpoch: result.stepsPerEpoch,
          steps: result.steps,
          epochs: result.epochs,
          divergence: result.divergence,
          final: result.final,
          timeMs: result.timeMs,
          secondsPerEpoch: result.epochs.steps.length
            ? result.timeMs / 1000 / result.epochs.steps.length
            : null,
        };
        process.stdout.write(JSON.stringify(out) + '\n');
        return;
      }
      const f = result.final;
      const lines = [
        `${problem.name} / ${opt.name} (lr ${lr}), batch size ${bs}, seed ${o.seed}`,
        `  ${plural(f.epochs, 'epoch')}, ${plural(f.steps, 'step')}, ${(result.timeMs / 1000).toFixed(2)} s training`,
        `  final train loss ${fmt(f.trainLoss)}` +
          (f.testAccuracy !== null ? `, test accuracy ${fmt(f.testAccuracy)}` : ''),
        `  parameters hash ${f.paramsHash}`,
      ];
      if (result.divergence) {
        const d = result.divergence;
        lines.push(`  diverged at step ${d.step} (epoch ${d.epoch + 1}): ${d.reason}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
