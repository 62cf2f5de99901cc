// The built playground opened straight from disk (file://), as the page's footer promises: no
// server at all. Chromium refuses module scripts and CORS-mode fetches from file:// URLs.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildPlayground } from '../packages/lab/src/cli/playground.ts';
import { launchChromium, snapshotScript } from './playground-browser.ts';

/**
 * Opens the built page from disk and collects uncaught errors, console errors, failed loads and
 * any request that is not a file (the page must need nothing else).
 */
async function open(page: Page, url: string): Promise<string[]> {
  const errors: string[] = [];
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith('file:') || u.startsWith('data:')) return route.continue();
    errors.push(`request outside the page's folder: ${u}`);
    return route.abort();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('requestfailed', (r) =>
    errors.push(`failed to load ${r.url()}: ${r.failure()?.errorText}`),
  );
  await page.goto(url);
  return errors;
}

/** Waits for the page's debug handle; a page that never starts fails with what went wrong. */
async function ready(page: Page, errors: readonly string[]): Promise<void> {
  try {
    await page.waitForFunction(() => window.__descentPlayground !== undefined, undefined, {
      timeout: 10_000,
    });
  } catch (e) {
    throw new Error(`the page did not start: ${JSON.stringify(errors)}`, { cause: e });
  }
}

/** Every racer's live-state table, as label -> shown value. */
const readouts = (page: Page): Promise<Record<string, string>[]> =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('.racer dl.state'), (dl) =>
      Object.fromEntries(
        Array.from(dl.querySelectorAll('dt'), (dt) => [
          dt.textContent,
          dt.nextElementSibling?.textContent ?? '',
        ]),
      ),
    ),
  );
/**
 * The readouts once every panel satisfies `ok`, or as they are after 5 s (the assertions that
 * follow then fail with what the page shows): the panels redraw a frame after the state.
 */
async function settle(
  page: Page,
  ok: (rows: Record<string, string>) => boolean,
): Promise<Record<string, string>[]> {
  const deadline = Date.now() + 5000;
  let rows = await readouts(page);
  while (!rows.every(ok) && Date.now() < deadline) {
    await page.waitForTimeout(50);
    rows = await readouts(page);
  }
  return rows;
}
const GRAD = 'gₓ';
const STEP = 'effective step −Δx/gₓ';

describe('playground opened from file://', { timeout: 120_000 }, () => {
  let browser: Browser;
  let dist: string;
  let url: string;
  before(async () => {
    dist = await buildPlayground(join(mkdtempSync(join(tmpdir(), 'descent-web-file-')), 'dist'));
    url = pathToFileURL(join(dist, 'index.html')).href;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('the build is plain files that load from disk: no module script, no crossorigin', async () => {
    const html = await readFile(join(dist, 'index.html'), 'utf8');
    assert.ok(!/type="module"/.test(html), 'Chromium blocks module scripts on file://');
    assert.ok(!/crossorigin/.test(html), 'CORS-mode loads fail on file://');
    // Every file the page names is in the build.
    const files = new Set(
      (await readdir(dist, { recursive: true })).map((f) => f.split('\\').join('/')),
    );
    for (const [, ref] of html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)) {
      assert.ok(files.has(ref!), `index.html names ${ref}, not in the build`);
    }
  });

  test('the page runs: racers render, Step advances the race, no errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = await open(page, url);
    await ready(page, errors);
    const s0 = await page.evaluate(snapshotScript);
    assert.equal(s0.step, 0);
    assert.ok(s0.racers.length > 0, 'no racers');
    assert.equal(await page.locator('.racer').count(), s0.racers.length);
    assert.notEqual((await page.locator('#formula').innerText()).trim(), '');
    // The style sheet applied: the map and the side panel sit side by side.
    const [map, plot] = await page.evaluate(() =>
      ['overlay', 'plot'].map(
        (id) => document.getElementById(id)!.getBoundingClientRect().toJSON() as DOMRect,
      ),
    );
    assert.ok(plot!.left >= map!.right, `map ${JSON.stringify(map)}, plot ${JSON.stringify(plot)}`);

    await page.click('#step');
    await page.waitForFunction(() => window.__descentPlayground!.snapshot().step >= 1);
    const s1 = await page.evaluate(snapshotScript);
    for (const r of s1.racers) {
      assert.equal(r.status, 'running', `${r.name}: ${r.error}`);
      assert.notDeepEqual(r.position, s0.start, `${r.name} did not move`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('step 0 shows no NaN for any optimizer; the gradient shows once a step was taken', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = await open(page, url);
    await ready(page, errors);
    // Every optimizer the page offers, once.
    const names = await page
      .locator('#add-name option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    for (const name of names) {
      if ((await page.locator(`.racer[data-name="${name}"]`).count()) > 0) continue;
      await page.selectOption('#add-name', name);
      await page.click('#add button');
    }
    const before = await readouts(page);
    assert.equal(before.length, await page.locator('.racer').count());
    assert.ok(before.length >= names.length, `${before.length} racers for ${names.length} names`);
    assert.ok(before.length > 0, 'no readouts');
    for (const rows of before) {
      assert.doesNotMatch(JSON.stringify(rows), /NaN/);
      assert.equal(rows[GRAD], '—');
      assert.equal(rows[STEP], '—');
      assert.equal(rows.t, '0');
    }
    assert.doesNotMatch(await page.locator('body').innerText(), /NaN/);

    await page.click('#step');
    await page.waitForFunction(() => window.__descentPlayground!.snapshot().step >= 1);
    // The panels redraw on the next animation frame after the state changes: poll for it.
    const after = await settle(page, (rows) => Number.isFinite(Number(rows[GRAD])));
    for (const rows of after) {
      assert.doesNotMatch(JSON.stringify(rows), /NaN/);
      assert.ok(Number.isFinite(Number(rows[GRAD])), `gₓ shows ${rows[GRAD]}`);
      assert.ok(Number.isFinite(Number(rows[STEP])), `effective step shows ${rows[STEP]}`);
    }
    // Reset goes back to step 0 and to dashes.
    await page.click('#reset');
    await page.waitForFunction(() => window.__descentPlayground!.snapshot().step === 0);
    for (const rows of await settle(page, (r) => r[GRAD] === '—')) assert.equal(rows[GRAD], '—');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
