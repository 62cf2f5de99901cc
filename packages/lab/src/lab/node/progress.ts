import type { EpochRecord } from '../trainer.ts';
import { startBar } from './bar.ts';
import type { ProgressStyle } from './terminal.ts';

/** Progress of a training run: a bar on a terminal, plain lines elsewhere, or nothing. */
export interface Progress {
  update(step: number, loss: number): void;
  epoch(record: EpochRecord): void;
  stop(): void;
}

/** What the progress of a run needs to know about it. */
export interface TrainProgressOptions {
  style: ProgressStyle;
  /** Steps of the whole run. */
  steps: number;
  epochs: number;
  /** A test function's epoch is one step: its lines come every tenth of the run, not per epoch. */
  stepPerEpoch?: boolean;
  stream?: NodeJS.WritableStream;
}

const fmt = (x: number | null) => (x === null || !Number.isFinite(x) ? '-' : x.toPrecision(5));

/**
 * `bars`: a cli-progress bar on stderr. `lines`: one plain line per epoch on stderr ("train:
 * epoch 3/10 loss 0.41..."), no escapes, for logs and pipes. `none`: silent.
 */
export function trainProgress(o: TrainProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  if (o.style === 'bars') {
    const { bar, stop } = startBar(
      {
        format: 'training |{bar}| {value}/{total} steps | loss {loss} | {eta_formatted} left',
        clearOnComplete: true,
      },
      o.steps,
      { loss: '-' },
      stream,
    );
    return {
      update: (step, loss) =>
        bar.update(step, { loss: Number.isFinite(loss) ? loss.toPrecision(4) : String(loss) }),
      epoch: () => {},
      stop,
    };
  }
  if (o.style === 'none') return { update: () => {}, epoch: () => {}, stop: () => {} };
  const tenth = (e: number) => Math.floor((10 * e) / o.epochs);
  return {
    update: () => {},
    epoch(e) {
      const seconds = `${(e.timeMs / 1000).toFixed(2)} s`;
      if (o.stepPerEpoch) {
        if (tenth(e.epoch) === tenth(e.epoch - 1)) return;
        stream.write(`train: step ${e.epoch}/${o.epochs}  loss ${fmt(e.trainLoss)}  ${seconds}\n`);
        return;
      }
      const accuracy = e.testAccuracy === null ? '' : `  test accuracy ${fmt(e.testAccuracy)}`;
      stream.write(
        `train: epoch ${e.epoch}/${o.epochs}  loss ${fmt(e.trainLoss)}${accuracy}  ${seconds}\n`,
      );
    },
    stop: () => {},
  };
}
