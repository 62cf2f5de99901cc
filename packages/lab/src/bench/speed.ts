/**
 * The optimizer-step benchmark (`npm run bench`, `descent bench`): for each size, every descent
 * optimizer on its fast path (wasm SIMD in place in an arena, one thread), threaded (the same,
 * split across worker threads), copy path (heap buffers), plain loop (fast paths off), and
 * TensorFlow.js's `tf.train` optimizers on its cpu and wasm backends, side by side with the
 * machine's own limit: an in-place streaming kernel over the same bytes in the same process; then
 * the matrix products and Muon's step (`matmul.ts`). Node-only.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Adam,
  findOptimizer,
  OPTIMIZERS,
  type CommonOptions,
  type FloatBuffer,
  type Optimizer,
  type OptimizerDescriptor,
  type TfTrain,
} from 'descent-optim';
import type { Arena } from 'descent-optim/internal/kernels/arena';
import { setFastPaths } from 'descent-optim/internal/kernels/fast-path';
import { DIVIDER_OPS, MATMUL_WORKSPACE_BYTES } from 'descent-optim/internal/kernels/generated/wasm';
import { K, slotOf, type KernelName } from 'descent-optim/internal/kernels/ids';
import { KERNEL_SCALARS, callKernel } from 'descent-optim/internal/kernels/thread-pool';
import { createThreadedArena, stopThreads } from 'descent-optim/threads';
import { benchMatmul, benchMuon, type MatmulRow, type MuonRow } from './matmul.ts';

type Opt = Optimizer<CommonOptions>;

/** An optimizer of the benchmark: how to build it, its tf.train twin, the buffers it writes. */
export interface BenchOptimizer {
  name: string;
  make(params: FloatBuffer[]): Opt;
  /** Buffers read and written per parameter besides the gradient (parameter + slots). */
  written: number;
  /** The wasm kernel of its fast path (for its square roots and divisions per element). */
  kernel: KernelName;
  /** The tf.train optimizer with the same math, where one exists. */
  tf?: (t: TfTrain) => unknown;
}

/** A row of the benchmark from an optimizer's descriptor, at its default learning rate. */
function fromDescriptor(
  d: OptimizerDescriptor & { bench: { written: number; kernel: string } },
): BenchOptimizer {
  const make = (p: FloatBuffer[]) => d.create(p);
  const twin = d.tfjs;
  const lr = d.defaults.lr;
  return {
    name: d.name,
    make,
    written: d.bench.written,
    kernel: d.bench.kernel as KernelName,
    ...(twin ? { tf: (t: TfTrain) => twin(t, lr) } : {}),
  };
}

/** Every optimizer with a benchmark row, plus centered RMSprop with momentum (all its slots). */
export const BENCH_OPTIMIZERS: readonly BenchOptimizer[] = [
  ...OPTIMIZERS.filter(
    (d): d is OptimizerDescriptor & { bench: { written: number; kernel: string } } =>
      d.bench !== undefined,
  ).map(fromDescriptor),
  {
    name: 'rmsprop-centered-mom',
    make: (p) => findOptimizer('rmsprop').create(p, { centered: true, momentum: 0.9 }),
    written: 4,
    kernel: 'rmsprop',
    tf: (t) => t.rmsprop(1e-2, 0.99, 0.9, 1e-8, true),
  },
];

export type BenchPath = 'limit' | 'fast' | 'threaded' | 'copy' | 'plain' | 'tfjs-cpu' | 'tfjs-wasm';

export interface BenchRow {
  size: number;
  optimizer: string;
  path: BenchPath;
  /** Milliseconds per step: the fastest of the timed steps. */
  ms: number;
  /** The median of the timed steps. */
  medianMs: number;
  mparamsPerS: number;
  /** The optimizer's minimal traffic (4 bytes × (1 + 2·written) per parameter) per second. */
  gbPerS: number;
  /**
   * The limit's time over this row's time (1 = at the limit). fast and threaded rows: the limit
   * over the very same buffers, timed alternately with the step, on one thread or split the same
   * way; other rows: the per-size limit for the same number of buffers.
   */
  ratio: number;
  /** The limit this row's ratio is taken against, in ms. */
  limitMs: number;
}

export interface HeapRow {
  path: BenchPath;
  size: number;
  steps: number;
  /** heapUsed after a full GC, in bytes: before the steps, then every `steps / 10` steps. */
  heapUsed: number[];
}

/** One size of the thread sweep: Adam float32 in place, one thread vs split across threads. */
export interface ThreadRow {
  size: number;
  fastMs: number;
  threadedMs: number;
}

