// Shared set-up of the playground's browser tests: one Vite build, a static server under a
// sub-path (as a static host's folder would be), and Debian's Chromium driven by playwright-core.
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildPlayground, PROJECT_ROOT, serveStatic } from '../packages/lab/src/cli/playground.ts';
import type { Snapshot } from '../web/src/debug.ts';

/** Debian's chromium (CI installs it with apt); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots go here (git-ignored). */
export const ARTIFACTS = join(PROJECT_ROOT, 'test', 'artifacts');

export interface Harness {
  browser: Browser;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts Debian's Chromium headless, with every background connection off (this machine's
 * network is closed and the pages need none); a missing Chromium is an error, not a skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  // launch() gives Chromium a fresh, empty profile folder of its own each time.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Builds the page into a temp folder, serves it under /descent/ and starts Chromium. */
export async function startHarness(): Promise<Harness> {
  const dist = await buildPlayground(join(mkdtempSync(join(tmpdir(), 'descent-web-')), 'dist'));
  const { server, url } = await serveStatic(dist, { basePath: '/descent/' });
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await launchChromium();
  return {
    browser,
    server,
    url,
    async close() {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** Reads the page's state through its read-only debug handle. */
export function snapshotScript(): Snapshot {
  return window.__descentPlayground!.snapshot();
}
