import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { PROJECT_ROOT, serveStatic } from '../packages/lab/src/cli/playground.ts';

const MAIN = join(PROJECT_ROOT, 'packages', 'lab', 'src', 'cli', 'main.ts');

/** A raw GET (no URL normalisation by a client library), resolving with status and body. */
function get(url: string, path: string): Promise<{ status: number; body: string; type: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        ok({ status: res.statusCode!, body, type: String(res.headers['content-type']) }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

describe('descent playground (command)', { timeout: 60_000 }, () => {
  test('builds the page, serves it on localhost and prints the URL', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'descent-pg-')), 'site');
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        MAIN,
        'playground',
        '--port',
        '0',
        '--out-dir',
        out,
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((ok, fail) => {
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
          const m = /descent playground: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
          if (m) ok(m[1]!);
        });
        child.stderr.on('data', (c: Buffer) => (text += c.toString()));
        child.on('exit', (code) => fail(new Error(`exited with ${code}: ${text}`)));
      });
      const index = await get(url, '/');
      assert.equal(index.status, 200);
      assert.match(index.type, /text\/html/);
      assert.match(index.body, /<title>descent playground<\/title>/);
      // Relative asset paths: the folder works from any static host, at any sub-path.
      const assets = [...index.body.matchAll(/(?:src|href)="(\.\/assets\/[^"]+)"/g)].map(
        (m) => m[1]!,
      );
      assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')));
      assert.doesNotMatch(index.body, /(?:src|href)="\/(?!\/)/);
      for (const a of assets) assert.equal((await get(url, a.slice(1))).status, 200);
    } finally {
      child.kill();
    }
  });

  test('without Vite installed the error says what to do', async () => {
    // A module hook that makes `vite` unresolvable, as in an install without devDependencies.
    const dir = mkdtempSync(join(tmpdir(), 'descent-pg-novite-'));
    writeFileSync(
      join(dir, 'hook.mjs'),
      `export async function resolve(spec, ctx, next) {
        if (spec === 'vite') {
          const e = new Error("Cannot find package 'vite'");
          e.code = 'ERR_MODULE_NOT_FOUND';
          throw e;
        }
        return next(spec, ctx);
      }`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});`,
    );
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        join(dir, 'register.mjs'),
        '--import',
        'tsx',
        MAIN,
        'playground',
        '--port',
        '0',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((ok) => child.on('exit', ok));
    assert.equal(code, 1);
    assert.match(
      err,
      /descent playground builds the page with Vite, a devDependency that is not installed \(Cannot find package 'vite'\): run `npm ci` in the descent project/,
    );
  });

  test('--no-build on a folder without a build says so', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'descent-pg-empty-'));
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        MAIN,
        'playground',
        '--no-build',
        '--out-dir',
        empty,
        '--port',
        '0',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((ok) => child.on('exit', ok));
    assert.equal(code, 1);
    assert.match(err, /no build in .* \(no index\.html\): run without --no-build/);
  });

  test('--port out of range is refused with the option and value named', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', MAIN, 'playground', '--port', '70000'],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((ok) => child.on('exit', ok));
    assert.notEqual(code, 0);
    assert.match(err, /--port must be an integer in \[0, 65535\], got 70000/);
  });
});

describe('static server', () => {
  test('serves files under its base path and nothing outside its folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-static-'));
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
    writeFileSync(join(dir, 'app.js'), 'export {}');
    const { server, url } = await serveStatic(dir, { basePath: '/sub/' });
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/sub\/$/);
      const cases: [string, number][] = [
        ['/sub/', 200],
        ['/sub/index.html', 200],
        ['/sub/app.js', 200],
        ['/sub/missing.js', 404],
        ['/index.html', 404],
        ['/sub/../package.json', 404],
        ['/sub/..%2f..%2fpackage.json', 403],
        ['/sub/%2e%2e/%2e%2e/etc/passwd', 404],
      ];
      for (const [path, status] of cases) {
        assert.equal((await get(url, path)).status, status, path);
      }
      assert.match((await get(url, '/sub/app.js')).type, /text\/javascript/);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
