/**
 * First-fit allocator over a fixed range of bytes, with blocks aligned to 64 bytes (a cache
 * line, so SIMD loads never straddle one at a block's start) and free blocks coalesced.
 */
export class BlockAllocator {
  /** Free blocks as [start, end) byte pairs, sorted by start, never adjacent. */
  private readonly free: number[] = [];
  private usedBytes = 0;

  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.free.push(start, end);
  }

  static readonly ALIGN = 64;

  /** Bytes handed out and not yet released. */
  get used(): number {
    return this.usedBytes;
  }

  /** The largest block that could be handed out now. */
  get largestFree(): number {
    let best = 0;
    for (let i = 0; i < this.free.length; i += 2)
      best = Math.max(best, this.free[i + 1]! - this.free[i]!);
    return best;
  }

  /** The start of a new block of at least `bytes` bytes, or -1 when none is free. */
  alloc(bytes: number): number {
    const size = Math.max(
      BlockAllocator.ALIGN,
      Math.ceil(bytes / BlockAllocator.ALIGN) * BlockAllocator.ALIGN,
    );
    for (let i = 0; i < this.free.length; i += 2) {
      const s = this.free[i]!;
      const e = this.free[i + 1]!;
      if (e - s >= size) {
        if (e - s === size) this.free.splice(i, 2);
        else this.free[i] = s + size;
        this.usedBytes += size;
        return s;
      }
    }
    return -1;
  }

  /** Returns the block [start, start + bytes) (as rounded by `alloc`) to the free list. */
  release(start: number, bytes: number): void {
    const size = Math.max(
      BlockAllocator.ALIGN,
      Math.ceil(bytes / BlockAllocator.ALIGN) * BlockAllocator.ALIGN,
    );
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