/**
 * The divider's floor for one optimizer and size: its square roots and divisions per element
 * times the measured cost of each, the time of that unit alone, against the limit of its row.
 */
export interface FloorRow {
  size: number;
  optimizer: string;
  sqrt: number;
  div: number;
  /** n/4 × (sqrt × sqrtNs + div × divNs), in ms: no step can be faster on one thread. */
  floorMs: number;
  /** The limit of the optimizer's one-thread fast row. */
  limitMs: number;
  /** limit / max(limit, floor): the best ratio to the limit one thread could reach. */
  bestRatio: number;
  /** The ratio measured for the fast row. */
  ratio: number;
}

export interface SpeedReport {
  machine: { cpu: string; cores: number; node: string; loadavg: number[] };
  sizes: number[];
  rows: BenchRow[];
  heap: HeapRow[];
  threads: ThreadRow[];
  /** The smallest swept size from which splitting across threads wins at every larger size. */
  threadThreshold: number | null;
  /** One f32x4 square root and division, in ns (throughput, one thread, data in cache). */
  divider: { sqrtNs: number; divNs: number };
  floors: FloorRow[];
  /** `TypedArray.prototype.set` copy bandwidth per size (read + write bytes per second). */
  copyGbPerS: Record<string, number>;
  /** The square matrix products, wasm SIMD against the plain loop (empty when none asked). */
  matmul: MatmulRow[];
  /** Muon's step per matrix size, GFLOP/s of its products (empty when none asked). */
  muon: MuonRow[];
  notes: string[];
}

