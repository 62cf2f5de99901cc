/**
 * Arenas whose large steps run on Node worker threads (node-only: exported from
 * `descent-optim/threads`). The helpers share the arena's `WebAssembly.Memory` and run their part of
 * each kernel call in place; below `threshold` elements a step stays on the calling thread,
 * where waking a helper would cost more than it saves.
 *
 * A helper that dies or fails never hangs or half-applies a step: the calling thread runs any
 * part no helper finished (the same bits), the arena goes back to the calling thread for good, and
 * a warning (code `DESCENT_THREAD_FAILED`) says which helper and what happened.
 */
// A threaded arena is for the wasm kernels: importing this entry installs them (see fast.ts).
import '../fast.ts';
import type { Arena } from '../kernels/arena.ts';
import { stopHelpers } from './helpers.ts';
import { startThreadedArena, type ThreadedArenaOptions } from './threaded-arena.ts';

export { DEFAULT_THREAD_THRESHOLD, type ThreadedArenaOptions } from './threaded-arena.ts';

/**
 * A shared arena with helper threads; `stopThreads(arena)` ends them. With no core to spare
 * (one core), the arena has no helpers and runs every step on the calling thread.
 */
export async function createThreadedArena(options: ThreadedArenaOptions): Promise<Arena> {
  return startThreadedArena(options, {});
}

/** Ends an arena's helper threads; its steps then run on the calling thread. */
export async function stopThreads(arena: Arena): Promise<void> {
  await stopHelpers(arena);
}
