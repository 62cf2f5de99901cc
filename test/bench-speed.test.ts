/** The benchmark's quick mode runs end to end and reports every path it promises (no timing asserted). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatReport, saveReport } from '../packages/lab/src/bench/report.ts';
import { BENCH_OPTIMIZERS, runSpeedBench } from '../packages/lab/src/bench/speed.ts';

test('descent bench --quick: every optimizer on every path, the limits, tf.train rows, heap, JSON', async () => {
  const report = await runSpeedBench({
    sizes: [2048],
    reps: 2,
    heapSteps: 20,
    sweepMax: 16384,
    tfjs: true,
    plainMax: 1 << 24,
    log: () => {},
  });
  for (const b of BENCH_OPTIMIZERS) {
    for (const path of ['fast', 'threaded', 'copy', 'plain'] as const) {
      const row = report.rows.find((r) => r.optimizer === b.name && r.path === path);
      assert.ok(row, `${b.name} ${path}`);
      assert.ok(
        row.ms > 0 && Number.isFinite(row.ratio) && row.gbPerS > 0,
        `${b.name} ${path} figures`,
      );
    }
    for (const path of ['tfjs-cpu', 'tfjs-wasm'] as const) {
      assert.equal(
        report.rows.some((r) => r.optimizer === b.name && r.path === path),
        b.tf !== undefined,
        `${b.name} ${path}`,
      );
    }
  }
  for (let k = 1; k <= 4; k++)
    assert.ok(
      report.rows.some((r) => r.path === 'limit' && r.optimizer === `limit (${k} written)`),
    );
  assert.deepEqual(
    report.heap.map((h) => h.path),
    ['fast', 'threaded', 'copy'],
  );
  assert.ok(report.heap.every((h) => h.heapUsed.length === 11));

  // The divider's floors: the update rules' own counts (Adam m̂/(√v̂+ε): one root, one division;
  // Adamax m/u: one division; SGD: none), the probes' costs, a best ratio in (0, 1].
  assert.ok(report.divider.sqrtNs > 0 && report.divider.divNs > 0);
  const floor = (name: string) => report.floors.find((f) => f.optimizer === name);
  assert.deepEqual([floor('adam')?.sqrt, floor('adam')?.div], [1, 1]);
  assert.deepEqual([floor('adamax')?.sqrt, floor('adamax')?.div], [0, 1]);
  assert.equal(floor('sgd'), undefined);
  for (const f of report.floors) assert.ok(f.floorMs > 0 && f.bestRatio > 0 && f.bestRatio <= 1);
  assert.match(formatReport(report), /### The divider: one f32x4 square root [\d.]+ ns/);

  const dir = mkdtempSync(join(tmpdir(), 'descent-bench-'));
  const saved = JSON.parse(readFileSync(saveReport(report, dir), 'utf8'));
  assert.equal(saved.rows.length, report.rows.length);
  assert.match(formatReport(report), /\| adam \| [\d.]+ \| \d+ \| [\d.]+ \(/);
});
