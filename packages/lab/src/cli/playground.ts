import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';

/**
 * The repository root: this file sits in packages/lab/src/cli/ (or packages/lab/dist/cli/ once
 * built). The playground's sources live there, not in the published package.
 */
export const PROJECT_ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
);
/** The playground's sources. */
export const WEB_ROOT = join(PROJECT_ROOT, 'web');
/** Where `descent playground` builds it by default. */
export const WEB_DIST = join(WEB_ROOT, 'dist');

/**
 * Builds the page with Vite into `outDir`. Vite is a devDependency: the command runs from a
 * clone of the project after `npm ci`, and says so when Vite is missing.
 */
export async function buildPlayground(outDir: string = WEB_DIST): Promise<string> {
  try {
    await stat(join(WEB_ROOT, 'index.html'));
  } catch {
    throw new Error(
      `the playground's sources are not at ${WEB_ROOT}: run it from a clone of the descent repository`,
    );
  }
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch (e) {
    throw new Error(
      `descent playground builds the page with Vite, a devDependency that is not installed (${(e as Error).message.split('\n')[0]}): run \`npm ci\` in the descent project, or serve an existing build with --no-build`,
    );
  }
  const out = resolve(outDir);
  await vite.build({
    configFile: join(WEB_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: out, emptyOutDir: true },
  });
  return out;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Serve under this path (e.g. `/descent/`), as a static host's sub-folder would. */
  basePath?: string;
}

/**
 * A minimal static file server (GET and HEAD, no directory listing, nothing outside `dir`).
 * Resolves with the server and its URL once listening.
 */
export async function serveStatic(
  dir: string,
  { host = '127.0.0.1', port = 0, basePath = '/' }: ServeOptions = {},
): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const base = basePath.endsWith('/') ? basePath : `${basePath}/`;
  const server = createServer(async (req, res) => {
    const send = (code: number, text: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(base)) return send(404, 'not found');
    let file = resolve(root, `.${sep}${path.slice(base.length)}`);
    if (file !== root && !file.startsWith(root + sep)) return send(403, 'forbidden');
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const size = (await stat(file)).size;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(404, 'not found');
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shown}:${actual}${base}` };
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new RangeError(`--port must be an integer in [0, 65535], got ${v}`);
  }
  return n;
}

export function playgroundCommand(): Command {
  return new Command('playground')
    .description(
      'Build the playground (optimizers racing on loss surfaces, in the browser) and serve it on localhost',
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (0: any free port)')
        .argParser(parsePort)
        .default(4173),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--out-dir <dir>', 'where to build the static files', WEB_DIST)
    .option('--no-build', 'serve the existing build in --out-dir without building')
    .action(async (opts: { port: number; host: string; outDir: string; build: boolean }) => {
      const dir = opts.build ? await buildPlayground(opts.outDir) : resolve(opts.outDir);
      try {
        await stat(join(dir, 'index.html'));
      } catch {
        throw new Error(`no build in ${dir} (no index.html): run without --no-build`);
      }
      const { url } = await serveStatic(dir, { host: opts.host, port: opts.port });
      process.stdout.write(
        `descent playground: ${url}\n(static files in ${dir}; they work from any static host. Ctrl-C stops.)\n`,
      );
    });
}
