import { Command } from 'commander';
import type { Optimizer } from 'descent-optim/internal/core/optimizer';
import type { CommonOptions } from 'descent-optim/internal/core/types';
import { TEST_FUNCTIONS } from '../lab/functions.ts';
import { trainProgress, type Progress } from '../lab/node/progress.ts';
import { progressStyle } from '../lab/node/terminal.ts';
import { stepsPerEpoch, type BatchSize } from '../lab/sampler.ts';
import { Trainer } from '../lab/trainer.ts';
import { batchSize, positiveInt, positiveNumber, seed } from './args.ts';
import { backendOption, dataFileOption } from './options.ts';
import { resumeRun, saveRun, type RunConfig } from './train-checkpoint.ts';
import { findTrainOptimizer, trainerOptimizer, TRAIN_OPTIMIZERS } from './train-optimizer.ts';
import { trainProblem } from './train-problem.ts';
import { ensureWritableFile } from './writable.ts';

interface TrainFlags {
  problem?: string;
  dataFile?: string;
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

/** Work between two yields to the event loop, ms: what a Ctrl-C may wait before it is seen. */
const YIELD_MS = 50;

/** `descent train`: trains one optimizer on one problem and reports the curves. */
export function trainCommand(): Command {
  return new Command('train')
    .description(
      'Train one optimizer on a built-in problem or a CSV file; record loss, lr, norms and accuracy',
    )
    .option(
      '--problem <name>',
      `digits-mlp, digits-logreg, fashion-mlp, fashion-logreg, sparse-logreg or a test function (${TEST_FUNCTIONS.map((f) => f.name).join(', ')}); or give --data-file`,
    )
    .addOption(dataFileOption())
    .requiredOption('--optimizer <name>', TRAIN_OPTIMIZERS.join(', '))
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
    .addOption(backendOption())
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
      const problem = trainProblem(o);
      const optimizer = findTrainOptimizer(o.optimizer);
      if (o.checkpoint) ensureWritableFile(o.checkpoint, '--checkpoint');
      const epochs = o.epochs ?? problem.defaults.epochs;
      const bs = o.batchSize ?? problem.defaults.batchSize;
      const model = await problem.create({
        seed: o.seed,
        backend: o.backend,
        ...(o.data !== undefined && { dataDir: o.data }),
      });
      const perEpoch = stepsPerEpoch(model.trainSize, bs);
      const progress: { shown?: Progress } = {};
      const trainer = new Trainer(model, {
        ...trainerOptimizer(optimizer, o.lr, epochs * perEpoch),
        epochs,
        batchSize: bs,
        seed: o.seed,
        recordParams: problem.kind === 'function',
        onStep: (st) => progress.shown?.update(st.step, st.loss),
        onEpoch: (e) => progress.shown?.epoch(e),
      });
      // The lr the run starts with (adam-sgd's SGD phase later schedules its own).
      const lr = (trainer.optimizer.paramGroups[0] as { lr: number }).lr;
      const config: RunConfig = {
        problem: problem.name,
        optimizer: optimizer.name,
        lr,
        batchSize: bs,
        seed: o.seed,
        backend: problem.tfjs ? o.backend : null,
      };
      if (o.resume) {
        await resumeRun(o.resume, trainer, config);
        // A run already at or past --epochs would train nothing: say so rather than report a
        // result that silently is not the one asked for.
        const done = trainer.epochsDone;
        if (done > epochs) {
          throw new Error(
            `--resume ${o.resume}: the checkpoint has already trained ${done} epochs, more than --epochs ${epochs}; give --epochs ${done + 1} or more to continue it`,
          );
        }
        if (done === epochs && !o.quiet) {
          process.stderr.write(
            `descent train: --resume ${o.resume}: the checkpoint has already trained all ${epochs} epochs; nothing left to train (give a larger --epochs to continue)\n`,
          );
        }
      }
      const every = o.every ?? perEpoch;
      // Created after the Trainer, whose constructor checks the optimizer options and may throw.
      const shown = trainProgress({
        style: progressStyle(o.quiet === true),
        steps: epochs * perEpoch,
        epochs,
        stepPerEpoch: problem.kind === 'function',
      });
      progress.shown = shown;
      let lastEpoch = 0;
      let yielded = performance.now();
      try {
        while (trainer.step()) {
          if (o.checkpoint && trainer.stepsTaken % every === 0) {
            await saveRun(o.checkpoint, trainer, config);
          }
          // Between epochs and every YIELD_MS: the bar's timer redraws, and SIGINT / SIGTERM,
          // whose handlers run only on the event loop, are seen mid-epoch (setImmediate: µs).
          if (trainer.epochsDone !== lastEpoch || performance.now() - yielded > YIELD_MS) {
            lastEpoch = trainer.epochsDone;
            await new Promise((resolve) => setImmediate(resolve));
            yielded = performance.now();
          }
        }
      } finally {
        shown.stop();
      }
      // The last state too, so that a later --resume with more --epochs continues from the end.
      if (o.checkpoint) await saveRun(o.checkpoint, trainer, config);
      const result = trainer.result();
      model.dispose?.();
      if (o.json) {
        const out = {
          config: {
            problem: problem.name,
            optimizer: optimizer.name,
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
      // A named descent optimizer carries its class name; a composed one its label in compare.
      const label =
        optimizer.composed?.label ?? (trainer.optimizer as Optimizer<CommonOptions>).name;
      const lines = [
        `${problem.name} / ${label} (lr ${lr}), batch size ${bs}, seed ${o.seed}`,
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
