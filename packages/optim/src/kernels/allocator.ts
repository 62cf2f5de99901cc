/**
 * First-fit allocator over a fixed range of bytes, with blocks aligned to 64 bytes (a cache
 * line, so SIMD loads never straddle one at a block's start) and free blocks coalesced.
 *
 * Large blocks are padded by a rotating number of cache lines. Without it, buffers of equal,
 * power-of-two sizes start at addresses equal modulo the cache's way size, and a kernel that
 * streams five of them at once (AMSGrad, centered RMSprop with momentum) thrashes a few cache
 * sets: measured here, 16M-float32 AMSGrad took 66 ms instead of about 15. Blocks of 4 MB and
 * more are further staggered by 4 to 28 pages (16 to 112 KB). Measured here (16M float32, Adam's
 * four streams at equal offsets plus a stagger x): x of 64 B to 8 KB gave Adam 12.4-14 ms and
 * the in-place limit 10-12 ms; every x from 16 KB to 4 MB gave Adam about 11 ms and the limit
 * about 9.5 ms. Why streams only a page or two apart are slower was not pinned down (the memory
 * is 4 KB pages, so it is not plain DRAM-bank aliasing); the figures are what the pad rests on.
 */
export class BlockAllocator {
  /** Free blocks as [start, end) byte pairs, sorted by start, never adjacent. */
  private readonly free: number[] = [];
  /** Size of each block handed out, by start. */
  private readonly blocks = new Map<number, number>();
  private usedBytes = 0;
  private color = 0;

  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.free.push(start, end);
  }

  static readonly ALIGN = 64;
  /** Blocks from this size on get a stagger of 1 to 31 cache lines. */
  static readonly STAGGER_FROM = 65536;
  /** Blocks from this size on also get a stagger of 1 to 7 times {@link PAGE_STEP}. */
  static readonly PAGE_STAGGER_FROM = 4 << 20;
  static readonly PAGE_STEP = 16384;

  /** Bytes handed out and not yet released (with their padding). */
  get used(): number {
    return this.usedBytes;
  }

  /** The largest block that could be handed out now. */
  get largestFree(): number {
    let best = 0;
    for (let i = 0; i < this.free.length; i += 2) {
      best = Math.max(best, this.free[i + 1]! - this.free[i]!);
    }
    return best;
  }

  /** Whether `start` is the start of a block handed out and not released. */
  has(start: number): boolean {
    return this.blocks.has(start);
  }

  /** The start of a new block of at least `bytes` bytes, or -1 when none is free. */
  alloc(bytes: number): number {
    const A = BlockAllocator.ALIGN;
    let size = Math.max(A, Math.ceil(bytes / A) * A);
    if (size >= BlockAllocator.PAGE_STAGGER_FROM) {
      size += BlockAllocator.PAGE_STEP * (1 + (this.color % 7));
    }
    if (size >= BlockAllocator.STAGGER_FROM) size += A * (1 + (this.color % 31));
    for (let i = 0; i < this.free.length; i += 2) {
      const s = this.free[i]!;
      const e = this.free[i + 1]!;
      if (e - s >= size) {
        if (size >= BlockAllocator.STAGGER_FROM) this.color++;
        return this.take(i, size);
      }
    }
    // Without room for the padding, a block that fits exactly is still better than none.
    if (size > bytes && size >= BlockAllocator.STAGGER_FROM) {
      const exact = Math.ceil(bytes / A) * A;
      for (let i = 0; i < this.free.length; i += 2) {
        if (this.free[i + 1]! - this.free[i]! >= exact) return this.take(i, exact);
      }
    }
    return -1;
  }

  private take(i: number, size: number): number {
    const s = this.free[i]!;
    if (this.free[i + 1]! - s === size) this.free.splice(i, 2);
    else this.free[i] = s + size;
    this.usedBytes += size;
    this.blocks.set(s, size);
    return s;
  }

  /** Returns the block starting at `start` to the free list (no-op for an unknown start). */
  release(start: number): void {
    const size = this.blocks.get(start);
    if (size === undefined) return;
    this.blocks.delete(start);
    const end = start + size;
    let i = 0;
    while (i < this.free.length && this.free[i]! < start) i += 2;
    this.free.splice(i, 0, start, end);
    this.usedBytes -= size;
    // Coalesce with the next block, then with the previous one.
    if (i + 2 < this.free.length && this.free[i + 1] === this.free[i + 2]) {
      this.free[i + 1] = this.free[i + 3]!;
      this.free.splice(i + 2, 2);
    }
    if (i > 0 && this.free[i - 1] === this.free[i]) {
      this.free[i - 1] = this.free[i + 1]!;
      this.free.splice(i, 2);
    }
  }
}
