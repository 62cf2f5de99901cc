import { arenaOf } from '../core/arena-registry.ts';
import type { FloatBuffer } from '../core/types.ts';
import type { Arena } from './arena.ts';
import { MATMUL_WORKSPACE_BYTES } from './generated/wasm.ts';
import { overlaps } from './matmul.ts';
import { kernelModulesSync } from './module.ts';

/**
 * The engine behind `fastMatmul` (see `kernels/matmul.ts`): runs the exports `matmul_f32` /
 * `matmul_f64` of the kernels' module (`scripts/wasm/matmul.ts`). Two routes:
 * - `a`, `b` and `out` in one arena: in place, on an instance of the module over the arena's
 *   memory, with a workspace taken from the arena once;
 * - otherwise: `a` and `b` are copied into a private wasm memory (grown as needed, never shrunk),
 *   multiplied there, and the product copied back into `out`.
 */

/** Byte offsets of A, B, C and the workspace; m, k, n; transposes as 0 or 1. */
type MatmulFn = (
  a: number,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  ta: number,
  tb: number,
  ws: number,
) => void;

interface Site {
  readonly f32: MatmulFn;
  readonly f64: MatmulFn;
  /** Byte offset of the workspace. */
  readonly ws: number;
}

function site(memory: WebAssembly.Memory, shared: boolean, ws: number): Site {
  const mods = kernelModulesSync();
  const instance = new WebAssembly.Instance(shared ? mods.shared : mods.plain, {
    env: { memory },
  });
  const x = instance.exports as Record<string, MatmulFn>;
  return { f32: x.matmul_f32 as MatmulFn, f64: x.matmul_f64 as MatmulFn, ws };
}

// Per arena: an instance over its memory and a workspace in it (null: no room, copy instead).
// The workspace view is held here so that the arena's finalizer never frees it.
const arenaSites = new WeakMap<Arena, { site: Site; hold: FloatBuffer } | null>();

function arenaSite(arena: Arena): Site | null {
  let s = arenaSites.get(arena);
  if (s === undefined) {
    try {
      const hold = arena.float64(Math.ceil(MATMUL_WORKSPACE_BYTES / 8));
      s = { site: site(arena.memory, arena.shared, hold.byteOffset), hold };
    } catch {
      s = null;
    }
    arenaSites.set(arena, s);
  }
  return s && s.site;
}

/** The private memory of the copy route: the workspace at 64, then A, B and C. */
interface Heap {
  readonly memory: WebAssembly.Memory;
  readonly site: Site;
  f32: Float32Array;
  f64: Float64Array;
}
let heap: Heap | null | undefined;

const PAGE = 65536;
// Offsets stay below 2³¹, so that no i32 address or length is ever negative.
const MAX_BYTES = 2 ** 31;

function heapOf(bytes: number): Heap | null {
  if (heap === undefined) {
    try {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
      heap = {
        memory,
        site: site(memory, false, 64),
        f32: new Float32Array(memory.buffer),
        f64: new Float64Array(memory.buffer),
      };
    } catch {
      // No wasm SIMD, or an engine that refuses synchronous compilation: the plain loop.
      heap = null;
    }
  }
  if (heap === null) return null;
  const have = heap.memory.buffer.byteLength;
  if (bytes > have) {
    try {
      heap.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return null;
    }
  }
  // Growing detaches the old buffer: views are made again when it changed.
  if (heap.f32.buffer !== heap.memory.buffer) {
    heap.f32 = new Float32Array(heap.memory.buffer);
    heap.f64 = new Float64Array(heap.memory.buffer);
  }
  return heap;
}

const dim = (x: number): boolean => Number.isSafeInteger(x) && x >= 1;

/** `fastMatmul`'s engine: false where the plain loop must run (see `fastMatmul`). */
export function runMatmul(
  a: FloatBuffer,
  b: FloatBuffer,
  out: FloatBuffer,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): boolean {
  if (!dim(m) || !dim(k) || !dim(n)) return false;
  const f64 = out instanceof Float64Array;
  if (
    f64
      ? !(a instanceof Float64Array && b instanceof Float64Array)
      : !(out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array)
  )
    return false;
  const na = m * k;
  const nb = k * n;
  const nc = m * n;
  if (a.length < na || b.length < nb || out.length < nc) return false;
  if (overlaps(out, nc, a, na) || overlaps(out, nc, b, nb)) return false;
  const ta = transA ? 1 : 0;
  const tb = transB ? 1 : 0;

  const arena = arenaOf<Arena>(out);
  if (arena && arena.holds(a) && arena.holds(b)) {
    const s = arenaSite(arena);
    if (s) {
      (f64 ? s.f64 : s.f32)(a.byteOffset, b.byteOffset, out.byteOffset, m, k, n, ta, tb, s.ws);
      return true;
    }
  }

  const size = f64 ? 8 : 4;
  const same = a === b;
  const aAt = 64 + MATMUL_WORKSPACE_BYTES;
  const bAt = same ? aAt : aAt + na * size;
  const cAt = (same ? aAt + Math.max(na, nb) * size : bAt + nb * size) + 64;
  const end = cAt + nc * size;
  if (end > MAX_BYTES) return false;
  const h = heapOf(end);
  if (!h) return false;
  const view = f64 ? h.f64 : h.f32;
  if (same) {
    const len = Math.max(na, nb);
    view.set(a.length === len ? a : a.subarray(0, len), aAt / size);
  } else {
    view.set(a.length === na ? a : a.subarray(0, na), aAt / size);
    view.set(b.length === nb ? b : b.subarray(0, nb), bAt / size);
  }
  (f64 ? h.site.f64 : h.site.f32)(aAt, bAt, cAt, m, k, n, ta, tb, h.site.ws);
  out.set(view.subarray(cAt / size, cAt / size + nc));
  return true;
}
