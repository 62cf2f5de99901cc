/**
 * What a browser bundle pays for each way of importing descent: each entry is bundled by Vite
 * (browser conditions, minified, as an app build would) and its size printed raw and gzipped
 * (level 9). Prints a table, writes JSON to bench/results/bundle-sizes.json.
 * Run: `npm run bench:bundle` (after `npm run build`: the packages resolve to their dist/).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface BundleCase {
  name: string;
  /** The entry module: what a user's code would import. */
  code: string;
}

export interface BundleSize {
  name: string;
  bytes: number;
  gzipBytes: number;
  /** Whether the wasm kernels' bytes are in the bundle. */
  hasKernels: boolean;
}

export const CASES: BundleCase[] = [
  { name: "import { SGD } from 'descent-optim'", code: "export { SGD } from 'descent-optim';" },
  { name: "import { Adam } from 'descent-optim'", code: "export { Adam } from 'descent-optim';" },
  {
    name: "import { Adam } + import 'descent-optim/fast'",
    code: "import 'descent-optim/fast';\nexport { Adam } from 'descent-optim';",
  },
  { name: "import * from 'descent-optim'", code: "export * from 'descent-optim';" },
  {
    name: "import { Trainer, rosenbrock } from 'descent-lab/browser'",
    code: "export { Trainer, rosenbrock } from 'descent-lab/browser';",
  },
];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Inside the repository, so that the entries resolve the workspace packages from node_modules.
const WORK = join(ROOT, 'node_modules', '.cache', 'descent-bundle-sizes');

/** Bundles one entry with Vite the way an app build would, and measures it. */
export async function measureBundle(c: BundleCase): Promise<BundleSize> {
  const { build } = await import('vite');
  mkdirSync(WORK, { recursive: true });
  const entry = join(WORK, `entry-${c.name.replace(/\W+/g, '-')}-${process.pid}.js`);
  writeFileSync(entry, `${c.code}\n`);
  try {
    const out = await build({
      configFile: false,
      root: WORK,
      logLevel: 'silent',
      build: {
        write: false,
        minify: true,
        target: 'es2022',
        lib: { entry, formats: ['es'], fileName: 'out' },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as {
      output: { type: string; code?: string }[];
    }[];
    const code = outputs
      .flatMap((o) => o.output)
      .filter((f) => f.type === 'chunk')
      .map((f) => f.code ?? '')
      .join('\n');
    return {
      name: c.name,
      bytes: Buffer.byteLength(code),
      gzipBytes: gzipSync(code, { level: 9 }).length,
      // The kernels are embedded as base64 beginning with the wasm magic number "\0asm".
      hasKernels: code.includes('AGFzbQ'),
    };
  } finally {
    rmSync(entry, { force: true });
  }
}

/**
 * With `--baseline DIR` (the dist/ of an older single-package build, e.g. a worktree of commit
 * a165e53 after `npm ci`), the same imports are also bundled from there, in the same run.
 */
function baselineCases(dir: string): BundleCase[] {
  const at = JSON.stringify(join(dir, 'index.js'));
  return [
    { name: 'baseline: import { SGD }', code: `export { SGD } from ${at};` },
    { name: 'baseline: import { Adam }', code: `export { Adam } from ${at};` },
  ];
}

async function main(): Promise<void> {
  const b = process.argv.indexOf('--baseline');
  const cases = [...CASES, ...(b >= 0 ? baselineCases(process.argv[b + 1] as string) : [])];
  const rows: BundleSize[] = [];
  for (const c of cases) rows.push(await measureBundle(c));
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'entry'.padEnd(w)} ${'minified'.padStart(10)} ${'gzip'.padStart(10)}  kernels`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w)} ${kb(r.bytes).padStart(10)} ${kb(r.gzipBytes).padStart(10)}  ${r.hasKernels ? 'yes' : 'no'}`,
    );
  }
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'bundle-sizes.json');
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`,
  );
  console.log(`\nwritten ${file}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
