import type { FloatBuffer } from '../core/types.ts';
import { BlockAllocator } from './allocator.ts';
import { registerArena } from '../core/arena-registry.ts';
import { exportNames } from './ids.ts';
import { compileKernels, kernelModulesSync, type KernelModules } from './module.ts';

/** A kernel export: byte offsets of the buffers, the length, then float64 scalars. */
export type KernelFn = (...args: number[]) => void;

/** Runs a kernel over a range on other threads; set by `descent/node`'s threaded arenas. */
export interface KernelRunner {
  /** Minimum length worth splitting across threads. */
  threshold: number;
  /** Runs `slot` over `n` elements of the buffers at `ptrs` (byte offsets), split across threads. */
  run(
    slot: number,
    n: number,
    elemBytes: number,
    nptrs: number,
    ptrs: Float64Array,
    scalars: Float64Array,
  ): void;
}

export interface ArenaOptions {
  /** Capacity in bytes (it never grows, so views into it stay valid). */
  bytes: number;
  /**
   * Back the arena with a shared memory (a `SharedArrayBuffer`), as worker threads need. Default:
   * shared where the engine allows it (Node; browsers only when cross-origin isolated).
   */
  shared?: boolean;
}

const PAGE = 65536;
const MAX_BYTES = 65535 * PAGE;
// Offset 0 is never handed out, so that no view starts at the null pointer.
const RESERVED = 64;

function canShare(): boolean {
  return (
    typeof SharedArrayBuffer === 'function' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false
  );
}

