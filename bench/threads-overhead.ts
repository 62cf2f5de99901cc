/**
 * What splitting a step across helper threads costs or saves around the default threshold, with
 * the other cores left alone and with one of them kept busy (a busy-loop child process): float32
 * Adam in place in an arena, ms per step, split (`arena.runner` set, threshold 0) against the
 * baseline, the same steps on one thread (the same arena with its runner removed). Batches of the
 * two alternate, so that both see the same load; each figure is the median of the batches. Rows
 * with more helpers than free cores show what the cap on helpers avoids.
 *
 * Prints a table and writes bench/results/threads-overhead.json. Run:
 * `node --conditions=source --import tsx bench/threads-overhead.ts [--reps N]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Adam } from '../packages/optim/src/node.ts';
import type { Arena, KernelRunner } from '../packages/optim/src/kernels/arena.ts';
import { ThreadRunner } from '../packages/optim/src/kernels/thread-pool.ts';
import { DEFAULT_THREAD_THRESHOLD, stopThreads } from '../packages/optim/src/threads/node.ts';
import { startThreadedArena } from '../packages/optim/src/threads/threaded-arena.ts';

const argv = process.argv.slice(2);
const repsAt = argv.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(argv[repsAt + 1]) : 41;
if (!Number.isInteger(REPS) || REPS < 1)
  throw new RangeError(`--reps must be an integer >= 1, got ${argv[repsAt + 1]}`);
/** Each batch runs about this long. */
const BATCH_MS = 8;
const SIZES = [4096, 65536, DEFAULT_THREAD_THRESHOLD, 1 << 20];
const cores = availableParallelism();
// The default (cores - 1), and two more than that: oversubscribed, as the cap now refuses.
const HELPERS = [...new Set([Math.max(1, cores - 1), cores + 1])];

interface Row {
  load: 'idle' | 'busy';
  helpers: number;
  size: number;
  oneMs: number;
  splitMs: number;
  /** splitMs - oneMs. */
  overheadMs: number;
  /** Of the parts posted to helpers, the share the caller ran itself (the helper was late). */
  reclaimed: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/** ms per step of `steps` back-to-back steps. */
function batch(step: () => void, steps: number): number {
  const t = performance.now();
  for (let s = 0; s < steps; s++) step();
  return (performance.now() - t) / steps;
}

function measure(arena: Arena, runner: KernelRunner, n: number): [number, number, number | null] {
  const p = arena.float32(n, 0.5);
  const g = arena.float32(n);
  for (let i = 0; i < n; i++) g[i] = 0.5 + i * 1e-6;
  const opt = new Adam([p]);
  const grads = [g];
  const step = () => opt.step(grads);
  arena.runner = null;
  for (let s = 0; s < 20; s++) step();
  const steps = Math.max(2, Math.round(BATCH_MS / batch(step, 5)));
  arena.runner = runner;
  for (let s = 0; s < 20; s++) step();
  const stats = runner instanceof ThreadRunner ? { ...runner.stats } : null;
  const one: number[] = [];
  const split: number[] = [];
  for (let r = 0; r < REPS; r++) {
    arena.runner = null;
    one.push(batch(step, steps));
    arena.runner = runner;
    split.push(batch(step, steps));
  }
  const reclaimed =
    stats && runner instanceof ThreadRunner
      ? (runner.stats.reclaimed - stats.reclaimed) / (runner.stats.posted - stats.posted)
      : null;
  for (const s of Object.values(opt.paramState(0)?.slots ?? {})) arena.free(s);
  arena.free(p);
  arena.free(g);
  return [median(one), median(split), reclaimed];
}

async function busyCore(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
  // Let it get going (and the scheduler notice it) before measuring.
  await new Promise((r) => setTimeout(r, 300));
  return child;
}

const rows: Row[] = [];
const loadBefore = loadavg();
for (const load of ['idle', 'busy'] as const) {
  const child = load === 'busy' ? await busyCore() : null;
  try {
    for (const helpers of HELPERS) {
      // The cap is lifted on purpose for the oversubscribed rows.
      const arena = await startThreadedArena(
        { bytes: (1 << 20) * 4 * 4 + (4 << 20), helpers, threshold: 0 },
        { cores: helpers + 1 },
      );
      const runner = arena.runner as KernelRunner;
      for (const size of SIZES) {
        const [oneMs, splitMs, reclaimed] = measure(arena, runner, size);
        rows.push({ load, helpers, size, oneMs, splitMs, overheadMs: splitMs - oneMs, reclaimed });
        process.stderr.write(
          `${load} ${helpers} helper(s) ${size}: one ${oneMs.toFixed(4)} ms, split ${splitMs.toFixed(4)} ms\n`,
        );
      }
      await stopThreads(arena);
    }
  } finally {
    child?.kill();
  }
}
const loadAfter = loadavg();

const fmt = (x: number) => x.toFixed(3);
const sign = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3);
console.log(
  `\nfloat32 Adam in place, ms per step (median of ${REPS} alternating batches); baseline: one thread`,
);
console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, Node ${process.version}`);
console.log(
  `load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after\n`,
);
console.log(
  '| other core | helpers | size | one thread | split | split − one | split / one | parts run by caller |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.load} | ${r.helpers}${r.helpers > cores - 1 ? ' (over)' : ''} | ${r.size.toLocaleString('en')} | ${fmt(r.oneMs)} | ${fmt(r.splitMs)} | ${sign(r.overheadMs)} | ${(r.splitMs / r.oneMs).toFixed(2)} | ${r.reclaimed === null ? '–' : `${(100 * r.reclaimed).toFixed(0)}%`} |`,
  );
}

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/threads-overhead.json',
  JSON.stringify(
    {
      benchmark: 'threads-overhead',
      what: 'float32 Adam in place in an arena: ms per step, one thread (baseline) vs split across helper threads; median of alternating batches; busy = a busy-loop child process',
      machine: {
        cpu: cpus()[0]?.model ?? null,
        cores,
        node: process.version,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAfter,
      },
      defaultThreshold: DEFAULT_THREAD_THRESHOLD,
      reps: REPS,
      batchMs: BATCH_MS,
      rows,
    },
    null,
    2,
  ) + '\n',
);
