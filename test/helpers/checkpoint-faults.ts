/**
 * The fault-injection seam for the checkpoint tests: run a block with some of the checkpoint's
 * file-system calls replaced (`io` in packages/optim/src/checkpoint/io.ts), and errors that look
 * like the operating system's.
 */
import { io } from '../../packages/optim/src/checkpoint/io.ts';

export type Io = typeof io;

/** Runs `block` with `patch` applied to the checkpoint's file-system calls, then restores them. */
export async function withIo<T>(
  patch: (real: Io) => Partial<Io>,
  block: () => Promise<T>,
): Promise<T> {
  const real = { ...io };
  Object.assign(io, patch(real));
  try {
    return await block();
  } finally {
    Object.assign(io, real);
  }
}

/** An error as Node reports a failed system call: `ENOSPC: no space left on device, write`. */
export function errno(code: string, message: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, ${syscall}`), { code, syscall });
}
