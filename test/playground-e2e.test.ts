// The playground in a real browser: a headless Chromium (see playground-browser.ts), driven by playwright-core.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { rosenbrock } from '../packages/lab/src/lab/browser.ts';
import { SPEEDS } from '../web/src/config.ts';
import { ARTIFACTS, snapshotScript, startHarness, type Harness } from './playground-browser.ts';

const dist = (p: readonly number[], q: readonly number[]) =>
  Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!);

/**
 * Opens the page and collects uncaught errors, console errors and any request that leaves the
 * page's own server (the page must work offline: such requests are refused and reported).
 */
async function open(h: Harness, page: Page, hash = ''): Promise<string[]> {
  const errors: string[] = [];
  const origin = new URL(h.url).origin;
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin)) return route.continue();
    errors.push(`request outside the page's server: ${url}`);
    return route.abort();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(h.url + hash);
  await page.waitForFunction(() => window.__descentPlayground !== undefined);
  return errors;
}

const snap = (page: Page) => page.evaluate(snapshotScript);

async function setRange(page: Page, selector: string, value: number): Promise<void> {
  await page.locator(selector).fill(String(value));
}

async function waitForStep(page: Page, step: number): Promise<void> {
  await page.waitForFunction((n) => window.__descentPlayground!.snapshot().step >= n, step, {
    timeout: 20_000,
  });
}

