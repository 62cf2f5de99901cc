/**
 * Helper threads that die or fail in the middle of training: the step completes on the calling
 * thread bit for bit (or, where a helper vanished half-way through writing, fails promptly with
 * a clear error), the arena falls back to the calling thread, a warning names the helper and
 * what happened, and nothing hangs.
 *
 * Each case steps in its own worker thread: a step that hangs blocks the thread that runs it, so
 * the timeout must live on another one (here, the test's) to turn a hang into a failure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** One way for a helper to fail, and what the stepping thread must then see. */
interface Case {
  name: string;
  /** Helper threads (the cap is lifted to fit). */
  helpers: number;
  /** `(kernels, memory) => kernels` for the helpers' program (see threads/program.ts). */
  wrap?: string;
  /** Done to helper 1 from the stepping thread just before step `at`. */
  act?: 'terminate' | 'vanish';
  at?: number;
  /** The warning expected (exactly one DESCENT_THREAD_FAILED). */
  warning: RegExp;
  /** The error one step must throw, where the step cannot be completed. */
  error?: RegExp;
}

/** What the stepping thread saw. */
interface Outcome {
  errors: string[];
  /** Elements whose bits differ from the same steps on one thread. */
  mismatches: number;
  /** Steps taken, and the step counts of the two parameters. */
  steps: number;
  counts: number[];
  runnerAfter: boolean;
  warnings: string[];
  /** The slowest step, in ms. */
  slowestMs: number;
}

// At least this many steps; more (up to 1000) until the failure happened, since a helper runs
// only the parts it claims before the caller does (on a busy machine, fewer than posted).
const STEPS = 6;

/**
 * Source of a kernel-table wrapper that runs `fault` (JS; `a` = the kernel's arguments, `f` the
 * kernel) in a helper's 5th kernel call (Adam over two parameters: step 3's first, at the
 * earliest), or with `onlyOneHelper`, in the first call of whichever helper runs one first.
 */
function faultAt(fault: string, onlyOneHelper = false): string {
  // The arena never hands out its first 64 bytes: word 0 picks the one helper that fails.
  const when = onlyOneHelper
    ? 'Atomics.compareExchange(new Int32Array(memory.buffer, 0, 1), 0, 0, 1) === 0'
    : '++calls === 5';
  return `(fns, memory) => {
    let calls = 0;
    return fns.map((f) => f && ((...a) => {
      if (${when}) { ${fault} }
      return f(...a);
    }));
  }`;
}

const cases: Case[] = [
  {
    name: 'a helper terminated from outside between steps',
    helpers: 1,
    act: 'terminate',
    at: 2,
    warning: /helper thread 1 of 1 was terminated \(worker\.terminate\(\)\)/,
  },
  {
    name: 'a helper whose thread vanished between steps, before its exit event',
    helpers: 1,
    act: 'vanish',
    at: 2,
    warning: /helper thread 1 of 1 stopped \(its thread is gone\) during a step/,
  },
  {
    name: 'a helper that calls process.exit during its part',
    helpers: 1,
    wrap: faultAt('process.exit(7);'),
    warning: /helper thread 1 of 1 exited with code 7 during a step/,
  },
  {
    name: 'a helper whose kernel throws',
    helpers: 1,
    wrap: faultAt("throw new Error('injected fault');"),
    warning: /helper thread 1 of 1 threw Error: injected fault during a step/,
  },
  {
    name: 'one of three helpers whose kernel throws',
    helpers: 3,
    wrap: faultAt("throw new Error('injected fault');", true),
    warning: /helper thread [123] of 3 threw Error: injected fault during a step/,
  },
  {
    name: 'a helper that vanishes half-way through writing its part',
    helpers: 1,
    // Adam's kernel takes 4 buffers, then the length: update half the part, then end the thread
    // the way a crash would, running no JS (no exit handler, so no report).
    wrap: faultAt('a[4] = Math.floor(a[4] / 2); f(...a); process.reallyExit(9);'),
    warning: /helper thread 1 of 1 stopped \(its thread is gone\) during a step/,
    error:
      /helper thread 1 of 1 stopped while running its part of a step \(elements \d+ to \d+ of 10007\).*half-updated/,
  },
];

if (!isMainThread && (workerData as { reliabilityCase?: Case } | null)?.reliabilityCase) {
  const c = (workerData as { reliabilityCase: Case }).reliabilityCase;
  parentPort!.postMessage(await runCase({ ...c, warning: /./ }));
} else {
  for (const c of cases) {
    test(c.name, { timeout: 60000 }, async () => {
      const out = await inWorker(c, 30000);
      assert.equal(out.warnings.length, 1, `one warning, got ${JSON.stringify(out.warnings)}`);
      assert.match(out.warnings[0]!, c.warning);
      assert.match(out.warnings[0]!, /steps now run on the calling thread/);
      assert.equal(out.runnerAfter, false, 'the arena went back to the calling thread');
      // Detection is bounded by one check interval (20 ms), not by a step's length.
      assert.ok(out.slowestMs < 2000, `slowest step ${out.slowestMs.toFixed(1)} ms`);
      if (c.error) {
        assert.equal(out.errors.length, 1, JSON.stringify(out.errors));
        assert.match(out.errors[0]!, c.error);
        // The steps after it ran on the calling thread. The optimizer counts a parameter's step
        // before its kernel runs, so the failed one counts for the parameter it failed in, and
        // for the first one also when it failed in the second.
        assert.equal(out.counts[0], out.steps);
        assert.ok(out.counts[1] === out.steps || out.counts[1] === out.steps - 1);
      } else {
        assert.deepEqual(out.errors, []);
        assert.equal(out.mismatches, 0, 'every element equals the one-thread steps, bit for bit');
        assert.deepEqual(out.counts, [out.steps, out.steps]);
      }
    });
  }
}

