// The packed tarballs, as a user installs them: an empty project gets the core and nothing else,
// imports it from ESM and CommonJS and compiles TypeScript against it; the lab's tarball gives a
// working `descent` after one install. Packs with --ignore-scripts (`npm test` has built dist/;
// packing must not rebuild it under the other tests) and installs from npm's cache
// (--prefer-offline: `npm ci` has just put every dependency of the lab there).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPES = join(ROOT, 'node_modules', '@types');

interface Packed {
  name: string;
  filename: string;
  files: { path: string; size: number }[];
}

function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A new, empty CommonJS project (npm's default `type`) in a temp folder. */
function emptyProject(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `descent-${name}-`));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', private: true }),
  );
  return dir;
}

describe('the packed packages', { timeout: 400_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-pack-'));
  let packed: Packed[] = [];
  const entry = (name: string) => packed.find((p) => p.name === name)!;
  const has = (name: string, path: string) => entry(name).files.find((f) => f.path === path);

  before(() => {
    const out = execFileSync(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', dir].concat([
        '-w',
        'descent-optim',
        '-w',
        'descent-lab',
      ]),
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    packed = JSON.parse(out) as Packed[]; // stdout is JSON alone (the build writes to stderr)
  });

  test('each tarball has its licence and readme, ships no src/, and its maps carry their sources', () => {
    assert.deepEqual(packed.map((p) => p.name).sort(), ['descent-lab', 'descent-optim']);
    for (const p of packed) {
      for (const f of ['LICENSE', 'README.md', 'package.json'])
        assert.ok(has(p.name, f), `${p.name}: ${f}`);
      assert.ok(!p.files.some((f) => f.path.startsWith('src/')), `${p.name} ships no src/`);
      const maps = p.files.filter((f) => f.path.endsWith('.js.map'));
      assert.ok(maps.length > 10, `${p.name} has source maps`);
      const pkgDir = join(ROOT, 'packages', p.name === 'descent-optim' ? 'optim' : 'lab');
      for (const m of maps) {
        const map = JSON.parse(readFileSync(join(pkgDir, m.path), 'utf8')) as {
          sourcesContent?: unknown[];
        };
        assert.ok(map.sourcesContent?.length, `${p.name}/${m.path} carries sourcesContent`);
      }
    }
    for (const f of ['bin/descent.js', 'data/digits.csv.gz', 'data/README.md']) {
      assert.ok(has('descent-lab', f), `descent-lab: ${f}`);
    }
    // The kernels' declaration is a string type, not the 400 KB base64 literal.
    assert.ok(has('descent-optim', 'dist/kernels/generated/wasm.d.ts')!.size < 1024);
  });

  test('the core installs alone, imports from ESM and CommonJS, and TypeScript compiles against it', () => {
    const app = emptyProject('core-user');
    sh(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(dir, entry('descent-optim').filename),
      ],
      app,
    );
    assert.deepEqual(
      readdirSync(join(app, 'node_modules')).filter((f) => !f.startsWith('.')),
      ['descent-optim'],
    );
    const step = `const w = new Float64Array([1, -2]); new Adam([w], { lr: 0.1 }).step([new Float64Array([2, -4])]); console.log(w.join(','))`;
    const esm = sh(
      process.execPath,
      ['--input-type=module', '-e', `import { Adam } from 'descent-optim'; ${step}`],
      app,
    );
    const cjs = sh(
      process.execPath,
      ['-e', `const { Adam } = require('descent-optim'); ${step}`],
      app,
    );
    // Adam's first step moves each weight by lr against the gradient's sign (up to eps).
    assert.deepEqual(
      esm
        .trim()
        .split(',')
        .map(Number)
        .map((x) => Math.round(x * 1e6) / 1e6),
      [0.9, -1.9],
    );
    assert.equal(cjs, esm);
    mkdirSync(join(app, 'src'));
    const use = [
      `import { Adam, type OptimizerStateDict } from 'descent-optim';`,
      `import { createArenaSync } from 'descent-optim/fast';`,
      `const arena = createArenaSync({ bytes: 1 << 16 });`,
      `const s: OptimizerStateDict = new Adam([arena.float32(4)], { lr: 0.1 }).stateDict();`,
      `export const groups: number = s.paramGroups.length;`,
    ].join('\n');
    writeFileSync(join(app, 'src', 'esm.mts'), use);
    writeFileSync(
      join(app, 'src', 'cjs.cts'),
      `import { SGD } from 'descent-optim';\nexport const n: number = new SGD([new Float64Array(2)], { lr: 1 }).paramGroups.length;\n`,
    );
    const common = [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--lib',
      'es2022,dom',
      '--types',
      'node',
      '--typeRoots',
      TYPES,
    ];
    sh(
      process.execPath,
      [
        TSC,
        ...common,
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        'src/esm.mts',
        'src/cjs.cts',
      ],
      app,
    );
    sh(
      process.execPath,
      [TSC, ...common, '--module', 'esnext', '--moduleResolution', 'bundler', 'src/esm.mts'],
      app,
    );
  });

  test('one install of the lab gives a working descent, TensorFlow.js and its wasm backend included', () => {
    const app = emptyProject('lab-user');
    const tarballs = ['descent-optim', 'descent-lab'].map((n) => join(dir, entry(n).filename));
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], app);
    const bin = join(app, 'node_modules', '.bin', 'descent');
    const out = join(app, 'report');
    // The MLP is the problem that needs tfjs-layers and tfjs-backend-wasm (compare's default backend).
    const args = [
      'compare',
      '--problem',
      'digits-mlp',
      '--optimizers',
      'adam',
      '--seeds',
      '1',
      '--lr',
      '0.01',
      '--out',
      out,
    ];
    sh(bin, args, app);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      runs?: unknown[];
    };
    assert.ok(results && typeof results === 'object');
    assert.ok(readFileSync(join(out, 'index.html'), 'utf8').includes('digits-mlp'));
  });
});
