/**
 * How tensors laid out back to back in a file become reads and writes: a large tensor moves
 * straight between the file and its own memory, `chunk` bytes per call (a single call cannot
 * move 2 GiB or more, and smaller calls keep memory flat); runs of small tensors share a staging
 * buffer so that a model of many tiny tensors does not cost a system call each.
 */

/** One read or write of `bytes` at file position `at`; `parts` when `bytes` is staging. */
export interface Op {
  at: number;
  bytes: Uint8Array;
  parts: Uint8Array[] | null;
}

/** Tensors below this size go through staging. */
const STAGE = 2 ** 20;

/**
 * The operations for `views` placed from file position `start`, in file order. Two staging
 * buffers are used in turn, so one operation can be in flight while the one before it is
 * finished; the generator is lazy, so a staging buffer is reused only after its operation was.
 */
export function* plan(views: Uint8Array[], start: number, chunk: number): Generator<Op> {
  const stage = Math.min(chunk, STAGE);
  const staging: Uint8Array[] = [];
  let turn = 0;
  let run: Uint8Array[] = [];
  let runAt = 0;
  let runBytes = 0;
  function* flush(): Generator<Op> {
    if (run.length === 0) return;
    const buffer = (staging[turn] ??= new Uint8Array(stage));
    yield { at: runAt, bytes: buffer.subarray(0, runBytes), parts: run };
    turn ^= 1;
    run = [];
    runBytes = 0;
  }
  let at = start;
  for (const v of views) {
    if (v.length >= stage) {
      yield* flush();
      for (let o = 0; o < v.length; o += chunk)
        yield { at: at + o, bytes: v.subarray(o, Math.min(v.length, o + chunk)), parts: null };
    } else if (v.length > 0) {
      if (runBytes + v.length > stage) yield* flush();
      if (run.length === 0) runAt = at;
      run.push(v);
      runBytes += v.length;
    }
    at += v.length;
  }
  yield* flush();
}

/** Copies an operation's parts into its staging bytes (before a write). */
export function gather(op: Op): void {
  let at = 0;
  for (const p of op.parts ?? []) {
    op.bytes.set(p, at);
    at += p.length;
  }
}

/** Copies an operation's staging bytes out to its parts (after a read). */
export function scatter(op: Op): void {
  let at = 0;
  for (const p of op.parts ?? []) {
    p.set(op.bytes.subarray(at, at + p.length));
    at += p.length;
  }
}
