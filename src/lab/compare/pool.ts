import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { inlineExecutor, type Executor, type Job } from './race.ts';
import type { RunRecord } from './run.ts';

/**
 * Runs jobs on worker threads (default: one per core, at most 4), each pulling the next job when
 * it finishes one. Problems without a built-in reference (a user's own) cannot be rebuilt in a
 * worker, so such a race runs inline. Data-set jobs go first: they are the long ones, and
 * starting them early keeps both cores busy to the end.
 */
export function workerExecutor(threads = Math.min(4, availableParallelism())): Executor {
  return async (problems, jobs, onDone) => {
    if (threads < 2 || problems.some((p) => !p.builtin) || jobs.length < 2) {
      return inlineExecutor(problems, jobs, onDone);
    }
    const order = [...jobs.keys()].sort(
      (a, b) =>
        Number(problems[jobs[b]!.problem]!.kind === 'dataset') -
          Number(problems[jobs[a]!.problem]!.kind === 'dataset') || a - b,
    );
    const results: RunRecord[] = new Array(jobs.length);
    const workers = Array.from({ length: Math.min(threads, jobs.length) }, startWorker);
    let next = 0;
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              const feed = () => {
                if (next >= order.length) return resolve();
                const id = order[next++]!;
                const job = jobs[id] as Job;
                w.postMessage({ id, ref: problems[job.problem]!.builtin, job });
              };
              w.on('message', (msg: { id: number; record?: RunRecord; error?: string }) => {
                if (msg.error !== undefined) return reject(new Error(msg.error));
                results[msg.id] = msg.record!;
                onDone(jobs[msg.id]!, msg.record!);
                feed();
              });
              w.on('error', reject);
              feed();
            }),
        ),
      );
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
    return results;
  };
}

/**
 * Starts a race worker. From the compiled package it is worker.js; from the TypeScript sources
 * (tests, tsx) the worker first registers tsx's loader, since Node 20 does not pass loaders on.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${entry}); });`;
  return new Worker(boot, { eval: true });
}
