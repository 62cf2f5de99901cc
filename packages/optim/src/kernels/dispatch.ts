import type { FloatBuffer } from '../core/types.ts';
import { createArenaSync, type Arena, type KernelFn } from './arena.ts';
import { arenaOf } from '../core/arena-registry.ts';
import { KERNEL_ARRAYS, slotOf } from './ids.ts';
import { KERNEL_SCALARS, callKernel } from './thread-pool.ts';

/**
 * Dispatch from a rule to its wasm SIMD kernel. Three routes, chosen per call, allocation-free:
 * - every buffer in one arena: the kernel runs in place (on worker threads above the arena's
 *   threshold);
 * - otherwise, the copy path: chunks of the buffers that are not in the arena are copied into a
 *   cache-sized scratch block, the kernel runs there and the written chunks are copied back. The
 *   copies stay in cache, so memory traffic grows little, and the SIMD kernel still beats the
 *   plain loop several times (measured in bench/: Adam 16M float32, see the README);
 * - no wasm SIMD: the caller runs its plain TypeScript kernel.
 * `kernels/fast-path.ts` decides whether to come here at all (kernels loaded, fast paths on, a
 * buffer long enough).
 */

/** How many calls took each route since the process started (for tests and the benchmark). */
export const fastPathCounts = { inPlace: 0, threaded: 0, copied: 0 };

/** Elements per chunk of the copy path: 5 buffers of float64 chunks fit a 2 MiB L2 cache. */
export const CHUNK = 32768;

interface Scratch {
  f32: Float32Array<ArrayBufferLike>[];
  f64: Float64Array<ArrayBufferLike>[];
}

// Scratch buffers are a few cache lines more than a chunk apart, so that they do not all map to
// the same cache sets (see the allocator's stagger).
const SCRATCH_STRIDE = CHUNK * 8 + 3 * 64;

const scratches = new WeakMap<Arena, Scratch | null>();
let heapArena: Arena | null | undefined;

function scratchOf(arena: Arena): Scratch | null {
  let s = scratches.get(arena);
  if (s === undefined) {
    const at = arena.scratch(5 * SCRATCH_STRIDE);
    s =
      at < 0
        ? null
        : {
            f32: [0, 1, 2, 3, 4].map(
              (k) => new Float32Array(arena.memory.buffer, at + k * SCRATCH_STRIDE, CHUNK),
            ),
            f64: [0, 1, 2, 3, 4].map(
              (k) => new Float64Array(arena.memory.buffer, at + k * SCRATCH_STRIDE, CHUNK),
            ),
          };
    scratches.set(arena, s);
  }
  return s;
}

/** The private arena of the copy path for buffers outside any arena (null without wasm SIMD). */
function heapArenaOf(): Arena | null {
  if (heapArena === undefined) {
    try {
      heapArena = createArenaSync({ bytes: 5 * SCRATCH_STRIDE + 4096, shared: false });
    } catch {
      // No wasm SIMD, or an engine that refuses synchronous compilation: plain loops.
      heapArena = null;
    }
  }
  return heapArena;
}

// Chunk views of buffers outside the arena, made once per buffer so that steps allocate nothing.
const chunkViews = new WeakMap<FloatBuffer, FloatBuffer[]>();

function chunkOf(buf: FloatBuffer, c: number): FloatBuffer {
  let views = chunkViews.get(buf);
  if (!views) {
    views = [];
    for (let s = 0; s < buf.length; s += CHUNK)
      views.push(buf.subarray(s, Math.min(buf.length, s + CHUNK)));
    chunkViews.set(buf, views);
  }
  return views[c] as FloatBuffer;
}

// Scratch views of the length of a last, partial chunk (per scratch buffer and length).
const tailViews = new WeakMap<FloatBuffer, Map<number, FloatBuffer>>();

function head(scratch: FloatBuffer, len: number): FloatBuffer {
  if (len === scratch.length) return scratch;
  let m = tailViews.get(scratch);
  if (!m) tailViews.set(scratch, (m = new Map()));
  let v = m.get(len);
  if (!v) m.set(len, (v = scratch.subarray(0, len)));
  return v;
}

/** Up to 10 float64 scalars of a kernel, in its argument order (unused ones are ignored). */
type S = number;

const ptrs = new Float64Array(5);
const scalars = new Float64Array(KERNEL_SCALARS);

function inArena(arena: Arena, b: FloatBuffer | null): boolean {
  return b === null || arena.holds(b);
}

