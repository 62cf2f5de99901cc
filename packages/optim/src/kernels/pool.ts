import type { Arena, KernelFn, KernelRunner } from './arena.ts';

/**
 * Splitting a step across threads that share an arena's memory, browser-safe: the threads only
 * share `SharedArrayBuffer`s and wake each other with `Atomics`, so the same code serves Node's
 * worker_threads and a browser's Web Workers (the caller, which blocks in `Atomics.wait`, must
 * then itself be a worker: a browser's main thread may not block).
 *
 * A job block per helper: Int32 [0] generation posted, [1] generation done; Float64 from byte 8:
 * slot, n, nptrs, ptrs[5], scalars[9].
 */
export const JOB_BYTES = 8 + 8 * 17;

/** Aligns split points so that no two threads write the same 64-byte cache line. */
const ALIGN_BYTES = 64;

export function callKernel(
  fn: KernelFn,
  nptrs: number,
  p: Float64Array,
  n: number,
  s: Float64Array,
): void {
  // p[0..4] are byte offsets, s[0..8] the scalars; the length follows the buffers.
  switch (nptrs) {
    case 2:
      fn(p[0]!, p[1]!, n, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!, s[8]!);
      break;
    case 3:
      fn(p[0]!, p[1]!, p[2]!, n, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!, s[8]!);
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
      );
  }
}

/** The helper's side: waits for jobs on `job` and runs them with the arena's kernels. */
export function serveJobs(fns: readonly KernelFn[], job: SharedArrayBuffer): never {
  const ctl = new Int32Array(job, 0, 2);
  const args = new Float64Array(job, 8, 17);
  const ptrs = args.subarray(3, 8);
  const scalars = args.subarray(8, 17);
  // Generations start at 0: a job posted before this thread got here is seen at once.
  let seen = 0;
  for (;;) {
    // Spin a little before sleeping: the steps of a training loop come back to back, and a
    // sleeping thread takes tens of microseconds (far more on a busy machine) to wake.
    for (let spin = 0; spin < 20000 && Atomics.load(ctl, 0) === seen; spin++);
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    let done = seen;
    try {
      callKernel(fns[args[0]!] as KernelFn, args[2]!, ptrs, args[1]!, scalars);
    } catch {
      // A failed part is reported as the negated generation: the caller throws, never hangs.
      done = -seen;
    }
    Atomics.store(ctl, 1, done);
    Atomics.notify(ctl, 1);
  }
}

/** The caller's side: splits each job between itself and the helpers. */
export class ThreadRunner implements KernelRunner {
  threshold: number;
  private readonly ctl: Int32Array[];
  private readonly args: Float64Array[];

  constructor(
    private readonly arena: Arena,
    jobs: readonly SharedArrayBuffer[],
    threshold: number,
  ) {
    this.threshold = threshold;
    this.ctl = jobs.map((j) => new Int32Array(j, 0, 2));
    this.args = jobs.map((j) => new Float64Array(j, 8, 17));
  }

  run(
    slot: number,
    n: number,
    elemBytes: number,
    nptrs: number,
    ptrs: Float64Array,
    scalars: Float64Array,
  ): void {
    const parts = this.ctl.length + 1;
    const align = ALIGN_BYTES / elemBytes;
    const per = Math.ceil(n / parts / align) * align;
    let start = per;
    // Helpers take the parts after the first; the caller runs the first.
    for (let w = 0; w < this.ctl.length; w++) {
      const count = Math.max(0, Math.min(per, n - start));
      const a = this.args[w] as Float64Array;
      a[0] = slot;
      a[1] = count;
      a[2] = nptrs;
      for (let k = 0; k < 5; k++)
        a[3 + k] = ptrs[k] === 0 ? 0 : (ptrs[k] as number) + start * elemBytes;
      for (let k = 0; k < 9; k++) a[8 + k] = scalars[k] as number;
      const ctl = this.ctl[w] as Int32Array;
      Atomics.add(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      start += count;
    }
    callKernel(this.arena.fns[slot] as KernelFn, nptrs, ptrs, Math.min(per, n), scalars);
    for (const ctl of this.ctl) {
      const want = Atomics.load(ctl, 0);
      // Spin briefly (the helper usually finishes about when we do), then sleep.
      for (let spin = 0; spin < 2000 && Atomics.load(ctl, 1) !== want; spin++);
      // Wait on the value just read: had we re-read it, a helper finishing in between would
      // leave us waiting for a change that never comes.
      for (let done = Atomics.load(ctl, 1); done !== want; done = Atomics.load(ctl, 1)) {
        if (done === -want) throw new Error('descent: a helper thread failed its part of a step');
        Atomics.wait(ctl, 1, done);
      }
    }
  }
}
