/**
 * The benchmark's matrix-product rows: both float types, every route, and their table; Muon's
 * step rows and theirs (no timing asserted).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createArenaSync } from '../packages/optim/src/fast.ts';
import { benchMatmul, benchMuon } from '../packages/lab/src/bench/matmul.ts';
import { formatReport } from '../packages/lab/src/bench/report.ts';
import type { SpeedReport } from '../packages/lab/src/bench/speed.ts';

test('benchMatmul: a row per size and float type, plain loop and wasm figures, and the table', () => {
  const arena = createArenaSync({ bytes: 4 << 20 });
  const rows = benchMatmul([16, 40], 2, arena, () => {});
  // The matrices go back to the arena; the product's workspace, taken once, stays.
  const used = arena.used;
  benchMatmul([40], 1, arena, () => {});
  assert.equal(arena.used, used);
  assert.deepEqual(
    rows.map((r) => `${r.dtype} ${r.size}`),
    ['float32 16', 'float32 40', 'float64 16', 'float64 40'],
  );
  for (const r of rows) {
    for (const x of [r.plainMs, r.copyMs, r.inPlaceMs!, r.plainGflops, r.copyGflops])
      assert.ok(Number.isFinite(x) && x > 0, JSON.stringify(r));
    assert.ok(Math.abs(r.copyGflops - (2 * r.size ** 3) / r.copyMs / 1e6) < 1e-9);
  }
  assert.ok(benchMatmul([16], 1, null, () => {}).every((r) => r.inPlaceMs === null));

  const report: SpeedReport = {
    machine: { cpu: 'x', cores: 1, node: 'v20', loadavg: [0, 0, 0] },
    sizes: [],
    rows: [],
    heap: [],
    threads: [],
    threadThreshold: null,
    divider: { sqrtNs: 1, divNs: 1 },
    floors: [],
    copyGbPerS: {},
    matmul: rows,
    muon: [],
    notes: [],
  };
  const text = formatReport(report);
  assert.match(text, /### Matrix product C = A·B, n×n: GFLOP\/s/);
  assert.match(text, /\| 40 \| float64 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+x \|/);
  assert.doesNotMatch(text, /Muon's step/);
});

test("benchMuon: a row per size, its products' operations over the step's time, and the table", () => {
  const rows = benchMuon([16, 24], 2, () => {});
  assert.deepEqual(
    rows.map((r) => r.size),
    [16, 24],
  );
  for (const r of rows) {
    // Muon's default: 5 Newton–Schulz steps of 3 square products (2n³ operations each).
    assert.equal(r.nsSteps, 5);
    assert.equal(r.flops, 5 * 3 * 2 * r.size ** 3);
    for (const x of [r.stepMs, r.stepGflops, r.plainMs, r.plainGflops])
      assert.ok(Number.isFinite(x) && x > 0, JSON.stringify(r));
    assert.ok(Math.abs(r.stepGflops - r.flops / r.stepMs / 1e6) < 1e-9);
    assert.ok(Math.abs(r.plainGflops - (2 * r.size ** 3) / r.plainMs / 1e6) < 1e-9);
  }
  const report: SpeedReport = {
    machine: { cpu: 'x', cores: 1, node: 'v20', loadavg: [0, 0, 0] },
    sizes: [],
    rows: [],
    heap: [],
    threads: [],
    threadThreshold: null,
    divider: { sqrtNs: 1, divNs: 1 },
    floors: [],
    copyGbPerS: {},
    matmul: [],
    muon: rows,
    notes: [],
  };
  const text = formatReport(report);
  assert.match(text, /### Muon's step, n×n float32 matrix: GFLOP\/s of its Newton–Schulz products/);
  assert.match(text, /\| 24 \| 5 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+x \|/);
});
