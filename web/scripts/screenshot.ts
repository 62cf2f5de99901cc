// Takes the README's screenshot of the playground: four optimizers mid-race on Rosenbrock.
// Usage: node --import tsx web/scripts/screenshot.ts [out.png] (then `pngquant` shrinks it).
import { snapshotScript, startHarness } from '../../test/playground-browser.ts';

const out = process.argv[2] ?? 'docs/playground.png';
const hash =
  '#f=rosenbrock&o=sgd,lr=0.001|momentum,lr=0.001,momentum=0.9|adam,lr=0.05|rmsprop,lr=0.01&speed=10';
const h = await startHarness();
try {
  const page = await h.browser.newPage({ viewport: { width: 1200, height: 760 } });
  await page.goto(h.url + hash);
  await page.click('#play');
  await page.waitForFunction(() => window.__descentPlayground!.snapshot().step >= 600);
  await page.click('#play');
  const s = await page.evaluate(snapshotScript);
  await page.screenshot({ path: out });
  process.stdout.write(`${out}: step ${s.step}, ${s.racers.map((r) => r.name).join(', ')}\n`);
} finally {
  await h.close();
}
