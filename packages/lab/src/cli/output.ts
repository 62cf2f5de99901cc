type Stream = NodeJS.EventEmitter & { errored?: Error | null };

/**
 * Ends the process with one line on stderr and status 1 when stdout cannot be written (a closed
 * pipe, a full disk), instead of Node's stack trace for an unhandled 'error' event; silently with
 * status 1 when stderr itself cannot be written.
 *
 * EPIPE (`descent train --json | head -1`: the reader left) also exits 1 with the line: the
 * output is incomplete, which a script under `set -o pipefail` should see, and the line says why.
 */
export function exitOnWriteError(
  out: Stream = process.stdout,
  err: NodeJS.WritableStream & NodeJS.EventEmitter = process.stderr,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let failed = false;
  const report = (e: NodeJS.ErrnoException) => {
    if (failed) return false;
    failed = true;
    const why = e.code === 'EPIPE' ? 'EPIPE (the reading end of the pipe was closed)' : e.message;
    err.write(`descent: cannot write output: ${why}\n`);
    return true;
  };
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (report(e)) exit(1);
  });
  err.on('error', () => exit(1));
  // Commander's subcommands end with process.exit (after --help, say) before the stream's
  // 'error' event, due on the next tick, is emitted: the failed write is caught here instead.
  process.on('exit', () => {
    if (out.errored && report(out.errored)) process.exitCode = 1;
  });
}
