// Worker-thread entry of the race: builds built-in problems by reference and runs jobs sent by
// the pool, one at a time. Models and data are rebuilt per run (same seed, same start), so a
// job's result does not depend on which thread ran it.
import 'descent-optim/fast';
import { parentPort } from 'node:worker_threads';
import { findContender } from './contenders.ts';
import { builtinRaceProblem } from './builtin.ts';
import type { BuiltinRef, RaceProblem } from './race-problem.ts';
import type { Job } from './race.ts';
import { runOne } from './run.ts';

const cache = new Map<string, RaceProblem>();

function problemFor(ref: BuiltinRef): RaceProblem {
  const k = JSON.stringify(ref);
  let p = cache.get(k);
  if (!p) {
    const { name, budget, ...o } = ref;
    p = builtinRaceProblem(name, budget, o);
    cache.set(k, p);
  }
  return p;
}

// Jobs run one after the other, in arrival order: the pool keeps a second one queued here so
// that this thread never waits for the next, and two runs must not interleave (tfjs's backend
// setup is not re-entrant).
let chain: Promise<void> = Promise.resolve();
parentPort?.on('message', (msg: { id: number; ref: BuiltinRef; job: Job }) => {
  chain = chain.then(async () => {
    try {
      const record = await runOne(
        problemFor(msg.ref),
        findContender(msg.job.optimizer),
        msg.job.lr,
        msg.job.seed,
      );
      parentPort?.postMessage({ id: msg.id, record });
    } catch (e) {
      parentPort?.postMessage({ id: msg.id, error: (e as Error).message });
    }
  });
});
