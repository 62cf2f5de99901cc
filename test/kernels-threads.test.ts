/** Steps split across worker threads over a shared arena equal the plain kernels bit for bit. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  Adam,
  RMSprop,
  SGD,
  type FloatBuffer,
  type Optimizer,
} from '../packages/optim/src/node.ts';
import type { Arena } from '../packages/optim/src/kernels/arena.ts';
import { fastPathCounts } from '../packages/optim/src/kernels/dispatch.ts';
import { setFastPaths } from '../packages/optim/src/kernels/fast-path.ts';
import { createThreadedArena, stopThreads } from '../packages/optim/src/threads/node.ts';

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
    createThreadedArena({ bytes: 1 << 16, helpers: 0 }),
    /helpers must be an integer in \[1, 64\], got 0/,
  );
  await assert.rejects(
    createThreadedArena({ bytes: 1 << 16, threshold: -1 }),
    /threshold must be a number >= 0, got -1/,
  );
});
