/** Arenas of wasm memory: allocation, errors, and the browser-safety of the kernels' sources. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  createArena,
  createArenaSync,
  hasWasmSimd,
  setFastPaths,
} from '../packages/optim/src/node.ts';
import { BlockAllocator } from '../packages/optim/src/kernels/allocator.ts';

test('this engine has wasm SIMD (Node >= 16)', () => assert.equal(hasWasmSimd(), true));

test('views are 64-byte aligned, disjoint, filled, and stay valid as the arena fills', async () => {
  const arena = await createArena({ bytes: 1 << 16 });
  const a = arena.float32(5, 1.5);
  const b = arena.float64(3, -2);
  const c = arena.copyOf(new Float32Array([1, 2, 3]));
  for (const v of [a, b, c]) {
    assert.equal(v.byteOffset % 64, 0);
    assert.ok(arena.holds(v));
  }
  assert.deepEqual([...a], [1.5, 1.5, 1.5, 1.5, 1.5]);
  assert.deepEqual([...b], [-2, -2, -2]);
  assert.deepEqual([...c], [1, 2, 3]);
  assert.ok(b.byteOffset >= a.byteOffset + 64 && c.byteOffset >= b.byteOffset + 64);
  arena.float32(1000);
  assert.deepEqual([...a], [1.5, 1.5, 1.5, 1.5, 1.5]);
  assert.equal(arena.holds(new Float32Array(3)), false);
});

test('free returns the bytes; neighbouring free blocks coalesce', () => {
  const blocks = new BlockAllocator(64, 64 + 64 * 10);
  const x = blocks.alloc(64 * 3);
  const y = blocks.alloc(64 * 3);
  const z = blocks.alloc(64 * 4);
  assert.equal(blocks.alloc(1), -1);
  blocks.release(y);
  blocks.release(x);
  assert.equal(blocks.largestFree, 64 * 6);
  blocks.release(z);
  assert.equal(blocks.largestFree, 64 * 10);
  assert.equal(blocks.used, 0);
});

test('large blocks are staggered by whole cache lines, so equal sizes do not alias', () => {
  const blocks = new BlockAllocator(0, 1 << 24);
  const size = 1 << 20;
  const starts = [0, 1, 2, 3, 4].map(() => blocks.alloc(size));
  const sets = new Set(starts.map((s) => s % 4096));
  assert.equal(sets.size, 5);
  for (const s of starts) assert.equal(s % 64, 0);
  // A full arena still hands out an exact fit without the padding.
  const tight = new BlockAllocator(0, size);
  assert.equal(tight.alloc(size), 0);
});

test('blocks of 4 MB and more are also staggered by whole pages, at least 16 KB apart', () => {
  const size = BlockAllocator.PAGE_STAGGER_FROM;
  const blocks = new BlockAllocator(0, 16 * size);
  const starts = Array.from({ length: 8 }, () => blocks.alloc(size));
  for (let i = 1; i < starts.length; i++) {
    const pad = starts[i]! - starts[i - 1]! - size;
    assert.ok(pad >= 16384 && pad < 16384 * 8, `pad ${pad}`);
  }
  // The cache-line stagger still applies on top: no two blocks share their offset in a page.
  const offsets = starts.map((s) => s % size);
  assert.equal(new Set(offsets.map((o) => o % 4096)).size, offsets.length);
});

test('an arena refuses bad options and reports when it is full', () => {
  assert.throws(
    () => createArenaSync({ bytes: 0 }),
    /Arena: bytes must be an integer in \[1, \d+\], got 0/,
  );
  assert.throws(() => createArenaSync({ bytes: 1.5 }), /got 1.5/);
  assert.throws(
    () => createArenaSync({ bytes: 1024, shared: 'yes' as unknown as boolean }),
    /shared must be a boolean/,
  );
  const arena = createArenaSync({ bytes: 1 << 16, shared: false });
  assert.equal(arena.shared, false);
  assert.throws(() => arena.float32(-1), /Arena: float32 length must be an integer >= 0, got -1/);
  assert.throws(
    () => arena.float64(1 << 20),
    /Arena: out of space for 1048576 float64 values \(8388608 bytes\): 0 of \d+ bytes in use/,
  );
  const v = arena.float32(4);
  arena.free(v);
  assert.throws(() => arena.free(v), /free\(\) takes a view handed out by this arena, once/);
  assert.throws(() => arena.free(new Float32Array(4)), /free\(\) takes a view/);
  assert.throws(
    () => setFastPaths('on' as unknown as boolean),
    /setFastPaths: expected a boolean, got on/,
  );
});

test('the kernels and the core import nothing from Node (they must run in a browser)', () => {
  for (const dir of ['core', 'rules', 'kernels']) {
    const url = new URL(`../packages/optim/src/${dir}/`, import.meta.url);
    for (const file of readdirSync(url).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(file, url), 'utf8');
      assert.doesNotMatch(text, /from '(node:|fs|path|os|worker_threads)/, `src/${dir}/${file}`);
      assert.doesNotMatch(text, /\bprocess\.|\bBuffer\./, `src/${dir}/${file}`);
    }
  }
});
