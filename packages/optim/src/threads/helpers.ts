import { Worker } from 'node:worker_threads';
import type { Arena } from '../kernels/arena.ts';
import { exportNames } from '../kernels/ids.ts';
import { kernelModulesSync } from '../kernels/module.ts';
import { JOB_BYTES, ThreadRunner } from '../kernels/thread-pool.ts';

/**
 * The helper threads of one arena: started together, watched, and stopped together. The first
 * helper to fail takes the arena back to the calling thread (`arena.runner = null`), with a
 * warning naming what happened; the step it happened in completes there, bit for bit.
 */
interface Helpers {
  readonly workers: Worker[];
  /** Each worker's own terminate (theirs is wrapped, see `watch`). */
  readonly stops: (() => Promise<number>)[];
  runner: ThreadRunner | null;
  /** Set once the helpers are being stopped on purpose, or after a failure was reported. */
  ended: boolean;
}

const byArena = new WeakMap<Arena, Helpers>();

/** Starts `count` helpers running `program` on `arena`'s memory and installs their runner. */
export async function startHelpers(
  arena: Arena,
  count: number,
  threshold: number,
  program: string,
): Promise<void> {
  const module = kernelModulesSync().shared;
  const names = exportNames();
  const jobs: SharedArrayBuffer[] = [];
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) {
    const job = new SharedArrayBuffer(JOB_BYTES);
    jobs.push(job);
    workers.push(
      new Worker(program, { eval: true, workerData: { module, memory: arena.memory, job, names } }),
    );
  }
  try {
    // A helper that failed to start is an error here, not a step that waits forever.
    await Promise.all(workers.map(ready));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  const h: Helpers = {
    workers,
    stops: workers.map((w) => w.terminate.bind(w)),
    runner: null,
    ended: false,
  };
  h.runner = new ThreadRunner(arena, jobs, threshold, {
    alive: (k) => threadRuns(workers[k] as Worker),
    onFailure: (k, reason) => fail(arena, h, k, `${reason} during a step`),
  });
  workers.forEach((w, k) => watch(arena, h, w, k));
  byArena.set(arena, h);
  arena.runner = h.runner;
}

/** Ends an arena's helpers, quietly; its steps then run on the calling thread. */
export async function stopHelpers(arena: Arena): Promise<void> {
  arena.runner = null;
  const h = byArena.get(arena);
  byArena.delete(arena);
  if (!h) return;
  h.ended = true;
  await Promise.all(h.stops.map((stop) => stop()));
}

/** @internal The arena's helper threads (tests use it to end one from outside). */
export function helperThreads(arena: Arena): readonly Worker[] {
  return byArena.get(arena)?.workers ?? [];
}

function ready(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    // Ready once its kernels are instantiated and it serves ('ready'), and Node counts it online:
    // before 'online', Node reports any worker as running, so a dead one would pass `threadRuns`.
    let signals = 0;
    const one = () => {
      if (++signals < 2) return;
      // Node caches a thread's loop start time on the first read while the thread lives; read
      // after it has died, the time is unknown and the thread would seem to run forever.
      w.performance.eventLoopUtilization();
      resolve();
    };
    w.once('online', one);
    w.once('message', one);
    w.once('error', reject);
    w.once('exit', (code) =>
      reject(
        new Error(`createThreadedArena: a helper thread exited with code ${code} as it started`),
      ),
    );
  });
}

function watch(arena: Arena, h: Helpers, w: Worker, k: number): void {
  // Between steps nothing waits on a helper; it must not keep the process alive.
  w.unref();
  let error = '';
  // An 'error' comes just before the 'exit' it causes; without a listener it would crash us.
  w.on('error', (e) => (error = `: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`));
  w.on('exit', (code) => fail(arena, h, k, `exited with code ${code}${error}`));
  // Ended by its owner (only this thread can, and only between steps): drop the helpers before
  // the thread is stopped, so that no step hands it a part it could die in the middle of.
  const stop = h.stops[k] as () => Promise<number>;
  w.terminate = () => {
    fail(arena, h, k, 'was terminated (worker.terminate())');
    return stop();
  };
}

function fail(arena: Arena, h: Helpers, k: number, what: string): void {
  if (h.ended) return;
  h.ended = true;
  if (arena.runner === h.runner) arena.runner = null;
  byArena.delete(arena);
  process.emitWarning(
    `descent-optim/threads: helper thread ${k + 1} of ${h.workers.length} ${what}. No step was left half-done (a part no helper finished runs on the calling thread); this arena's steps now run on the calling thread and its other helpers are stopped`,
    { code: 'DESCENT_THREAD_FAILED' },
  );
  for (const stop of h.stops) void stop();
}

/**
 * Whether a worker's thread still runs, synchronously (a caller blocked in a step cannot wait for
 * the 'exit' event). Node reports a stopped thread's event-loop idle time as -1 before it
 * delivers 'exit', and sets `threadId` to -1 after.
 */
function threadRuns(w: Worker): boolean {
  return w.threadId !== -1 && !(w.performance.eventLoopUtilization().idle < 0);
}