/** Runs case `c` in a worker; a step that never returns fails after `ms`. */
async function inWorker(c: Case, ms: number): Promise<Outcome> {
  // Workers on Node 20 do not inherit tsx's loader for their entry: register it, then load us.
  const w = new Worker(
    `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`,
    { eval: true, workerData: { reliabilityCase: { ...c, warning: undefined, error: undefined } } },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<Outcome>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`the stepping thread exited with code ${code}`)));
      timer = setTimeout(
        () => reject(new Error(`hung: no answer in ${ms} ms (a step waits forever)`)),
        ms,
      );
    });
  } finally {
    clearTimeout(timer);
    await w.terminate();
  }
}

/** The stepping thread: the same steps threaded and on one thread, with `c`'s failure. */
async function runCase(c: Case): Promise<Outcome> {
  const { Adam } = await import('../packages/optim/src/node.ts');
  const { createArena } = await import('../packages/optim/src/kernels/arena.ts');
  const { helperThreads } = await import('../packages/optim/src/threads/helpers.ts');
  const { helperProgram } = await import('../packages/optim/src/threads/program.ts');
  const { startThreadedArena } = await import('../packages/optim/src/threads/threaded-arena.ts');
  // Keep the warnings (and off stderr).
  process.removeAllListeners('warning');
  const warnings: string[] = [];
  process.on('warning', (w) => {
    if ((w as Error & { code?: string }).code === 'DESCENT_THREAD_FAILED') warnings.push(w.message);
  });
  const n = 10007;
  const arena = await startThreadedArena(
    { bytes: 1 << 20, helpers: c.helpers, threshold: 0 },
    { program: helperProgram(c.wrap), cores: c.helpers + 1 },
  );
  const one = await createArena({ bytes: 1 << 20, shared: false });
  const make = (a: typeof one) => {
    const ps = [a.float32(n), a.float32(n)];
    const gs = [a.float32(n), a.float32(n)];
    ps.forEach((p, k) => p.forEach((_, i) => (p[i] = Math.sin(i * (k + 1) + 1))));
    return { ps, gs, opt: new Adam(ps, { lr: 0.01, weightDecay: 0.01 }) };
  };
  const threaded = make(arena);
  const ref = make(one);
  const errors: string[] = [];
  let slowestMs = 0;
  let s = 0;
  for (; s < STEPS || (arena.runner !== null && s < 1000); s++) {
    for (const { gs } of [threaded, ref])
      gs.forEach((g, k) => g.forEach((_, i) => (g[i] = Math.cos(i * (s + 2) + k))));
    if (s === c.at) {
      const w = helperThreads(arena)[0]!;
      if (c.act === 'terminate') void w.terminate();
      if (c.act === 'vanish') {
        // Past the wrapper that drops the helpers first, and waiting without yielding, so that
        // the 'exit' event cannot arrive before the step: a thread that is simply gone.
        void Worker.prototype.terminate.call(w);
        // Probing takes the worker's mutex, which the ending thread needs too: not in a tight loop.
        const nap = new Int32Array(new SharedArrayBuffer(4));
        const t = performance.now();
        while (!(w.performance.eventLoopUtilization().idle < 0)) {
          if (performance.now() - t > 5000) {
            const u = w.performance.eventLoopUtilization();
            const t2 = performance.now();
            await new Promise((res) => (w.threadId === -1 ? res(0) : w.once('exit', res)));
            throw new Error(
              `the helper did not stop in 5 s: ${JSON.stringify(u)}; exit ${(performance.now() - t2).toFixed(1)} ms after yielding`,
            );
          }
          Atomics.wait(nap, 0, 0, 1);
        }
      }
    }
    ref.opt.step(ref.gs);
    const t = performance.now();
    try {
      threaded.opt.step(threaded.gs);
    } catch (e) {
      errors.push((e as Error).message);
    }
    slowestMs = Math.max(slowestMs, performance.now() - t);
  }
  // Warnings are emitted on the next tick; the exit events come a little later.
  await new Promise((r) => setTimeout(r, 100));
  let mismatches = 0;
  threaded.ps.forEach((p, k) => {
    const a = new Uint32Array(p.buffer, p.byteOffset, n);
    const b = new Uint32Array(ref.ps[k]!.buffer, ref.ps[k]!.byteOffset, n);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) mismatches++;
  });
  return {
    errors,
    mismatches,
    steps: s,
    counts: [0, 1].map((k) => threaded.opt.paramState(k)?.step ?? 0),
    runnerAfter: arena.runner !== null,
    warnings,
    slowestMs,
  };
}
