/**
 * Arenas whose large steps run on Node worker threads (node-only: exported from
 * `descent-optim/threads`). The helpers share the arena's `WebAssembly.Memory` and run their part of
 * each kernel call in place; below `threshold` elements a step stays on the calling thread,
 * where waking a helper would cost more than it saves.
 */
// A threaded arena is for the wasm kernels: importing this entry installs them (see fast.ts).
import '../fast.ts';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createArena, type Arena, type ArenaOptions } from '../kernels/arena.ts';
import { kernelModulesSync } from '../kernels/module.ts';
import { exportNames } from '../kernels/ids.ts';
import { JOB_BYTES, ThreadRunner, callKernel, serveJobs } from '../kernels/pool.ts';

/**
 * Elements below which a step is not split. Measured on the 2-core machine (`npm run bench`,
 * thread sweep of float32 Adam, one thread / split, ms): quiet (load average 1), 0.157 / 0.114 at
 * 256K and 0.62 / 0.32 at 1M, split winning from 4K on; busy (load 5 to 8, other jobs on the
 * second core), 0.157 / 0.184 and 0.157 / 0.099 at 256K, 0.62 / 0.66 at 1M, 2.9 / 1.7 to 2.0 at 4M.
 * 256K keeps the gain of a free core and bounds the loss of a busy one to a few hundredths of a
 * millisecond.
 */
export const DEFAULT_THREAD_THRESHOLD = 1 << 18;

export interface ThreadedArenaOptions extends ArenaOptions {
  /** Helper threads besides the caller (default: the machine's cores minus one, at least 1). */
  helpers?: number;
  /** Steps over fewer elements than this stay on the calling thread. */
  threshold?: number;
}

const workers = new WeakMap<Arena, Worker[]>();

// The helper's whole program: the browser-safe serving loop of kernels/pool.ts, by its source,
// so that it runs the same from TypeScript sources (tests) and from dist/ with no file to find.
// A dynamic import works whether the worker inherits a CommonJS or an ES module default.
const WORKER_SOURCE = `
${callKernel.toString()}
${serveJobs.toString()}
import('node:worker_threads').then(({ workerData, parentPort }) => {
  const { module, memory, job, names } = workerData;
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((name) => (name ? kernels[name] : undefined));
  parentPort.postMessage('ready');
  serveJobs(fns, job);
});
`;

/** A shared arena with helper threads; `stopThreads(arena)` ends them. */
export async function createThreadedArena(options: ThreadedArenaOptions): Promise<Arena> {
  const helpers = options.helpers ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(helpers) || helpers < 1 || helpers > 64) {
    throw new RangeError(
      `createThreadedArena: helpers must be an integer in [1, 64], got ${String(helpers)}`,
    );
  }
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
  const arena = await createArena({ bytes: options.bytes, shared: true });
  const module = kernelModulesSync().shared;
  const names = exportNames();
  const jobs: SharedArrayBuffer[] = [];
  const list: Worker[] = [];
  for (let i = 0; i < helpers; i++) {
    const job = new SharedArrayBuffer(JOB_BYTES);
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory: arena.memory, job, names },
    });
    jobs.push(job);
    list.push(w);
  }
  const ready = Promise.all(
    list.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          // Ready once its kernels are instantiated: a helper that failed to start is an error here,
          // not a step that waits forever.
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
    ),
  );
  try {
    await ready;
  } catch (e) {
    await Promise.all(list.map((w) => w.terminate()));
    throw e;
  }
  // A helper blocks in Atomics.wait between steps: it must not keep the process alive.
  for (const w of list) w.unref();
  workers.set(arena, list);
  arena.runner = new ThreadRunner(arena, jobs, threshold);
  return arena;
}

/** Ends an arena's helper threads; its steps then run on the calling thread. */
export async function stopThreads(arena: Arena): Promise<void> {
  arena.runner = null;
  const list = workers.get(arena) ?? [];
  workers.delete(arena);
  await Promise.all(list.map((w) => w.terminate()));
}
