/**
 * The fast paths in a real browser (a headless Chromium, see playground-browser.ts, through playwright-core): the
 * built package (dist/) is served on localhost and imported by a page that is not cross-origin
 * isolated, so the arena falls back to a plain (non-shared) memory.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { serveStatic } from '../packages/lab/src/cli/playground.ts';
import { launchChromium } from './playground-browser.ts';

const DIST = fileURLToPath(new URL('../packages/optim/dist/', import.meta.url));

// Runs in the page (as a string: tsx would wrap functions in helpers the page lacks).
const PAGE_SCRIPT = (base: string) => `(async () => {
  const d = await import('${base}index.js');
  const loadedByCore = d.fastPathLoaded();
  const f = await import('${base}fast.js');
  const counts = (await import('${base}kernels/dispatch.js')).fastPathCounts;
  const arena = await f.createArena({ bytes: 1 << 22 });
  const n = 1003;
  const p = arena.float64(n);
  const q = new Float64Array(n);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = q[i] = Math.sin(i);
  const fast = new d.Adam([p], { amsgrad: true, weightDecay: 0.1 });
  const plain = new d.Adam([q], { amsgrad: true, weightDecay: 0.1 });
  const before = counts.inPlace;
  for (let s = 0; s < 5; s++) {
    for (let i = 0; i < n; i++) g[i] = Math.cos(i * (s + 1) + q[i]);
    fast.step([arena.copyOf(g)]);
    d.setFastPaths(false);
    plain.step([g]);
    d.setFastPaths(true);
  }
  let differ = 0;
  for (let i = 0; i < n; i++) if (!Object.is(p[i], q[i])) differ++;
  return {
    loadedByCore,
    loadedByFast: d.fastPathLoaded(),
    simd: f.hasWasmSimd(),
    shared: arena.shared,
    inPlace: counts.inPlace - before,
    differ,
  };
})()`;

test(
  'in Chromium: the core alone loads no kernels; descent-optim/fast does: wasm SIMD, a plain-memory arena, in-place steps equal to the plain loop',
  { timeout: 60_000 },
  async () => {
    assert.ok(existsSync(`${DIST}index.js`), 'dist/ is built (npm run build)');
    const { server, url } = await serveStatic(DIST);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(url);
      const r = await page.evaluate(PAGE_SCRIPT(url));
      assert.deepEqual(r, {
        loadedByCore: false,
        loadedByFast: true,
        simd: true,
        shared: false,
        inPlace: 5,
        differ: 0,
      });
    } finally {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    }
  },
);
