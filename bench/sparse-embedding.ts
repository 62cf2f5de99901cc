/**
 * Lazy (row-sparse) versus dense optimizer steps on an embedding table: 1M rows x 64 float32,
 * 1% of the rows touched per step (issue 3's benchmark row). Prints a table, writes JSON to
 * bench/results/sparse-embedding.json. Run: `npx tsx bench/sparse-embedding.ts [--rows N]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  Adagrad,
  Adam,
  SGD,
  SparseAdam,
  type Optimizer,
  type SparseGradient,
} from '../packages/optim/src/node.ts';

const args = process.argv.slice(2);
const rowsArg = args.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
const COLS = 64;
const TOUCHED = Math.max(1, Math.round(ROWS * 0.01));
const STEPS = 5;

/** Sorted, distinct random rows from a fixed LCG, so every run touches the same rows. */
function touchedRows(step: number): Int32Array {
  let s = (step + 1) * 2654435761;
  const picked = new Set<number>();
  while (picked.size < TOUCHED) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    picked.add(s % ROWS);
  }
  return Int32Array.from([...picked].sort((a, b) => a - b));
}

const sparse: SparseGradient[] = [];
for (let k = 0; k < STEPS; k++) {
  const values = new Float32Array(TOUCHED * COLS).map((_, i) => Math.sin(i + k));
  sparse.push({ indices: touchedRows(k), values, rowSize: COLS });
}

const zero = new Float32Array(ROWS * COLS);
const denseGrads = Array.from({ length: STEPS }, (_, k) => {
  const g = new Float32Array(ROWS * COLS);
  const sg = sparse[k]!;
  sg.indices.forEach((r, j) =>
    g.set(sg.values.subarray(j * COLS, (j + 1) * COLS), (r as number) * COLS),
  );
  return g;
});

/**
 * Median ms per step over 3·STEPS steps cycling through the STEPS gradients. A dense
 * zero-gradient step first allocates the state and touches every page, so that page faults of
 * fresh memory do not count against the lazy path (in training the table is warm), and two
 * untimed steps warm the code.
 */
function time(opt: Optimizer<never>, grad: (k: number) => Float32Array | SparseGradient): number {
  opt.step([zero]);
  for (let k = 0; k < 2; k++) opt.step([grad(k)]);
  const times: number[] = [];
  for (let k = 0; k < 3 * STEPS; k++) {
    const t0 = performance.now();
    opt.step([grad(k % STEPS)]);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}

const denseAt = (k: number) => denseGrads[k]!;

const rows: { optimizer: string; mode: string; msPerStep: number }[] = [];
const cases: [string, () => Optimizer<never>][] = [
  ['SparseAdam', () => new SparseAdam([new Float32Array(ROWS * COLS)]) as never],
  ['Adagrad', () => new Adagrad([new Float32Array(ROWS * COLS)]) as never],
  ['SGD', () => new SGD([new Float32Array(ROWS * COLS)]) as never],
];
for (const [name, make] of cases) {
  rows.push({
    optimizer: name,
    mode: 'lazy (sparse rows)',
    msPerStep: time(make(), (k) => sparse[k]!),
  });
  rows.push({ optimizer: name, mode: 'dense (zero rows)', msPerStep: time(make(), denseAt) });
}
rows.push({
  optimizer: 'Adam',
  mode: 'dense (zero rows)',
  msPerStep: time(new Adam([new Float32Array(ROWS * COLS)]) as never, denseAt),
});

console.log(
  `embedding ${ROWS} x ${COLS} float32, ${TOUCHED} rows (1%) per step; ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
);
console.log('| optimizer | mode | ms/step | dense/lazy |');
console.log('|---|---|---|---|');
for (const r of rows) {
  const lazy = rows.find((x) => x.optimizer === r.optimizer && x.mode.startsWith('lazy'));
  const ratio = lazy && r !== lazy ? (r.msPerStep / lazy.msPerStep).toFixed(0) + 'x' : '';
  console.log(`| ${r.optimizer} | ${r.mode} | ${r.msPerStep.toFixed(2)} | ${ratio} |`);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/sparse-embedding.json',
  JSON.stringify(
    {
      rows: ROWS,
      cols: COLS,
      touched: TOUCHED,
      node: process.version,
      cpu: cpus()[0]?.model,
      results: rows,
    },
    null,
    2,
  ),
);