export interface SpeedOptions {
  sizes: number[];
  /** Timed steps per row (after warm-up); the median is reported. */
  reps: number;
  /** Largest size of the thread sweep (from 2^12 up by factors of 4). */
  sweepMax: number;
  /** Steps of the heap measurement. */
  heapSteps: number;
  tfjs: boolean;
  /** Skip the plain loop above this size (it takes a quarter second per step at 16M). */
  plainMax: number;
  /** Sizes n of the n×n matrix products (none when absent). */
  matmulSizes?: readonly number[];
  /** Sizes n of the n×n float32 matrices of Muon's step (none when absent). */
  muonSizes?: readonly number[];
  only?: readonly string[];
  log: (line: string) => void;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/**
 * Warm-up, then `reps` timed calls; returns the fastest (the figure least disturbed by other
 * processes on a shared machine) and records the median in `lastMedian`. Warm-up also lets V8
 * tier the wasm kernels up from its baseline compiler.
 */
function time(fn: () => void, reps: number, warm: number): number {
  for (let i = 0; i < warm; i++) fn();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  lastMedian = median(ts);
  return Math.min(...ts);
}
let lastMedian = NaN;

/**
 * Times `a` and `b` alternately, `reps` rounds, and returns the fastest of each: on a machine
 * shared with other jobs, both then get the same chances of a quiet moment, so their ratio is
 * steadier than that of two separate runs.
 */
function timePair(a: () => void, b: () => void, reps: number, warm: number): [number, number] {
  for (let i = 0; i < warm; i++) {
    a();
    b();
  }
  let ta = Infinity;
  let tb = Infinity;
  const as: number[] = [];
  for (let r = 0; r < Math.max(reps, 5); r++) {
    let t = performance.now();
    a();
    const da = performance.now() - t;
    as.push(da);
    ta = Math.min(ta, da);
    t = performance.now();
    b();
    tb = Math.min(tb, performance.now() - t);
  }
  lastMedian = median(as);
  return [ta, tb];
}

/**
 * Steps a new optimizer past its start-up: RAdam's first steps (ρ_t ≤ 5, t ≤ 5 at β₂ = 0.999)
 * skip the adaptive term and its root and division, and the fastest timed step must not be one
 * of them.
 */
function settle(o: Opt, grads: FloatBuffer[]): void {
  for (let t = 0; t < 6; t++) o.step(grads);
}

function gradient(n: number, into: FloatBuffer): void {
  for (let i = 0; i < n; i++) into[i] = Math.sin(i * 0.001) * 0.01;
}

/** Runs the whole benchmark; returns the report (the caller prints and saves it). */
export async function runSpeedBench(opt: SpeedOptions): Promise<SpeedReport> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const copyGbPerS: Record<string, number> = {};
  const list = BENCH_OPTIMIZERS.filter((b) => !opt.only || opt.only.includes(b.name));
  const say = opt.log;
  const maxN = Math.max(...opt.sizes, opt.sweepMax);
  const helpers = Math.max(1, availableParallelism() - 1);
  // Room for a parameter, a gradient and up to 3 slots, plus the copy path's scratch; or for
  // three float64 matrices and the matrix product's workspace.
  const maxMat = Math.max(0, ...(opt.matmulSizes ?? []));
  const arena = await createThreadedArena({
    bytes: Math.max(maxN * 4 * 6, 3 * 8 * maxMat ** 2 + MATMUL_WORKSPACE_BYTES) + (4 << 20),
    helpers,
    threshold: 0,
  });
  const runner = arena.runner;
  try {
    const divider = probeDivider(arena, say);
    for (const n of opt.sizes) {
      const warm = n >= 1 << 22 ? 3 : 10;
      const reps = opt.reps;
      const row = (
        optimizer: string,
        path: BenchPath,
        ms: number,
        written: number,
        limitMs: number,
      ) => {
        const bytes = 4 * (1 + 2 * written) * n;
        const r: BenchRow = {
          size: n,
          optimizer,
          path,
          ms,
          medianMs: lastMedian,
          mparamsPerS: n / ms / 1e3,
          gbPerS: bytes / ms / 1e6,
          ratio: limitMs / ms,
          limitMs,
        };
        rows.push(r);
        say(
          `${String(n).padStart(9)} ${optimizer.padEnd(21)} ${path.padEnd(9)} ${ms.toFixed(2).padStart(9)} ms ${r.mparamsPerS.toFixed(0).padStart(6)} Mparam/s ${r.gbPerS.toFixed(1).padStart(6)} GB/s  ${r.ratio.toFixed(2)}`,
        );
      };

      const p = arena.float32(n);
      const g = arena.float32(n);
      gradient(n, g);
      const slots = [arena.float32(n), arena.float32(n), arena.float32(n), arena.float32(n)];
      const copySrc = new Float32Array(n).fill(1);
      const copyDst = new Float32Array(n);
      const copyMs = time(() => copyDst.set(copySrc), reps, warm);
      copyGbPerS[n] = (8 * n) / copyMs / 1e6;

      // The limit per number of written buffers, one thread and all threads.
      const limit1: number[] = [];
      const limitT: number[] = [];
      const ptrs = new Float64Array([
        g.byteOffset,
        p.byteOffset,
        ...slots.map((s) => s.byteOffset),
      ]);
      const noScalars = new Float64Array(KERNEL_SCALARS);
      for (let k = 1; k <= 4; k++) {
        const slot = slotOf(K[`stream${k}` as 'stream1'], false, 0);
        const fn = arena.fns[slot]!;
        limit1[k] = time(() => callKernel(fn, k + 1, ptrs, n, noScalars), reps, warm);
        row(`limit (${k} written)`, 'limit', limit1[k]!, k, limit1[k]!);
        if (runner) {
          limitT[k] = time(() => runner.run(slot, n, 4, k + 1, ptrs, noScalars), reps, warm);
          row(`limit (${k} written)`, 'threaded', limitT[k]!, k, limitT[k]!);
        }
      }
      arena.free(p);
      arena.free(g);
      for (const s of slots) arena.free(s);

      for (const b of list) {
        // In place in the arena: one thread, then split across threads.
        {
          const p = arena.float32(n, 0.5);
          const g = arena.float32(n);
          gradient(n, g);
          const o = b.make([p]);
          const grads = [g];
          arena.runner = null;
          settle(o, grads);
          // The limit over the same bytes: x += 0 in place over this parameter and its slots,
          // reading a gradient-sized buffer, timed alternately with the step (see timePair).
          const slots = Object.values(o.paramState(0)?.slots ?? {});
          const zero = arena.float32(n);
          const ptrs = new Float64Array([
            zero.byteOffset,
            p.byteOffset,
            ...slots.map((x) => x.byteOffset),
          ]);
          const k = slots.length + 1;
          const stream = slotOf(K[`stream${k}` as 'stream1'], false, 0);
          const fn = arena.fns[stream]!;
          const noScalars = new Float64Array(KERNEL_SCALARS);
          const [fast, lim] = timePair(
            () => o.step(grads),
            () => callKernel(fn, k + 1, ptrs, n, noScalars),
            reps,
            warm,
          );
          row(b.name, 'fast', fast, b.written, lim);
          if (runner) {
            arena.runner = runner;
            const [split, limT] = timePair(
              () => o.step(grads),
              () => runner.run(stream, n, 4, k + 1, ptrs, noScalars),
              reps,
              warm,
            );
            row(b.name, 'threaded', split, b.written, limT);
          }
          arena.free(zero);
          for (const s of Object.values(o.paramState(0)?.slots ?? {})) arena.free(s);
          arena.free(p);
          arena.free(g);
        }
        // Heap buffers: the copy path, then the plain loop.
        {
          const p = new Float32Array(n).fill(0.5);
          const g = new Float32Array(n);
          gradient(n, g);
          const grads = [g];
          const o = b.make([p]);
          settle(o, grads);
          row(
            b.name,
            'copy',
            time(() => o.step(grads), reps, warm),
            b.written,
            limit1[b.written]!,
          );
          if (n <= opt.plainMax) {
            setFastPaths(false);
            try {
              const w = n >= 1 << 22 ? 1 : warm;
              row(
                b.name,
                'plain',
                time(() => o.step(grads), reps, w),
                b.written,
                limit1[b.written]!,
              );
            } finally {
              setFastPaths(true);
            }
          }
        }
      }
      if (opt.tfjs) await benchTfjs(n, list, reps, limit1, row, notes, say);
    }
    const matmul = benchMatmul(opt.matmulSizes ?? [], opt.reps, arena, say);
    const muon = benchMuon(opt.muonSizes ?? [], opt.reps, say);
    const threads = runner ? sweepThreads(arena, runner, opt.sweepMax, opt.reps, say) : [];
    let threadThreshold: number | null = null;
    for (let i = threads.length - 1; i >= 0 && threads[i]!.threadedMs < threads[i]!.fastMs; i--) {
      threadThreshold = threads[i]!.size;
    }
    const heap = await benchHeap(arena, runner, opt.heapSteps, say);
    const floors = dividerFloors(rows, list, divider);
    return {
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        node: process.version,
        loadavg: loadavg(),
      },
      sizes: opt.sizes,
      rows,
      heap,
      threads,
      threadThreshold,
      divider,
      floors,
      copyGbPerS,
      matmul,
      muon,
      notes,
    };
  } finally {
    await stopThreads(arena);
  }
}