describe('playground in headless Chromium', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  test('1280x800: Rosenbrock, momentum and Adam race toward (1, 1); the URL replays the race', async () => {
    const page = await h.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = await open(h, page);
    // The map, the plot and the transport controls all fit the 1280x800 screen, side by side.
    // (No named functions inside evaluate: tsx would wrap them in a helper the page lacks.)
    const [map, plot, play] = await page.evaluate(() =>
      ['overlay', 'plot', 'play'].map(
        (id) => document.getElementById(id)!.getBoundingClientRect().toJSON() as DOMRect,
      ),
    );
    const layout = {
      scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
      map: map!,
      plot: plot!,
      play: play!,
    };
    assert.ok(layout.scrollWidth <= 1280, `page is ${layout.scrollWidth}px wide`);
    assert.ok(
      layout.map.bottom <= 800 && layout.map.width > 500,
      `map ${JSON.stringify(layout.map)}`,
    );
    assert.ok(layout.plot.left >= layout.map.right && layout.plot.bottom <= 800);
    assert.ok(layout.play.bottom <= layout.map.top);
    await page.selectOption('#surface', 'beale');
    await page.selectOption('#surface', 'rosenbrock');
    const remove = page.locator('.racer .remove');
    while ((await remove.count()) > 0) await remove.first().click();
    for (const name of ['momentum', 'adam']) {
      await page.selectOption('#add-name', name);
      await page.click('#add button');
    }
    const lr = page.locator('.racer[data-name=adam] input.num[data-key=lr]');
    await lr.fill('0.05');
    await lr.press('Tab');
    await setRange(page, '#speed', SPEEDS.indexOf(50));
    await page.click('#play');
    await waitForStep(page, 1000);
    await page.click('#play'); // pause
    const s = await snap(page);

    assert.equal(s.surface, 'rosenbrock');
    assert.deepEqual(s.minima, rosenbrock.minima);
    assert.deepEqual(s.start, rosenbrock.start);
    assert.deepEqual(
      s.racers.map((r) => [r.name, r.options.lr, r.status]),
      [
        ['momentum', 1e-3, 'running'],
        ['adam', 0.05, 'running'],
      ],
    );
    const min = rosenbrock.minima[0]!;
    for (const r of s.racers) {
      assert.equal(r.steps, s.step);
      assert.ok(
        dist(r.position, min) < 0.5 * dist(s.start, min),
        `${r.name} ended at ${r.position}, not nearer (1, 1)`,
      );
      assert.ok(r.loss < r.firstLoss / 100, `${r.name}: loss ${r.firstLoss} -> ${r.loss}`);
    }
    // Live state for x: momentum's buffer, Adam's two moments (v > 0 once a gradient was seen).
    assert.ok('momentum_buffer' in s.racers[0]!.state);
    assert.ok(s.racers[1]!.state.exp_avg_sq! > 0);
    // Every visited point is plotted, for both racers.
    assert.equal(s.plotPoints, 2 * (s.step + 1));
    assert.match(await page.locator('#stepcount').innerText(), new RegExp(`step ${s.step}`));
    await page.screenshot({ path: join(ARTIFACTS, 'playground-1280x800.png') });

    // The debug handle is read-only: it cannot be replaced, and its snapshots are copies.
    const untouched = await page.evaluate(() => {
      const handle = window.__descentPlayground!;
      try {
        (window as { __descentPlayground?: unknown }).__descentPlayground = null;
      } catch {
        // Strict-mode pages throw here; either way the handle must survive.
      }
      handle.snapshot().racers[0]!.position[0] = 99;
      return (
        window.__descentPlayground === handle && handle.snapshot().racers[0]!.position[0] !== 99
      );
    });
    assert.equal(untouched, true);

    // Paused: nothing moves; Step moves by one; Reset goes back to the start.
    await page.waitForTimeout(200);
    assert.equal((await snap(page)).step, s.step);
    await page.click('#step');
    assert.equal((await snap(page)).step, s.step + 1);
    await page.click('#reset');
    assert.equal((await snap(page)).step, 0);

    // The whole configuration is in the URL: a new tab opened on it races the same optimizers.
    const url = page.url();
    assert.match(url, /#.*f=rosenbrock.*o=momentum,lr=0\.001.*\|adam,lr=0\.05/);
    const other = await h.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const otherErrors = await open(h, other, new URL(url).hash);
    await other.click('#play');
    await waitForStep(other, 50);
    const t = await snap(other);
    assert.deepEqual(
      t.racers.map((r) => [r.name, r.options]),
      s.racers.map((r) => [r.name, r.options]),
    );
    assert.deepEqual([errors, otherErrors], [[], []]);
    await other.close();
    await page.close();
  });

  test('a bad custom expression shows an error and the page keeps working', async () => {
    const page = await h.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = await open(h, page);
    await page.selectOption('#surface', 'custom');
    await page.click('#play');
    await waitForStep(page, 20);
    await page.fill('#expr', 'x^2 + (y');
    await page.click('#apply-expr');
    const error = page.locator('#expr-error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.innerText(), /expected "\)", found end of input at column 9/);
    const before = await snap(page);
    assert.match(before.exprError, /column 9/);
    assert.equal(before.surface, 'custom');
    // Still running on the previous surface.
    await waitForStep(page, before.step + 20);

    // A bad window is refused the same way.
    await page.fill('#expr', 'x^2 + 2 y^2');
    await page.fill('#window', '2,1,0,1');
    await page.click('#apply-expr');
    assert.match(await error.innerText(), /window must be four numbers .* got "2,1,0,1"/);
    assert.equal((await snap(page)).formula, before.formula);

    await page.fill('#window', '-2,2,-2,2');
    await page.click('#apply-expr');
    await error.waitFor({ state: 'hidden' });
    await setRange(page, '#speed', SPEEDS.indexOf(50));
    await waitForStep(page, 300);
    const s = await snap(page);
    assert.equal(s.formula, 'x^2 + 2 y^2');
    assert.equal(s.exprError, '');
    for (const r of s.racers) {
      // The bowl's minimum is 0 at the origin.
      assert.ok(r.loss < r.firstLoss / 10, `${r.name}: loss ${r.firstLoss} -> ${r.loss}`);
      assert.ok(dist(r.position, [0, 0]) < dist(s.start, [0, 0]));
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('narrow mobile width (390x844): one column, no sideways scroll, tap sets the start', async () => {
    const page = await h.browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const errors = await open(h, page);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= 390, `page is ${scrollWidth}px wide`);
    const map = (await page.locator('#overlay').boundingBox())!;
    assert.ok(
      map.width > 340 && Math.abs(map.width - map.height) < 1,
      `map ${map.width}x${map.height}`,
    );
    const plot = (await page.locator('#plot').boundingBox())!;
    assert.ok(plot.y >= map.y + map.height, 'the plot sits below the map');

    // The middle of Rosenbrock's window is the middle of the map.
    const [[x0, x1], [y0, y1]] = rosenbrock.window;
    await page.locator('#overlay').tap({ position: { x: map.width / 2, y: map.height / 2 } });
    const s0 = await snap(page);
    assert.ok(dist(s0.start, [(x0 + x1) / 2, (y0 + y1) / 2]) < 0.02, `start ${s0.start}`);
    await page.locator('#play').tap();
    await waitForStep(page, 100);
    // Keyboard: Space pauses (focus on the page, not on a control).
    await page.locator('h1').click();
    await page.keyboard.press(' ');
    const paused = await snap(page);
    assert.equal(paused.playing, false);
    await page.keyboard.press('.');
    assert.equal((await snap(page)).step, paused.step + 1);
    const s = await snap(page);
    for (const r of s.racers) assert.ok(r.loss < r.firstLoss, `${r.name} moved downhill`);
    assert.ok(s.plotPoints > 100);
    await page.screenshot({ path: join(ARTIFACTS, 'playground-390x844.png'), fullPage: true });
    // Gradient noise: the slider restarts the race with noisy gradients, and the URL keeps σ.
    await setRange(page, '#noise', 60);
    assert.match(page.url(), /noise=0\.\d+|noise=[1-9]/);
    assert.notEqual(await page.locator('#noise-out').innerText(), 'off');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
