/**
 * Building a threaded arena: options checked, helpers counted against the cores, the arena and its
 * helpers started. `node.ts` (the `descent-optim/threads` entry) is its public face; tests and the
 * overhead benchmark come here to vary the helpers' program or the cores the cap sees.
 */
import { availableParallelism } from 'node:os';
import { createArena, type Arena, type ArenaOptions } from '../kernels/arena.ts';
import { helperCount } from './cores.ts';
import { startHelpers } from './helpers.ts';
import { helperProgram } from './program.ts';

/**
 * Elements below which a step is not split. Measured on the 2-core machine (`npm run bench`,
 * thread sweep of float32 Adam, one thread / split, ms): quiet (load average 1), 0.157 / 0.114 at
 * 256K and 0.62 / 0.32 at 1M, split winning from 4K on. With the machine shared (load average 2.5
 * to 4.8, bench/threads-overhead.ts), a split at 256K cost +0.09 ms a step (one thread: 0.164 ms)
 * with the second core left alone and +0.07 ms (0.325 ms) with a busy loop on it. 256K keeps the
 * gain of a free core and bounds the loss where there is none.
 */
export const DEFAULT_THREAD_THRESHOLD = 1 << 18;

export interface ThreadedArenaOptions extends ArenaOptions {
  /**
   * Helper threads besides the caller (default: the machine's cores minus one; none on one core).
   * More than that is capped, with a warning (code `DESCENT_HELPERS_CAPPED`).
   */
  helpers?: number;
  /** Steps over fewer elements than this stay on the calling thread. */
  threshold?: number;
}

/** @internal What tests vary: the helpers' program and the cores the cap sees. */
export interface ThreadedArenaInternals {
  program?: string;
  cores?: number;
}

/** `createThreadedArena`, with what tests vary (see {@link ThreadedArenaInternals}). */
export async function startThreadedArena(
  options: ThreadedArenaOptions,
  internals: ThreadedArenaInternals,
): Promise<Arena> {
  const threshold = options.threshold ?? DEFAULT_THREAD_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new RangeError(
      `createThreadedArena: threshold must be a number >= 0, got ${String(threshold)}`,
    );
  }
  if (options.shared === false) {
    throw new RangeError(
      'createThreadedArena: shared must be true (threads share the memory), got false',
    );
  }
  const helpers = helperCount(options.helpers, internals.cores ?? availableParallelism());
  const arena = await createArena({ bytes: options.bytes, shared: true });
  if (helpers > 0)
    await startHelpers(arena, helpers, threshold, internals.program ?? helperProgram());
  return arena;
}