/**
 * The cost of one f32x4 square root and one f32x4 division: each probe kernel over 4096 floats
 * in cache, 2000 calls per timing, the fastest of 9. Throughput, not latency: the lanes are
 * independent, as in every optimizer kernel.
 */
function probeDivider(arena: Arena, say: (s: string) => void): FloorReport {
  const n = 4096;
  const calls = 2000;
  const p = arena.float32(n);
  const g = arena.float32(n);
  for (let i = 0; i < n; i++) g[i] = 0.5 + i * 1e-4;
  const ptrs = new Float64Array([p.byteOffset, g.byteOffset, 0, 0, 0]);
  const scalars = new Float64Array(KERNEL_SCALARS).fill(1);
  const ns = (kernel: 'probe_sqrt' | 'probe_div'): number => {
    const fn = arena.fns[slotOf(K[kernel], false, 0)]!;
    const ms = time(
      () => {
        for (let c = 0; c < calls; c++) callKernel(fn, 2, ptrs, n, scalars);
      },
      9,
      3,
    );
    return (ms * 1e6) / (calls * (n / 4));
  };
  const out = { sqrtNs: ns('probe_sqrt'), divNs: ns('probe_div') };
  arena.free(p);
  arena.free(g);
  say(
    `divider: one f32x4 square root ${out.sqrtNs.toFixed(3)} ns, one f32x4 division ${out.divNs.toFixed(3)} ns`,
  );
  return out;
}
type FloorReport = SpeedReport['divider'];

/** The divider's floor of every one-thread fast row whose kernel takes roots or divisions. */
function dividerFloors(
  rows: readonly BenchRow[],
  list: readonly BenchOptimizer[],
  divider: FloorReport,
): FloorRow[] {
  const out: FloorRow[] = [];
  for (const r of rows) {
    const b = list.find((x) => x.name === r.optimizer);
    if (r.path !== 'fast' || !b) continue;
    const { sqrt, div } = DIVIDER_OPS[b.kernel]!;
    if (sqrt + div === 0) continue;
    const floorMs = ((r.size / 4) * (sqrt * divider.sqrtNs + div * divider.divNs)) / 1e6;
    const bestRatio = r.limitMs / Math.max(r.limitMs, floorMs);
    out.push({
      size: r.size,
      optimizer: r.optimizer,
      sqrt,
      div,
      floorMs,
      limitMs: r.limitMs,
      bestRatio,
      ratio: r.ratio,
    });
  }
  return out;
}

