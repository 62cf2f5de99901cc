import { SingleBar, type Options } from 'cli-progress';
import { restoreOnSignal } from './terminal.ts';

/** A started cli-progress bar; `stop` restores the terminal and may be called more than once. */
export interface Bar {
  readonly bar: SingleBar;
  stop(): void;
}

/**
 * Starts a bar on `stream` (stderr) with the cursor hidden, and has SIGINT / SIGTERM stop it
 * (cursor shown, line wrap on) before the process exits, as a normal end does.
 */
export function startBar(
  options: Options & { format: string },
  total: number,
  payload: object,
  stream: NodeJS.WritableStream = process.stderr,
): Bar {
  const bar = new SingleBar({ ...options, stream, hideCursor: true });
  let release: (() => void) | null = null;
  const stop = () => {
    release?.();
    release = null;
    bar.stop();
  };
  release = restoreOnSignal(stop);
  bar.start(total, 0, payload);
  return { bar, stop };
}
