import type { Arena, KernelFn, KernelRunner } from './arena.ts';

/**
 * Splitting a step across threads that share an arena's memory, browser-safe: the threads only
 * share `SharedArrayBuffer`s and wake each other with `Atomics`, so the same code serves Node's
 * worker_threads and a browser's Web Workers (the caller, which blocks in `Atomics.wait`, must
 * then itself be a worker: a browser's main thread may not block).
 *
 * A step never waits on a helper that has not started its part: a part goes to whichever thread
 * claims it first (compare-and-swap on its state), the helper when it wakes or the caller once its
 * own part is done. So a helper that is dead, or asleep on a busy core, costs the caller its part's
 * time, not a hang; and a helper that fails reports it in its job block, so the caller runs its
 * part instead (the kernels are elementwise: the same range on either thread gives the same bits).
 */

/** The states of a helper's part of a step (Int32 [1] of its job block). */
export const PART = {
  /** Posted, claimed by no thread yet. */
  POSTED: 0,
  /** The helper is running it. */
  TAKEN: 1,
  /** The helper finished it. */
  DONE: 2,
  /** The caller claimed it first and runs it. */
  RECLAIMED: 3,
  /** The helper failed or ended before finishing it; the caller runs it. */
  FAILED: 4,
} as const;

/**
 * The job block of a helper. Int32 [0] the generation posted (the helper waits on it), [1] the
 * part's state (the caller waits on it), [2] 1 once the helper has ended, [3] the length of its
 * reason; Float64 from `ARGS_AT`: slot, n, nptrs, ptrs[5], scalars[10]; Uint16 from `REASON_AT`:
 * why it ended, as UTF-16 code units.
 */
export const JOB = { ARGS_AT: 16, REASON_AT: 16 + 8 * 18, REASON_UNITS: 128 } as const;

/** Scalars of a kernel call (`s[0..9]`), the most any kernel takes. */
export const KERNEL_SCALARS = 10;

/** Bytes of one helper's job block. */
export const JOB_BYTES = JOB.REASON_AT + 2 * JOB.REASON_UNITS;

/** Aligns split points so that no two threads write the same 64-byte cache line. */
const ALIGN_BYTES = 64;

/** Iterations the caller spins on a taken part before it sleeps (about as long as a short part). */
const SPIN = 2000;

/** How long the caller sleeps on a taken part between checks that its helper still lives. */
const CHECK_MS = 20;

export function callKernel(
  fn: KernelFn,
  nptrs: number,
  p: Float64Array,
  n: number,
  s: Float64Array,
): void {
  // p[0..4] are byte offsets, s[0..9] the scalars; the length follows the buffers.
  switch (nptrs) {
    case 2:
      fn(p[0]!, p[1]!, n, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!, s[8]!, s[9]!);
      break;
    case 3:
      fn(
        p[0]!,
        p[1]!,
        p[2]!,
        n,
        s[0]!,
        s[1]!,
        s[2]!,
        s[3]!,
        s[4]!,
        s[5]!,
        s[6]!,
        s[7]!,
        s[8]!,
        s[9]!,
      );
      break;
    case 4:
      fn(
        p[0]!,
        p[1]!,
        p[2]!,
        p[3]!,
        n,
        s[0]!,
        s[1]!,
        s[2]!,
        s[3]!,
        s[4]!,
        s[5]!,
        s[6]!,
        s[7]!,
        s[8]!,
        s[9]!,
      );
      break;
    default:
      fn(
        p[0]!,
        p[1]!,
        p[2]!,
        p[3]!,
        p[4]!,
        n,
        s[0]!,
        s[1]!,
        s[2]!,
        s[3]!,
        s[4]!,
        s[5]!,
        s[6]!,
        s[7]!,
        s[8]!,
        s[9]!,
      );
  }
}

/**
 * The helper's side, when it ends for good (its kernel threw, or its thread is exiting): records
 * why (the first reason stands) and hands a part it held or had not yet claimed back to the caller.
 * Self-contained, like {@link serveJobs}: a helper's program carries its source.
 */
export function helperEnded(job: SharedArrayBuffer, reason: string): void {
  const ctl = new Int32Array(job, 0, 4);
  if (Atomics.load(ctl, 2) !== 0) return;
  const text = new Uint16Array(job, JOB.REASON_AT, JOB.REASON_UNITS);
  const units = Math.min(reason.length, JOB.REASON_UNITS);
  for (let i = 0; i < units; i++) text[i] = reason.charCodeAt(i);
  Atomics.store(ctl, 3, units);
  Atomics.store(ctl, 2, 1);
  // Whichever applies: a part it was running, or one posted that it will now never claim.
  Atomics.compareExchange(ctl, 1, PART.TAKEN, PART.FAILED);
  Atomics.compareExchange(ctl, 1, PART.POSTED, PART.FAILED);
  Atomics.notify(ctl, 1);
}

