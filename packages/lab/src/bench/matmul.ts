/**
 * The matrix-product rows of the benchmark: square `C = A·B` in float32 and float64, the wasm
 * SIMD kernel (`fastMatmul`: on heap buffers, copied into wasm memory and back, and in place in an
 * arena) against the plain loop (`linalg/matmul.ts` with the fast paths off), in GFLOP/s
 * (2·n³ floating-point operations per product); then Muon's step on an n×n float32 matrix, in
 * GFLOP/s of its Newton–Schulz products, against a plain-loop product of the same size timed in
 * the same run. Node-only.
 */
import { performance } from 'node:perf_hooks';
import { Muon, type FloatBuffer } from 'descent-optim';
import type { Arena } from 'descent-optim/internal/kernels/arena';
import { setFastPaths } from 'descent-optim/internal/kernels/fast-path';
import { fastMatmul } from 'descent-optim/internal/kernels/matmul';
import { matmul } from 'descent-optim/internal/linalg/matmul';

export interface MatmulRow {
  /** m = k = n. */
  size: number;
  dtype: 'float32' | 'float64';
  /** ms per product, the fastest of the timed ones: the plain loop. */
  plainMs: number;
  /** The wasm kernel on heap buffers (the copies in and out included). */
  copyMs: number;
  /** The wasm kernel on buffers in an arena (null without one). */
  inPlaceMs: number | null;
  plainGflops: number;
  copyGflops: number;
  inPlaceGflops: number | null;
}

/** The fastest of `reps` calls after `warm` untimed ones. */
function best(fn: () => void, reps: number, warm: number): number {
  for (let i = 0; i < warm; i++) fn();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

function fill(x: FloatBuffer, seed: number): FloatBuffer {
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37 + seed);
  return x;
}

/**
 * Times every size in both float types. The plain loop takes seconds at 1024 (its inner loop
 * walks B by columns): one timed call there, two at 512.
 */
export function benchMatmul(
  sizes: readonly number[],
  reps: number,
  arena: Arena | null,
  say: (line: string) => void,
): MatmulRow[] {
  const rows: MatmulRow[] = [];
  for (const f64 of [false, true]) {
    const T = f64 ? Float64Array : Float32Array;
    for (const n of sizes) {
      const len = n * n;
      const [a, b, c] = [fill(new T(len), 1), fill(new T(len), 2), new T(len)];
      const wasm = (x: FloatBuffer, y: FloatBuffer, z: FloatBuffer) => () => {
        if (!fastMatmul(x, y, z, n, n, n))
          throw new Error(`bench: the wasm matrix product did not run at ${n}`);
      };
      const wasmReps = Math.max(3, reps);
      const copyMs = best(wasm(a, b, c), wasmReps, 2);
      let inPlaceMs: number | null = null;
      if (arena) {
        const [x, y, z] = [arena.copyOf(a), arena.copyOf(b), arena.like(c)];
        inPlaceMs = best(wasm(x, y, z), wasmReps, 2);
        for (const v of [x, y, z]) arena.free(v);
      }
      setFastPaths(false);
      let plainMs: number;
      try {
        plainMs = best(
          () => matmul(a, b, c, n, n, n),
          n >= 1024 ? 1 : n >= 512 ? 2 : reps,
          n >= 512 ? 0 : 1,
        );
      } finally {
        setFastPaths(true);
      }
      const gflops = (ms: number) => (2 * n ** 3) / ms / 1e6;
      const row: MatmulRow = {
        size: n,
        dtype: f64 ? 'float64' : 'float32',
        plainMs,
        copyMs,
        inPlaceMs,
        plainGflops: gflops(plainMs),
        copyGflops: gflops(copyMs),
        inPlaceGflops: inPlaceMs === null ? null : gflops(inPlaceMs),
      };
      rows.push(row);
      say(
        `matmul ${row.dtype} ${n}: plain ${row.plainGflops.toFixed(2)} GFLOP/s, wasm copied ${row.copyGflops.toFixed(2)}, in place ${row.inPlaceGflops?.toFixed(2) ?? '-'} (${(plainMs / copyMs).toFixed(1)}x)`,
      );
    }
  }
  return rows;
}

export interface MuonRow {
  /** The parameter is an n×n float32 matrix. */
  size: number;
  /** Newton–Schulz iterations per step (Muon's default). */
  nsSteps: number;
  /** Floating-point operations of one step's matrix products: nsSteps·3 products of 2n³. */
  flops: number;
  /** ms per Muon step (its products on the wasm kernel, heap buffers), the fastest timed. */
  stepMs: number;
  /** The products' operations over the whole step's time (its O(n²) passes included). */
  stepGflops: number;
  /** ms of one plain-loop n×n float32 product (the fast paths off), timed in the same run. */
  plainMs: number;
  plainGflops: number;
}

/**
 * Muon's step on one n×n float32 matrix per size, at its defaults. A plain-loop Muon step would
 * take nsSteps·3 plain products (minutes at 1024): its rate is that of one plain product, timed
 * here (once at 512 and above, as in `benchMatmul`).
 */
export function benchMuon(
  sizes: readonly number[],
  reps: number,
  say: (line: string) => void,
): MuonRow[] {
  const rows: MuonRow[] = [];
  for (const n of sizes) {
    const len = n * n;
    const p = fill(new Float32Array(len), 3);
    const g = fill(new Float32Array(len), 4);
    const opt = new Muon([{ params: [p], shapes: [[n, n]] }]);
    const nsSteps = opt.paramGroups[0]!.nsSteps;
    const flops = nsSteps * 3 * 2 * n ** 3;
    const grads = [g];
    const stepMs = best(() => opt.step(grads), Math.max(3, reps), 1);
    const [a, b, c] = [
      fill(new Float32Array(len), 1),
      fill(new Float32Array(len), 2),
      new Float32Array(len),
    ];
    setFastPaths(false);
    let plainMs: number;
    try {
      plainMs = best(() => matmul(a, b, c, n, n, n), n >= 512 ? 1 : reps, n >= 512 ? 0 : 1);
    } finally {
      setFastPaths(true);
    }
    const row: MuonRow = {
      size: n,
      nsSteps,
      flops,
      stepMs,
      stepGflops: flops / stepMs / 1e6,
      plainMs,
      plainGflops: (2 * n ** 3) / plainMs / 1e6,
    };
    rows.push(row);
    say(
      `muon float32 ${n}×${n}: step ${stepMs.toFixed(1)} ms, ${row.stepGflops.toFixed(2)} GFLOP/s of its products; plain-loop product ${row.plainGflops.toFixed(2)} GFLOP/s (${(row.stepGflops / row.plainGflops).toFixed(1)}x)`,
    );
  }
  return rows;
}
