import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { findContender } from './contenders.ts';
import { inlineExecutor, type Executor, type Job } from './race.ts';
import { runOne, type RunRecord } from './run.ts';

/**
 * Runs jobs on `threads` cores: `threads − 1` worker threads plus this thread, all pulling from
 * one queue. The workers take the long jobs from its head (data sets first) and this thread the
 * short ones from its tail (test functions), because a short job costs less here than the
 * message and the cold code of a worker (measured: the test functions ran 1.4x slower on
 * workers than inline). Problems without a built-in reference (a user's own) cannot be rebuilt
 * in a worker, so such a race runs inline.
 */
export function workerExecutor(threads = Math.min(4, availableParallelism())): Executor {
  return async (problems, jobs, onDone) => {
    if (threads < 2 || problems.some((p) => !p.builtin) || jobs.length < 2) {
      return inlineExecutor(problems, jobs, onDone);
    }
    const cost = (id: number) => Number(problems[jobs[id]!.problem]!.kind === 'dataset');
    const queue = [...jobs.keys()].sort((a, b) => cost(b) - cost(a) || a - b);
    const results: RunRecord[] = new Array(jobs.length);
    const finish = (id: number, record: RunRecord) => {
      results[id] = record;
      onDone(jobs[id]!, record);
    };
    const workers = Array.from({ length: Math.min(threads - 1, jobs.length) }, startWorker);
    const fromWorkers = workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let inFlight = 0;
          const feed = () => {
            const id = queue.shift();
            if (id === undefined) {
              if (inFlight === 0) resolve();
              return;
            }
            inFlight++;
            const job = jobs[id] as Job;
            w.postMessage({ id, ref: problems[job.problem]!.builtin, job });
          };
          w.on('message', (msg: { id: number; record?: RunRecord; error?: string }) => {
            if (msg.error !== undefined) return reject(new Error(msg.error));
            inFlight--;
            finish(msg.id, msg.record!);
            feed();
          });
          w.on('error', reject);
          // Two jobs in flight: the next one waits in the worker's queue, so the worker never
          // idles while this thread is busy with a run of its own and cannot hand it work.
          feed();
          feed();
        }),
    );
    const here = (async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
        const job = jobs[id] as Job;
        finish(
          id,
          await runOne(problems[job.problem]!, findContender(job.optimizer), job.lr, job.seed),
        );
        // Lets the workers' messages in between runs.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      await Promise.all([...fromWorkers, here]);
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
