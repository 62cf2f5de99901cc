// Shared set-up of the browser tests: one Vite build, a static server under a sub-path (as a
// static host's folder would be), and a headless Chromium driven by playwright-core.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { buildPlayground, PROJECT_ROOT, serveStatic } from '../packages/lab/src/cli/playground.ts';
import type { Snapshot } from '../web/src/debug.ts';

/** Debian's Chromium (`apt-get install -y chromium`). */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Screenshots go here (git-ignored). */
export const ARTIFACTS = join(PROJECT_ROOT, 'test', 'artifacts');

export interface Harness {
  browser: Browser;
  /** Which Chromium runs the page (see {@link findChromium}). */
  chromium: string;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** A Chromium to launch: its binary, what it is (for messages), the environment it needs. */
export interface ChromiumChoice {
  executablePath: string;
  source: string;
  env?: Record<string, string | undefined>;
}

const OPTIONS =
  "set CHROMIUM_PATH to a Chromium binary, install Debian's (apt-get install -y chromium, " +
  `${SYSTEM_CHROMIUM}), or the npm devDependency @sparticuz/chromium (npm install; Linux x64)`;

let choice: Promise<ChromiumChoice> | undefined;

/**
 * The Chromium of the browser tests, the first of: `CHROMIUM_PATH`; Debian's at
 * {@link SYSTEM_CHROMIUM}; the one inside the npm package `@sparticuz/chromium` (a devDependency,
 * so a machine with only Node and npm has it). `DESCENT_NO_SYSTEM_CHROMIUM=1` skips Debian's, to
 * test the npm one on a machine that has both. Prints nothing: the choice is in
 * {@link Harness.chromium} and in every launch error. None found is an error naming all three.
 */
export function findChromium(): Promise<ChromiumChoice> {
  choice ??= choose();
  return choice;
}

async function choose(): Promise<ChromiumChoice> {
  const path = process.env.CHROMIUM_PATH;
  if (path) {
    if (existsSync(path)) return { executablePath: path, source: `CHROMIUM_PATH=${path}` };
    throw new Error(`no Chromium: CHROMIUM_PATH=${path} does not exist; ${OPTIONS}`);
  }
  if (process.env.DESCENT_NO_SYSTEM_CHROMIUM !== '1' && existsSync(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, source: `Debian's ${SYSTEM_CHROMIUM}` };
  }
  try {
    return await npmChromium();
  } catch (e) {
    const system =
      process.env.DESCENT_NO_SYSTEM_CHROMIUM === '1'
        ? 'skipped (DESCENT_NO_SYSTEM_CHROMIUM=1)'
        : 'missing';
    throw new Error(
      `no Chromium: CHROMIUM_PATH unset, ${SYSTEM_CHROMIUM} ${system}, @sparticuz/chromium ` +
        `failed (${(e as Error).message}); ${OPTIONS}`,
      { cause: e },
    );
  }
}

/**
 * The Chromium inside `@sparticuz/chromium` (built for AWS Lambda, x64 only), unpacked once per
 * version into `<tmp>/descent-chromium-<version>/`. The package unpacks into the temp folder and
 * trusts any `chromium` file already there, so a run killed mid-way, or two test files unpacking
 * at once, would leave or launch a half-written binary: it unpacks here into a fresh folder (its
 * TMPDIR, in a child process) that is renamed into place only when complete.
 */
async function npmChromium(): Promise<ChromiumChoice> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`it ships a Linux x64 binary, this is ${process.platform} ${process.arch}`);
  }
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  const pkg = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  const dir = join(tmpdir(), `descent-chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) await unpack(entry, pkg, dir);
  // Its own NSS and expat (the Amazon Linux set it carries), always, so that every machine runs
  // what a bare one does (which lacks Debian's); they need glibc 2.34+ (Debian 12, Ubuntu 22.04).
  const libs = join(dir, 'al2023', 'lib');
  const env: Record<string, string | undefined> = {
    ...process.env,
    LD_LIBRARY_PATH: [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  };
  // The machine's fonts where it has a fontconfig set-up; the bundled Open Sans where it has none.
  if (!process.env.FONTCONFIG_PATH && !existsSync('/etc/fonts/fonts.conf')) {
    env.FONTCONFIG_PATH = join(dir, 'fonts');
  }
  return { executablePath: join(dir, 'chromium'), source: `@sparticuz/chromium ${version}`, env };
}

async function unpack(entry: string, pkg: string, dir: string): Promise<void> {
  const staging = mkdtempSync(`${dir}-`);
  try {
    const script =
      'const m = await import(process.argv[1]);' +
      'await m.default.executablePath();' +
      'await m.inflate(process.argv[2]);';
    await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, entry, join(pkg, 'bin', 'al2023.tar.br')],
      { env: { ...process.env, TMPDIR: staging } },
    );
    // Its fonts.conf names /tmp/fonts; this one names where the fonts are.
    await writeFile(
      join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <dir>${join(dir, 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n` +
        `</fontconfig>\n`,
    );
    await rename(staging, dir);
  } catch (e) {
    // Another process renamed its complete copy first: use that one.
    if (!existsSync(join(dir, 'chromium'))) throw e;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Starts the Chromium of {@link findChromium} headless, with every background connection off (this
 * machine's network is closed and the pages need none). The npm package's own flags are not used:
 * made for Lambda, they turn off web security and turn on SharedArrayBuffer without cross-origin
 * isolation, which the tests check the pages do without; it runs fine with ours.
 */
export async function launchChromium(): Promise<Browser> {
  const { executablePath, source, env } = await findChromium();
  // launch() gives Chromium a fresh, empty profile folder of its own each time.
  try {
    return await chromium.launch({
      executablePath,
      ...(env ? { env } : {}),
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
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`, { cause: e });
  }
}

/** Builds the page into a temp folder, serves it under /descent/ and starts Chromium. */
export async function startHarness(): Promise<Harness> {
  const dist = await buildPlayground(join(mkdtempSync(join(tmpdir(), 'descent-web-')), 'dist'));
  const { server, url } = await serveStatic(dist, { basePath: '/descent/' });
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await launchChromium();
  return {
    browser,
    chromium: (await findChromium()).source,
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
