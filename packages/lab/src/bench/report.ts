import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow, SpeedReport } from './speed.ts';

const PATHS = ['fast', 'threaded', 'copy', 'plain', 'tfjs-wasm', 'tfjs-cpu'] as const;

/**
 * A Markdown table per size: one line per optimizer, ms/step and ratio to the limit per path;
 * GB/s and Mparam/s of the fast path (all figures are in the JSON).
 */
export function formatReport(r: SpeedReport): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.loadavg.map((x) => x.toFixed(1)).join(' ')}`,
  );
  for (const n of r.sizes) {
    const at = r.rows.filter((x) => x.size === n);
    const cell = (x: BenchRow | undefined) =>
      x ? `${x.ms.toFixed(2)} (${x.ratio.toFixed(2)})` : '-';
    out.push('');
    out.push(`### ${n} float32 parameters: ms/step, best of the timed steps (ratio to the limit)`);
    out.push('');
    out.push(`| optimizer | GB/s fast | Mparam/s fast | ${PATHS.join(' | ')} |`);
    out.push(`|---|---|---|${PATHS.map(() => '---').join('|')}|`);
    for (const name of [...new Set(at.map((x) => x.optimizer))]) {
      const rows = at.filter((x) => x.optimizer === name);
      const get = (p: string) => rows.find((x) => x.path === p);
      const fast = get('fast') ?? get('limit');
      out.push(
        `| ${name} | ${fast ? fast.gbPerS.toFixed(1) : '-'} | ${fast ? fast.mparamsPerS.toFixed(0) : '-'} | ${
          name.startsWith('limit')
            ? `${cell(get('limit'))} | ${cell(get('threaded'))} | - | - | - | -`
            : PATHS.map((p) => cell(get(p))).join(' | ')
        } |`,
      );
    }
    const copy = r.copyGbPerS[n];
    if (copy)
      out.push(
        `\n\`TypedArray.set\` copy of the same size: ${copy.toFixed(1)} GB/s (read + write).`,
      );
  }
  if (r.floors.length) {
    const d = r.divider;
    out.push('');
    out.push(
      `### The divider: one f32x4 square root ${d.sqrtNs.toFixed(3)} ns, one division ${d.divNs.toFixed(3)} ns (one thread)`,
    );
    out.push('');
    out.push(
      "Roots and divisions run on the core's divider unit: their count times these costs is a floor no one-thread step beats, however well it overlaps with memory.",
    );
    out.push('');
    out.push(
      '| params | optimizer | √ + ÷ per element | divider floor (ms) | limit (ms) | best possible ratio | measured ratio |',
    );
    out.push('|---|---|---|---|---|---|---|');
    for (const f of r.floors)
      out.push(
        `| ${f.size} | ${f.optimizer} | ${f.sqrt} + ${f.div} | ${f.floorMs.toFixed(2)} | ${f.limitMs.toFixed(2)} | ${f.bestRatio.toFixed(2)} | ${f.ratio.toFixed(2)} |`,
      );
  }
  if (r.matmul.length) {
    out.push('');
    out.push(
      '### Matrix product C = A·B, n×n: GFLOP/s (2n³ per product), wasm SIMD against the plain loop',
    );
    out.push('');
    out.push(
      '| n | type | plain loop | wasm, heap buffers (copied) | wasm, in place in an arena | speed-up (heap) |',
    );
    out.push('|---|---|---|---|---|---|');
    for (const x of r.matmul)
      out.push(
        `| ${x.size} | ${x.dtype} | ${x.plainGflops.toFixed(2)} | ${x.copyGflops.toFixed(2)} | ${x.inPlaceGflops?.toFixed(2) ?? '-'} | ${(x.plainMs / x.copyMs).toFixed(1)}x |`,
      );
  }
  if (r.muon.length) {
    out.push('');
    out.push(
      "### Muon's step, n×n float32 matrix: GFLOP/s of its Newton–Schulz products (nsSteps·3·2n³ per step) against a plain-loop product in the same run",
    );
    out.push('');
    out.push(
      '| n | Newton–Schulz steps | step (ms) | GFLOP/s, Muon step (wasm products) | GFLOP/s, plain-loop product | speed-up |',
    );
    out.push('|---|---|---|---|---|---|');
    for (const x of r.muon)
      out.push(
        `| ${x.size} | ${x.nsSteps} | ${x.stepMs.toFixed(1)} | ${x.stepGflops.toFixed(2)} | ${x.plainGflops.toFixed(2)} | ${(x.stepGflops / x.plainGflops).toFixed(1)}x |`,
      );
  }
  for (const h of r.heap) {
    const first = h.heapUsed[0] as number;
    const last = h.heapUsed[h.heapUsed.length - 1] as number;
    const max = Math.max(...h.heapUsed);
    out.push(
      `heap, Adam ${h.path}, ${h.size} params, ${h.steps} steps: ${(first / 1e6).toFixed(2)} MB at the start, ${(last / 1e6).toFixed(2)} MB at the end, ${(max / 1e6).toFixed(2)} MB at most`,
    );
  }
  if (r.threads.length) {
    out.push('');
    out.push('| Adam float32 params | one thread (ms) | split across threads (ms) |');
    out.push('|---|---|---|');
    for (const t of r.threads)
      out.push(`| ${t.size} | ${t.fastMs.toFixed(3)} | ${t.threadedMs.toFixed(3)} |`);
    out.push(
      r.threadThreshold === null
        ? 'threads won at no swept size'
        : `threads win from ${r.threadThreshold} parameters on`,
    );
  }
  for (const note of r.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

/** Writes the report as JSON into `dir` (created); returns the file's path. */
export function saveReport(r: SpeedReport, dir: string, name = 'speed.json'): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}