/** Adam float32 in place, one thread vs split, from 4096 parameters up by factors of 4. */
function sweepThreads(
  arena: Arena,
  runner: NonNullable<Arena['runner']>,
  max: number,
  reps: number,
  say: (s: string) => void,
): ThreadRow[] {
  const out: ThreadRow[] = [];
  for (let n = 4096; n <= max; n *= 4) {
    const p = arena.float32(n, 0.5);
    const g = arena.float32(n);
    gradient(n, g);
    const o = new Adam([p]);
    const grads = [g];
    const warm = n >= 1 << 22 ? 3 : 20;
    const r = Math.max(reps, n <= 1 << 18 ? 51 : reps);
    arena.runner = null;
    const fastMs = time(() => o.step(grads), r, warm);
    arena.runner = runner;
    const threadedMs = time(() => o.step(grads), r, warm);
    out.push({ size: n, fastMs, threadedMs });
    say(
      `threads, Adam ${n}: one thread ${fastMs.toFixed(3)} ms, split ${threadedMs.toFixed(3)} ms`,
    );
    for (const s of Object.values(o.paramState(0)?.slots ?? {})) arena.free(s);
    arena.free(p);
    arena.free(g);
  }
  return out;
}

type RowFn = (
  optimizer: string,
  path: BenchPath,
  ms: number,
  written: number,
  limitMs: number,
) => void;

/** tf.train's optimizers on one variable, `applyGradients`, on the cpu and wasm backends. */
async function benchTfjs(
  n: number,
  list: readonly BenchOptimizer[],
  reps: number,
  limit1: number[],
  row: RowFn,
  notes: string[],
  say: (s: string) => void,
): Promise<void> {
  let tf: typeof import('@tensorflow/tfjs-core');
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    const why =
      'tfjs rows skipped: @tensorflow/tfjs-core and its cpu/wasm backends are not installed';
    if (!notes.includes(why)) notes.push(why);
    say(why);
    return;
  }
  for (const backend of ['cpu', 'wasm'] as const) {
    // The wasm backend has top priority once loaded: choose explicitly before each run.
    await tf.setBackend(backend);
    await tf.ready();
    for (const b of list) {
      if (!b.tf) continue;
      const v = tf.variable(tf.fill([n], 0.5));
      const g = tf.fill([n], 0.01);
      const optimizer = b.tf(tf.train as unknown as TfTrain) as {
        applyGradients(x: Record<string, unknown>): void;
        dispose(): void;
      };
      const grads = { [v.name]: g };
      // The cpu backend takes seconds per step at 16M: one warm-up and few repetitions there.
      const slow = backend === 'cpu' && n >= 1 << 22;
      const ms = time(
        () => optimizer.applyGradients(grads),
        slow ? Math.min(reps, 2) : reps,
        slow ? 1 : 5,
      );
      row(b.name, `tfjs-${backend}`, ms, b.written, limit1[b.written]!);
      optimizer.dispose();
      v.dispose();
      g.dispose();
    }
  }
}

/** heapUsed after a full GC, every tenth of `steps` Adam steps, per path. */
async function benchHeap(
  arena: Arena,
  runner: Arena['runner'],
  steps: number,
  say: (s: string) => void,
): Promise<HeapRow[]> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const out: HeapRow[] = [];
  const n = 1 << 18;
  for (const path of ['fast', 'threaded', 'copy'] as const) {
    const inArena = path !== 'copy';
    const p = inArena ? arena.float32(n, 0.5) : new Float32Array(n).fill(0.5);
    const g = inArena ? arena.float32(n) : new Float32Array(n);
    gradient(n, g);
    arena.runner = path === 'threaded' ? runner : null;
    const opt = new Adam([p]);
    const grads = [g];
    opt.step(grads);
    const heapUsed: number[] = [];
    const every = Math.max(1, Math.floor(steps / 10));
    for (let s = 0; s <= steps; s++) {
      if (s % every === 0) {
        gc();
        heapUsed.push(process.memoryUsage().heapUsed);
      }
      opt.step(grads);
    }
    arena.runner = runner;
    out.push({ path, size: n, steps, heapUsed });
    const first = heapUsed[0] as number;
    const last = heapUsed[heapUsed.length - 1] as number;
    say(
      `heap, Adam ${path} ${n} params, ${steps} steps: ${(first / 1e6).toFixed(2)} MB -> ${(last / 1e6).toFixed(2)} MB (${((last - first) / 1e3).toFixed(1)} kB)`,
    );
    if (inArena) {
      for (const s of Object.values(opt.paramState(0)?.slots ?? {})) arena.free(s);
      arena.free(p);
      arena.free(g);
    }
  }
  return out;
}
