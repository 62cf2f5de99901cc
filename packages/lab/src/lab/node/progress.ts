import { SingleBar } from 'cli-progress';

/** A progress reporter for training: a bar on a terminal, nothing elsewhere. */
export interface Progress {
  update(step: number, loss: number): void;
  stop(): void;
}

/**
 * A cli-progress bar on stderr when it is a terminal and `quiet` is false; otherwise a no-op, so
 * piped output and `--json` stay clean.
 */
export function progressBar(total: number, quiet: boolean): Progress {
  if (quiet || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: 'training |{bar}| {value}/{total} steps | loss {loss} | {eta_formatted} left',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0, { loss: '-' });
  return {
    update: (step, loss) =>
      bar.update(step, { loss: Number.isFinite(loss) ? loss.toPrecision(4) : String(loss) }),
    stop: () => bar.stop(),
  };
}
