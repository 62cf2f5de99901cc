/**
 * Long runs keep memory flat: a million steps of small optimizers (the plain loop, the wasm
 * kernels in place in an arena, and split across a helper thread) leave the heap, the buffers
 * outside it and the resident set where they were after warm-up.
 *
 * Bounds. A leak of anything per step shows as at least 16 bytes a step (the smallest heap
 * object with its header, or the smallest malloc chunk), so 16 MB over 1e6 steps and 3.2 MB over
 * the threaded run's 2e5. After a full GC the heap varies by tens of KB between samples (code and
 * feedback vectors, the test runner's own records), so heap growth must stay under 1 MB: any
 * per-step leak is caught with a margin of 3 or more. The resident set also holds pages the
 * allocator keeps and V8's code space, which move by a few MB with no leak; it must grow less
 * than 12 MB, which still catches any per-step leak of 16 bytes over 1e6 steps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Adam, SGD, type FloatBuffer, type Optimizer } from '../packages/optim/src/node.ts';
import { createArena } from '../packages/optim/src/kernels/arena.ts';
import { fastPathCounts } from '../packages/optim/src/kernels/dispatch.ts';
import { createThreadedArena, stopThreads } from '../packages/optim/src/threads/node.ts';

// The test runner does not pass --expose-gc: turn it on, then take gc from a fresh context.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const HEAP_BOUND = 1 << 20;
const RSS_BOUND = 12 << 20;

interface Sample {
  heap: number;
  external: number;
  rss: number;
}

function sample(): Sample {
  // Twice: the first collection's finalizers can free more on the second.
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MB`;

/** Steps `opt` `steps` times after a warm-up, and checks the growth between the two samples. */
function soak(
  t: { diagnostic: (s: string) => void },
  opt: Optimizer<never>,
  grads: FloatBuffer[],
  steps: number,
): void {
  for (let s = 0; s < 10000; s++) opt.step(grads);
  const before = sample();
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) opt.step(grads);
  const ms = performance.now() - t0;
  const after = sample();
  const grew = {
    heap: after.heap - before.heap,
    external: after.external - before.external,
    rss: after.rss - before.rss,
  };
  t.diagnostic(
    `${steps} steps in ${ms.toFixed(0)} ms; heap ${mb(before.heap)} -> ${mb(after.heap)}, buffers ${mb(before.external)} -> ${mb(after.external)}, rss ${mb(before.rss)} -> ${mb(after.rss)}`,
  );
  assert.ok(grew.heap < HEAP_BOUND, `heap grew by ${mb(grew.heap)}`);
  assert.ok(grew.external < HEAP_BOUND, `buffers outside the heap grew by ${mb(grew.external)}`);
  assert.ok(grew.rss < RSS_BOUND, `resident set grew by ${mb(grew.rss)}`);
}

function ramp(p: FloatBuffer, k: number): FloatBuffer {
  for (let i = 0; i < p.length; i++) p[i] = Math.sin(i * k + 1) * 1e-3;
  return p;
}

test('1e6 SGD steps on 16 float64 (the plain loop) keep memory flat', { timeout: 120000 }, (t) => {
  const p = ramp(new Float64Array(16), 1);
  const opt = new SGD([p], { lr: 1e-3, momentum: 0.9, nesterov: true }) as Optimizer<never>;
  soak(t, opt, [ramp(new Float64Array(16), 2)], 1e6);
  assert.ok(p.every(Number.isFinite));
});

test(
  '1e6 Adam steps on 64 float32 in an arena (wasm, in place) keep memory flat',
  {
    timeout: 120000,
  },
  async (t) => {
    const arena = await createArena({ bytes: 1 << 16 });
    const p = ramp(arena.float32(64), 1);
    // No weight decay: with it, p settles where the decayed gradient is 0, m and v then decay into
    // float32 subnormals, and each step gets several times slower (wasm does not flush them).
    const opt = new Adam([p]) as Optimizer<never>;
    const calls = fastPathCounts.inPlace;
    soak(t, opt, [ramp(arena.float32(64), 2)], 1e6);
    assert.ok(fastPathCounts.inPlace - calls >= 1e6, 'every step ran the wasm kernel in place');
    assert.ok(p.every(Number.isFinite));
  },
);

test(
  '2e5 Adam steps split across a helper thread keep memory flat',
  {
    timeout: 120000,
  },
  async (t) => {
    const arena = await createThreadedArena({ bytes: 1 << 16, helpers: 1, threshold: 0 });
    try {
      const p = ramp(arena.float32(1024), 1);
      const opt = new Adam([p]) as Optimizer<never>;
      const calls = fastPathCounts.threaded;
      soak(t, opt, [ramp(arena.float32(1024), 2)], 2e5);
      assert.ok(fastPathCounts.threaded - calls >= 2e5, 'every step was split');
      assert.ok(p.every(Number.isFinite));
    } finally {
      await stopThreads(arena);
    }
  },
);