/**
 * The helper's side: waits for parts posted on `job` and runs those it claims with the arena's
 * kernels. Returns (and the helper should end) once a kernel has thrown.
 */
export function serveJobs(fns: readonly KernelFn[], job: SharedArrayBuffer): void {
  const ctl = new Int32Array(job, 0, 2);
  const args = new Float64Array(job, JOB.ARGS_AT, 18);
  const ptrs = args.subarray(3, 8);
  const scalars = args.subarray(8, 18);
  // Generations start at 0: a job posted before this thread got here is seen at once.
  let seen = 0;
  for (;;) {
    // Spin a little before sleeping: the steps of a training loop come back to back, and a
    // sleeping thread takes tens of microseconds (far more on a busy machine) to wake.
    for (let spin = 0; spin < 20000 && Atomics.load(ctl, 0) === seen; spin++);
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    // The caller may have claimed this part already (we woke late): then it is not ours. The
    // arguments are read only after the claim: the caller writes them only while no part is open.
    if (Atomics.compareExchange(ctl, 1, PART.POSTED, PART.TAKEN) !== PART.POSTED) continue;
    try {
      callKernel(fns[args[0]!] as KernelFn, args[2]!, ptrs, args[1]!, scalars);
    } catch (e) {
      helperEnded(job, `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      return;
    }
    Atomics.store(ctl, 1, PART.DONE);
    Atomics.notify(ctl, 1);
  }
}

/** How a {@link ThreadRunner} learns about its helpers' health (both optional). */
export interface ThreadRunnerHooks {
  /**
   * Whether helper `k`'s thread still runs, answered synchronously (the caller cannot wait for
   * events while it blocks). Consulted only off the fast path: when the caller reclaimed a part,
   * and every {@link CHECK_MS} while it waits on a taken one. Without it, a thread is assumed alive.
   */
  alive?: (k: number) => boolean;
  /**
   * Told once per helper that failed or ended, after the step it happened in has completed (the
   * caller ran that helper's part). The runner posts it no more parts.
   */
  onFailure?: (k: number, reason: string) => void;
}

/** The caller's side: splits each job between itself and the helpers. */
export class ThreadRunner implements KernelRunner {
  threshold: number;
  /** Parts posted to helpers, and how many of those the caller ran itself (a helper was late or had failed). */
  readonly stats = { posted: 0, reclaimed: 0 };
  private readonly ctl: Int32Array[];
  private readonly args: Float64Array[];
  private readonly ptrs: Float64Array[];
  /** 1 while helper k gets parts; 0 once it failed. */
  private readonly live: Uint8Array;
  /** Per helper, this call: 1 posted to it, 0 not (an empty part, or a failed helper). */
  private readonly posted: Uint8Array;
  /** Per helper, this call: the index of its part's first element. */
  private readonly starts: Float64Array;
  private readonly failures: number[] = [];

  constructor(
    private readonly arena: Arena,
    jobs: readonly SharedArrayBuffer[],
    threshold: number,
    private readonly hooks: ThreadRunnerHooks = {},
  ) {
    this.threshold = threshold;
    this.ctl = jobs.map((j) => new Int32Array(j, 0, 4));
    this.args = jobs.map((j) => new Float64Array(j, JOB.ARGS_AT, 18));
    this.ptrs = this.args.map((a) => a.subarray(3, 8));
    this.live = new Uint8Array(jobs.length).fill(1);
    this.posted = new Uint8Array(jobs.length);
    this.starts = new Float64Array(jobs.length);
  }

  run(
    slot: number,
    n: number,
    elemBytes: number,
    nptrs: number,
    ptrs: Float64Array,
    scalars: Float64Array,
  ): void {
    const helpers = this.ctl.length;
    const align = ALIGN_BYTES / elemBytes;
    const per = Math.ceil(n / (helpers + 1) / align) * align;
    let start = per;
    // Helpers take the parts after the first; the caller runs the first.
    for (let w = 0; w < helpers; w++) {
      const count = Math.max(0, Math.min(per, n - start));
      const a = this.args[w] as Float64Array;
      const ctl = this.ctl[w] as Int32Array;
      // A helper that ended between steps (its thread exiting) says so in its block.
      if (this.live[w] === 1 && Atomics.load(ctl, 2) !== 0) this.fail(w);
      a[0] = slot;
      a[1] = count;
      a[2] = nptrs;
      for (let k = 0; k < 5; k++)
        a[3 + k] = ptrs[k] === 0 ? 0 : (ptrs[k] as number) + start * elemBytes;
      for (let k = 0; k < KERNEL_SCALARS; k++) a[8 + k] = scalars[k] as number;
      this.starts[w] = start;
      const post = count > 0 && this.live[w] === 1;
      this.posted[w] = post ? 1 : 0;
      if (post) {
        // The store publishes the arguments: a helper claims only a POSTED part.
        Atomics.store(ctl, 1, PART.POSTED);
        Atomics.add(ctl, 0, 1);
        Atomics.notify(ctl, 0);
        this.stats.posted++;
      }
      start += count;
    }
    const fn = this.arena.fns[slot] as KernelFn;
    try {
      callKernel(fn, nptrs, ptrs, Math.min(per, n), scalars);
    } catch (e) {
      // No helper may still be writing when the error reaches the caller's caller.
      this.settle(null, nptrs, scalars, n);
      throw e;
    }
    this.settle(fn, nptrs, scalars, n);
  }

  /** Collects every helper's part, running on this thread those no helper finished. */
  private settle(fn: KernelFn | null, nptrs: number, scalars: Float64Array, n: number): void {
    let lost: Error | null = null;
    for (let w = 0; w < this.ctl.length; w++) {
      const ctl = this.ctl[w] as Int32Array;
      const count = (this.args[w] as Float64Array)[1] as number;
      if (this.posted[w] === 0) {
        // An empty part, or one of a failed helper: nothing to wait for.
        if (fn !== null && count > 0) this.runPart(fn, w, nptrs, count, scalars);
        continue;
      }
      let state = Atomics.compareExchange(ctl, 1, PART.POSTED, PART.RECLAIMED);
      if (state === PART.POSTED) this.stats.reclaimed++;
      for (let spin = 0; spin < SPIN && state === PART.TAKEN; spin++) state = Atomics.load(ctl, 1);
      while (state === PART.TAKEN) {
        if (Atomics.wait(ctl, 1, PART.TAKEN, CHECK_MS) === 'timed-out' && !this.alive(w)) {
          // Gone without a word (no JS ran as it ended) while running: its range may be
          // half-written, and rerunning a half-updated range would apply the step twice there.
          lost ??= this.lost(w, n);
          break;
        }
        state = Atomics.load(ctl, 1);
      }
      if (state === PART.DONE || state === PART.TAKEN) continue;
      // Reclaimed (still POSTED when we looked) or FAILED: no helper wrote it, this thread runs it.
      if (fn !== null) this.runPart(fn, w, nptrs, count, scalars);
      if (this.live[w] === 1 && (state === PART.FAILED || !this.alive(w))) this.fail(w);
    }
    if (this.failures.length > 0) this.report();
    if (lost) throw lost;
  }

  private runPart(fn: KernelFn, w: number, nptrs: number, count: number, s: Float64Array): void {
    callKernel(fn, nptrs, this.ptrs[w] as Float64Array, count, s);
  }

  private alive(w: number): boolean {
    const ctl = this.ctl[w] as Int32Array;
    return Atomics.load(ctl, 2) === 0 && (this.hooks.alive?.(w) ?? true);
  }

  private fail(w: number): void {
    this.live[w] = 0;
    this.failures.push(w);
  }

  private report(): void {
    for (const w of this.failures.splice(0)) this.hooks.onFailure?.(w, this.reasonOf(w));
  }

  /** Why helper `w` ended, from its job block (or the caller's own finding). */
  private reasonOf(w: number): string {
    const ctl = this.ctl[w] as Int32Array;
    if (Atomics.load(ctl, 2) === 0) return 'stopped (its thread is gone)';
    const units = Atomics.load(ctl, 3);
    const text = new Uint16Array(this.ctl[w]!.buffer, JOB.REASON_AT, units);
    return String.fromCharCode(...text);
  }

  private lost(w: number, n: number): Error {
    const from = this.starts[w] as number;
    const to = from + ((this.args[w] as Float64Array)[1] as number);
    this.fail(w);
    return new Error(
      `descent: helper thread ${w + 1} of ${this.ctl.length} stopped while running its part of a step (elements ${from} to ${to - 1} of ${n}) and said nothing as it ended; those elements may be half-updated, so the step is incomplete. That helper gets no more parts`,
    );
  }
}