function memoryFor(options: ArenaOptions): { memory: WebAssembly.Memory; shared: boolean } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Arena: options must be an object { bytes }, got ${String(options)}`);
  }
  const { bytes } = options;
  if (
    typeof bytes !== 'number' ||
    !Number.isInteger(bytes) ||
    bytes < 1 ||
    bytes > MAX_BYTES - RESERVED
  ) {
    throw new RangeError(
      `Arena: bytes must be an integer in [1, ${MAX_BYTES - RESERVED}], got ${String(bytes)}`,
    );
  }
  if (options.shared !== undefined && typeof options.shared !== 'boolean') {
    throw new TypeError(`Arena: shared must be a boolean, got ${String(options.shared)}`);
  }
  const shared = options.shared ?? canShare();
  const pages = Math.ceil((bytes + RESERVED) / PAGE);
  // maximum = initial: the memory never grows, so no view is ever detached.
  return { memory: new WebAssembly.Memory({ initial: pages, maximum: pages, shared }), shared };
}

/**
 * A fixed block of WebAssembly memory that hands out `Float32Array` / `Float64Array` views.
 * Parameters and gradients placed here are updated in place by the wasm SIMD kernels, and an
 * optimizer allocates the state of such a parameter (m, v, ...) in the same arena, so a step
 * moves exactly the bytes of the update and nothing is copied.
 *
 * A view is returned to the arena by {@link Arena.free}, or when it is garbage-collected.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  /** Whether the memory is a `SharedArrayBuffer` (needed for worker threads). */
  readonly shared: boolean;
  /** The kernels by `slotOf(kernel, f64, bits)`. */
  readonly fns: KernelFn[] = [];
  /** Set when the arena runs large steps on worker threads. */
  runner: KernelRunner | null = null;
  private readonly buffer: ArrayBufferLike;
  private readonly blocks: BlockAllocator;
  private readonly finalizer: FinalizationRegistry<number>;
  private scratchAt = -1;

  /** @internal Use {@link createArena} or {@link createArenaSync}. */
  constructor(memory: WebAssembly.Memory, shared: boolean, instance: WebAssembly.Instance) {
    this.memory = memory;
    this.shared = shared;
    this.buffer = memory.buffer;
    this.blocks = new BlockAllocator(RESERVED, memory.buffer.byteLength);
    this.finalizer = new FinalizationRegistry((start) => this.release(start));
    const exports = instance.exports as Record<string, KernelFn>;
    exportNames().forEach((name, slot) => {
      if (name) this.fns[slot] = exports[name] as KernelFn;
    });
    registerArena(this.buffer, this);
  }

  /** Capacity in bytes. */
  get capacity(): number {
    return this.blocks.end - this.blocks.start;
  }
  /** Bytes held by live views. */
  get used(): number {
    return this.blocks.used;
  }

  /** A new `Float32Array` of length `n` in the arena, filled with `fill` (default 0). */
  float32(n: number, fill = 0): Float32Array<ArrayBufferLike> {
    const view = new Float32Array(this.buffer, this.take(n, 4, 'float32'), n);
    view.fill(fill);
    this.finalizer.register(view, view.byteOffset, view);
    return view;
  }

  /** A new `Float64Array` of length `n` in the arena, filled with `fill` (default 0). */
  float64(n: number, fill = 0): Float64Array<ArrayBufferLike> {
    const view = new Float64Array(this.buffer, this.take(n, 8, 'float64'), n);
    view.fill(fill);
    this.finalizer.register(view, view.byteOffset, view);
    return view;
  }

  /** A buffer of `like`'s type and length in the arena, filled with `fill`. */
  like(like: FloatBuffer, fill = 0): FloatBuffer {
    return like instanceof Float32Array
      ? this.float32(like.length, fill)
      : this.float64(like.length, fill);
  }

  /** A copy of `src` in the arena (to move existing parameters in). */
  copyOf(src: FloatBuffer): FloatBuffer {
    const view = this.like(src);
    view.set(src);
    return view;
  }

  /** Whether `buf` is a view into this arena. */
  holds(buf: FloatBuffer): boolean {
    return buf.buffer === this.buffer;
  }

  /** Returns a view's bytes to the arena; the view must not be used afterwards. */
  free(view: FloatBuffer): void {
    if (!this.holds(view) || !this.blocks.has(view.byteOffset)) {
      throw new RangeError('Arena: free() takes a view handed out by this arena, once');
    }
    this.finalizer.unregister(view);
    this.release(view.byteOffset);
  }

  /** @internal A scratch block of `bytes` for the copy path, or -1 when the arena is full. */
  scratch(bytes: number): number {
    if (this.scratchAt < 0) {
      this.scratchAt = this.blocks.alloc(bytes);
    }
    return this.scratchAt;
  }

  private take(n: number, size: number, type: string): number {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`Arena: ${type} length must be an integer >= 0, got ${String(n)}`);
    }
    const start = this.blocks.alloc(n * size);
    if (start < 0) {
      throw new RangeError(
        `Arena: out of space for ${n} ${type} values (${n * size} bytes): ${this.used} of ${this.capacity} bytes in use, largest free block ${this.blocks.largestFree}; create the arena with more bytes`,
      );
    }
    return start;
  }

  private release(start: number): void {
    this.blocks.release(start);
  }
}

function modulesFor(shared: boolean, m: KernelModules): WebAssembly.Module {
  return shared ? m.shared : m.plain;
}

/**
 * An arena, synchronously: Node, workers, and anywhere synchronous compilation of a 40 kB module
 * is allowed. Throws where WebAssembly SIMD is missing (then the plain kernels run).
 */
export function createArenaSync(options: ArenaOptions): Arena {
  const { memory, shared } = memoryFor(options);
  const instance = new WebAssembly.Instance(modulesFor(shared, kernelModulesSync()), {
    env: { memory },
  });
  return new Arena(memory, shared, instance);
}

/** An arena, asynchronously (works on a browser's main thread). */
export async function createArena(options: ArenaOptions): Promise<Arena> {
  const { memory, shared } = memoryFor(options);
  const instance = await WebAssembly.instantiate(modulesFor(shared, await compileKernels()), {
    env: { memory },
  });
  return new Arena(memory, shared, instance);
}
