// How progress reaches the user's terminal, and how the terminal is left as found.

/** How progress shows: bars on a terminal, one plain line per phase elsewhere, or none. */
export type ProgressStyle = 'bars' | 'lines' | 'none';

/**
 * Bars where `stream` is a terminal that can move its cursor; plain lines where it is not a
 * terminal (CI logs, pipes, files) or is TERM=dumb (Emacs shells and the like print the bar's
 * escapes as text); none when `quiet`. No style uses colour, so NO_COLOR needs nothing more.
 */
export function progressStyle(
  quiet: boolean,
  stream: { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): ProgressStyle {
  if (quiet) return 'none';
  return stream.isTTY === true && env.TERM !== 'dumb' ? 'bars' : 'lines';
}

/** The status a shell reports for a process ended by the signal: 128 + its number. */
export const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

const restorers = new Set<() => void>();

function onSignal(signal: keyof typeof SIGNAL_STATUS): void {
  for (const restore of [...restorers]) restore();
  // Exits rather than re-raising the signal: with a handler installed Node would not die of it,
  // and the status is what a shell shows for a process killed by it (130 for Ctrl-C).
  process.exit(SIGNAL_STATUS[signal]);
}

/**
 * Registers `restore` (a bar's stop: shows the cursor, turns line wrap back on) to run if
 * SIGINT or SIGTERM arrives while the bar is on screen, after which the process exits with
 * 130 or 143. Without it, Ctrl-C kills the process mid-bar and leaves the cursor hidden.
 * Returns the call that unregisters it (the handlers go when the last one does).
 */
export function restoreOnSignal(restore: () => void): () => void {
  if (restorers.size === 0) {
    for (const s of Object.keys(SIGNAL_STATUS)) process.on(s, onSignal);
  }
  restorers.add(restore);
  return () => {
    if (!restorers.delete(restore) || restorers.size > 0) return;
    for (const s of Object.keys(SIGNAL_STATUS)) process.off(s, onSignal);
  };
}