/**
 * The wasm engine behind `runFast` (see `fast-path.ts` for the arguments): returns false when the
 * caller must run its plain loop (no wasm SIMD).
 */
export function runKernel(
  kernel: number,
  bits: number,
  p: FloatBuffer,
  g: FloatBuffer,
  a2: FloatBuffer | null,
  a3: FloatBuffer | null,
  a4: FloatBuffer | null,
  s0: S,
  s1: S,
  s2: S,
  s3: S,
  s4: S,
  s5: S,
  s6: S,
  s7: S,
  s8: S,
  s9: S,
): boolean {
  const n = p.length;
  const f64 = p instanceof Float64Array;
  const arrays = KERNEL_ARRAYS[kernel] as number;
  const own = arenaOf<Arena>(p);
  if (own && own.holds(g) && inArena(own, a2) && inArena(own, a3) && inArena(own, a4)) {
    setScalars(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9);
    setPtrs(
      p.byteOffset,
      g.byteOffset,
      a2 ? a2.byteOffset : 0,
      a3 ? a3.byteOffset : 0,
      a4 ? a4.byteOffset : 0,
    );
    const slot = slotOf(kernel, f64, bits);
    const runner = own.runner;
    if (runner !== null && n >= runner.threshold) {
      runner.run(slot, n, f64 ? 8 : 4, arrays, ptrs, scalars);
      fastPathCounts.threaded++;
    } else {
      fastPathCounts.inPlace++;
      callKernel(own.fns[slot] as KernelFn, arrays, ptrs, n, scalars);
    }
    return true;
  }
  const arena = own ?? heapArenaOf();
  const scratch = arena && scratchOf(arena);
  if (!arena || !scratch) return false;
  const fn = arena.fns[slotOf(kernel, f64, bits)] as KernelFn;
  fastPathCounts.copied++;
  setScalars(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9);
  const sv = f64 ? scratch.f64 : scratch.f32;
  const size = f64 ? 8 : 4;
  for (let c = 0, s = 0; s < n; c++, s += CHUNK) {
    const len = Math.min(CHUNK, n - s);
    setPtrs(
      stage(arena, p, sv[0] as FloatBuffer, c, s, len, size),
      stage(arena, g, sv[1] as FloatBuffer, c, s, len, size),
      a2 ? stage(arena, a2, sv[2] as FloatBuffer, c, s, len, size) : 0,
      a3 ? stage(arena, a3, sv[3] as FloatBuffer, c, s, len, size) : 0,
      a4 ? stage(arena, a4, sv[4] as FloatBuffer, c, s, len, size) : 0,
    );
    callKernel(fn, arrays, ptrs, len, scalars);
    unstage(arena, p, sv[0] as FloatBuffer, s, len);
    if (a2) unstage(arena, a2, sv[2] as FloatBuffer, s, len);
    if (a3) unstage(arena, a3, sv[3] as FloatBuffer, s, len);
    if (a4) unstage(arena, a4, sv[4] as FloatBuffer, s, len);
  }
  return true;
}

// The kernel's arguments go through two preallocated arrays (the form `callKernel` and the
// threads take), so that a step allocates nothing.
function setPtrs(o0: number, o1: number, o2: number, o3: number, o4: number): void {
  ptrs[0] = o0;
  ptrs[1] = o1;
  ptrs[2] = o2;
  ptrs[3] = o3;
  ptrs[4] = o4;
}

function setScalars(s0: S, s1: S, s2: S, s3: S, s4: S, s5: S, s6: S, s7: S, s8: S, s9: S): void {
  scalars[0] = s0;
  scalars[1] = s1;
  scalars[2] = s2;
  scalars[3] = s3;
  scalars[4] = s4;
  scalars[5] = s5;
  scalars[6] = s6;
  scalars[7] = s7;
  scalars[8] = s8;
  scalars[9] = s9;
}

/** The byte offset of chunk `c` of `buf` in the arena, copying it to `scratch` when outside. */
function stage(
  arena: Arena,
  buf: FloatBuffer,
  scratch: FloatBuffer,
  c: number,
  s: number,
  len: number,
  size: number,
): number {
  if (arena.holds(buf)) return buf.byteOffset + s * size;
  head(scratch, len).set(chunkOf(buf, c));
  return scratch.byteOffset;
}

/** Copies a written chunk back from the scratch, for buffers outside the arena. */
function unstage(
  arena: Arena,
  buf: FloatBuffer,
  scratch: FloatBuffer,
  s: number,
  len: number,
): void {
  if (!arena.holds(buf)) buf.set(head(scratch, len), s);
}

export { K } from './ids.ts';
