/** Steps split across worker threads over a shared arena equal the plain kernels bit for bit. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  Adam,
  AdEMAMix,
  RMSprop,
  ScheduleFreeAdamW,
  SGD,
  type FloatBuffer,
  type Optimizer,
} from '../packages/optim/src/node.ts';
import type { Arena } from '../packages/optim/src/kernels/arena.ts';
import { fastPathCounts } from '../packages/optim/src/kernels/dispatch.ts';
import { setFastPaths } from '../packages/optim/src/kernels/fast-path.ts';
import { ThreadRunner } from '../packages/optim/src/kernels/thread-pool.ts';
import { helperThreads } from '../packages/optim/src/threads/helpers.ts';
import { createThreadedArena, stopThreads } from '../packages/optim/src/threads/node.ts';
import { startThreadedArena } from '../packages/optim/src/threads/threaded-arena.ts';

let arena: Arena;
before(async () => {
  arena = await createThreadedArena({ bytes: 16 << 20, helpers: 1, threshold: 0 });
});
after(() => stopThreads(arena));

function fill(p: FloatBuffer, k: number): void {
  for (let i = 0; i < p.length; i++) p[i] = Math.sin(i * k + 1);
}

const makers: [string, (p: FloatBuffer[]) => Optimizer<never>][] = [
  ['Adam amsgrad wd', (p) => new Adam(p, { amsgrad: true, weightDecay: 0.1 }) as Optimizer<never>],
  [
    'RMSprop centered momentum',
    (p) => new RMSprop(p, { centered: true, momentum: 0.9 }) as Optimizer<never>,
  ],
  [
    'SGD nesterov',
    (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }) as Optimizer<never>,
  ],
  // Ten scalars (the most a kernel takes), the last of them in the job block's last slot.
  [
    'ScheduleFreeAdamW innerMomentum wd',
    (p) =>
      new ScheduleFreeAdamW(p, {
        lr: 0.01,
        innerMomentum: 0.9,
        weightDecay: 0.01,
      }) as unknown as Optimizer<never>,
  ],
  ['AdEMAMix wd', (p) => new AdEMAMix(p, { lr: 0.01, weightDecay: 0.1 }) as Optimizer<never>],
];

for (const [name, make] of makers) {
  test(`${name}: threaded float64 steps equal the plain loop, odd length`, () => {
    const n = 10007;
    const ref = new Float64Array(n);
    const p = arena.float64(n);
    fill(ref, 1);
    fill(p, 1);
    const g = arena.float64(n);
    const optRef = make([ref]);
    const opt = make([p]);
    for (let s = 0; s < 5; s++) {
      fill(g, s + 2);
      setFastPaths(false);
      optRef.step([g.slice()]);
      setFastPaths(true);
      const calls = fastPathCounts.threaded;
      opt.step([g]);
      assert.equal(fastPathCounts.threaded, calls + 1, 'the step was split across threads');
    }
    for (let i = 0; i < n; i++)
      if (!Object.is(p[i], ref[i])) assert.fail(`element ${i}: ${p[i]} vs ${ref[i]}`);
  });
}

test('thousands of back-to-back split steps do not hang', { timeout: 30000 }, () => {
  // Short steps come fastest, which is where a lost wake-up between the threads shows.
  for (const n of [4099, 65536, 262144]) {
    const p = arena.float32(n, 0.5);
    const g = arena.float32(n, 0.01);
    const opt = new Adam([p]);
    const calls = fastPathCounts.threaded;
    for (let s = 0; s < 3000; s++) opt.step([g]);
    assert.equal(fastPathCounts.threaded - calls, 3000);
    assert.ok(
      Math.abs((p[n - 1] as number) - (0.5 - 3000 * 1e-3)) < 1e-3,
      'Adam moved by lr per step',
    );
  }
});

test('createThreadedArena checks its options', async () => {
  await assert.rejects(
    createThreadedArena({ bytes: 1 << 16, helpers: 1.5 }),
    /helpers must be an integer in \[1, 64\], got 1.5/,
  );
  await assert.rejects(
    createThreadedArena({ bytes: 1 << 16, helpers: 0 }),
    /helpers must be an integer in \[1, 64\], got 0/,
  );
  await assert.rejects(
    createThreadedArena({ bytes: 1 << 16, threshold: -1 }),
    /threshold must be a number >= 0, got -1/,
  );
});

/** The messages of the warnings with `code` emitted while `run` runs (and the tick after). */
async function warningsOf(code: string, run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const keep = (w: Error & { code?: string }) => {
    if (w.code === code) seen.push(w.message);
  };
  process.on('warning', keep);
  try {
    await run();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', keep);
  }
  return seen;
}

test('helpers are capped at the cores beside the caller, with a warning', async () => {
  const bytes = 1 << 16;
  const cases: [string, number | undefined, number, number, RegExp | null][] = [
    // what, helpers asked, cores, helpers started, warning
    ['default on 4 cores', undefined, 4, 3, null],
    ['default on 1 core', undefined, 1, 0, null],
    ['2 of 3 free', 2, 4, 2, null],
    [
      '3 on 2 cores',
      3,
      2,
      1,
      /^createThreadedArena: 3 helper threads asked for, but this machine has 2 cores \(os\.availableParallelism\(\)\), 1 beside the calling thread; using 1 \(more helpers than free cores make short steps many times slower\)$/,
    ],
    [
      '1 on 1 core',
      1,
      1,
      0,
      /1 helper threads asked for, but this machine has 1 core \(os\.availableParallelism\(\)\), 0 beside the calling thread; using none: its steps run on the calling thread$/,
    ],
  ];
  for (const [what, helpers, cores, started, warning] of cases) {
    let a: Arena | undefined;
    const options = helpers === undefined ? { bytes } : { bytes, helpers };
    const seen = await warningsOf('DESCENT_HELPERS_CAPPED', async () => {
      a = await startThreadedArena(options, { cores });
    });
    assert.equal(helperThreads(a!).length, started, what);
    assert.equal(a!.runner !== null, started > 0, what);
    if (warning) {
      assert.equal(seen.length, 1, what);
      assert.match(seen[0]!, warning, what);
    } else assert.deepEqual(seen, [], what);
    // Stopping on purpose is quiet.
    assert.deepEqual(await warningsOf('DESCENT_THREAD_FAILED', () => stopThreads(a!)), [], what);
  }
});

test('short split steps stay exact whichever thread runs the helper part', (t) => {
  // Back-to-back short steps: the caller often finishes its part before the helper has claimed
  // its own, and then runs that part itself. Either way the bits are the plain loop's.
  const runner = arena.runner;
  assert.ok(runner instanceof ThreadRunner);
  const n = 4099;
  const ref = new Float64Array(n);
  const p = arena.float64(n);
  fill(ref, 3);
  fill(p, 3);
  const g = arena.float64(n);
  fill(g, 5);
  const optRef = new Adam([ref]);
  const opt = new Adam([p]);
  const before = { ...runner.stats };
  for (let s = 0; s < 2000; s++) {
    setFastPaths(false);
    optRef.step([g.slice()]);
    setFastPaths(true);
    opt.step([g]);
  }
  for (let i = 0; i < n; i++)
    if (!Object.is(p[i], ref[i])) assert.fail(`element ${i}: ${p[i]} vs ${ref[i]}`);
  assert.equal(runner.stats.posted - before.posted, 2000, 'every step posted a part');
  t.diagnostic(`parts the caller ran itself: ${runner.stats.reclaimed - before.reclaimed} of 2000`);
});
