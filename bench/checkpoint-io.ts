/**
 * Checkpoint save and load: time and peak resident memory for Adam on float32 parameters (the
 * parameters and the two moment buffers: 12 bytes per parameter on disk), the streaming
 * implementation beside the one before it (commit 7341ff6: one buffer the size of the file, one
 * write, readFile), both run here from their sources in the same run. Each save and each load runs
 * in its own child process, which reports its peak from /proc/self/status (VmHWM, reset just
 * before the call, so the peak is the call's: the model already in memory plus what the call
 * adds). Prints a table, writes JSON to bench/results/checkpoint-io.json.
 *
 * Run: `node --conditions=source --import tsx bench/checkpoint-io.ts [--sizes 1e6,1e8,3e8]
 * [--dir DIR]` (DIR: where the files go, default the OS temp folder; a 3e8 file is 3.6 GB, and
 * each size's files are removed before the next size). `--print` prints the last run's table
 * again from its JSON.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The last commit with the implementation before streaming. */
const BEFORE = '7341ff6';
const HERE = fileURLToPath(new URL('../packages/optim/src/checkpoint/index.ts', import.meta.url));

interface Impl {
  saveCheckpoint(path: string, content: unknown): Promise<void>;
  loadCheckpoint(path: string): Promise<{ params: Record<string, Float32Array> }>;
}

interface Measured {
  seconds: number;
  peakMiB: number;
  modelMiB: number;
  error?: string;
}

const status = (key: string) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) /
  1024;

/** In a child: one save or one load, reported as JSON on stdout. */
async function child(op: string, entry: string, path: string, n: number): Promise<void> {
  const impl = (await import(pathToFileURL(entry).href)) as Impl;
  const { Adam } = await import('../packages/optim/src/node.ts');
  let content: unknown = null;
  if (op === 'save') {
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = (i % 1000) * 1e-3;
    let opt: InstanceType<typeof Adam> | null = new Adam([w], { lr: 1e-3 });
    let g: Float32Array | null = w.slice();
    opt.step([g]);
    content = { params: { w }, optimizer: opt.stateDict(), extra: { step: 1 } };
    // Drop the optimizer's own buffers and the gradient: what stays is the model to save.
    opt = g = null;
    // V8 frees array buffers' memory shortly after a collection: collect, wait, collect.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
    gc?.();
  }
  writeFileSync('/proc/self/clear_refs', '5');
  const modelMiB = status('VmRSS');
  const t0 = performance.now();
  const out: Measured = { seconds: 0, peakMiB: 0, modelMiB };
  try {
    if (op === 'save') await impl.saveCheckpoint(path, content);
    else {
      const back = await impl.loadCheckpoint(path);
      if (back.params.w!.length !== n) throw new Error('wrong length');
    }
  } catch (e) {
    out.error = (e as Error).message.slice(0, 300);
  }
  out.seconds = (performance.now() - t0) / 1000;
  out.peakMiB = status('VmHWM');
  process.stdout.write(JSON.stringify(out) + '\n');
}

function run(op: string, entry: string, path: string, n: number): Measured {
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      '--expose-gc',
      '--max-old-space-size=4096',
      fileURLToPath(import.meta.url),
      '--child',
      op,
      entry,
      path,
      String(n),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const line = r.stdout.trim().split('\n').at(-1);
  if (r.status !== 0 || !line) throw new Error(`${op} ${n}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Measured;
}

/** The implementation before streaming, from git, in a temporary folder. */
function before(dir: string): string {
  const folder = 'packages/optim/src/checkpoint';
  const out = join(dir, 'before', 'checkpoint');
  mkdirSync(out, { recursive: true });
  const files = execFileSync('git', ['ls-tree', '--name-only', `${BEFORE}:${folder}`], {
    encoding: 'utf8',
  });
  for (const f of files.trim().split('\n')) {
    const text = execFileSync('git', ['show', `${BEFORE}:${folder}/${f}`], { encoding: 'utf8' });
    writeFileSync(join(out, f), text);
  }
  return join(out, 'index.ts');
}

/** The table: time, throughput and the call's peak resident memory (the model included). */
function print(rows: Record<string, unknown>[], machine: string): void {
  const gb = (b: number) => (b / 1e9).toFixed(b < 1e8 ? 3 : 2);
  const cell = (m: Measured, bytes: number) =>
    m.error
      ? `fails: ${m.error.replace(/^cannot (write|read) checkpoint \S+: /, '').slice(0, 70)}`
      : `${m.seconds.toFixed(2)} s (${gb(bytes / m.seconds)} GB/s), peak ${(m.peakMiB / 1024).toFixed(2)} GiB`;
  console.log(`checkpoint save/load, Adam float32; ${machine}; before = ${BEFORE}`);
  console.log('| parameters | file (= model in memory) | implementation | save | load |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const bytes = r.fileBytes as number;
    console.log(
      `| ${(r.params as number).toExponential(0)} | ${gb(bytes)} GB | ${r.impl} | ${cell(r.save as Measured, bytes)} | ${cell(r.load as Measured, bytes)} |`,
    );
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const sizes = (opt('--sizes') ?? '1e6,1e8,3e8').split(',').map(Number);
  const dir = mkdtempSync(join(opt('--dir') ?? tmpdir(), 'descent-bench-ckpt-'));
  const impls = { before: before(dir), after: HERE };
  const rows: Record<string, unknown>[] = [];
  try {
    for (const n of sizes) {
      const files = {
        after: join(dir, `after-${n}.safetensors`),
        before: join(dir, `before-${n}`),
      };
      // After first: where the old save fails (2 GiB and more), the old load gets the new file.
      for (const name of ['after', 'before'] as const) {
        const save = run('save', impls[name], files[name], n);
        const from = save.error ? files.after : files[name];
        // The load reads the file just written, warm in the page cache, for both alike.
        const load = run('load', impls[name], from, n);
        rows.push({ params: n, impl: name, fileBytes: statSync(from).size, save, load });
        console.error(`${n} ${name}: done`);
      }
      for (const f of Object.values(files)) rmSync(f, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.sort(
    (a, b) => (a.params as number) - (b.params as number) || (a.impl === 'before' ? -1 : 1),
  );

  print(
    rows,
    `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/checkpoint-io.json',
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        memoryGiB: totalmem() / 2 ** 30,
        before: BEFORE,
        note: 'peakMiB: VmHWM of the child during the call, including the model; modelMiB: resident just before it',
        rows,
      },
      null,
      2,
    ) + '\n',
  );
}

if (process.argv[2] === '--child') {
  const [, op, entry, path, n] = process.argv.slice(2) as [string, string, string, string, string];
  await child(op, entry, path, Number(n));
} else if (process.argv[2] === '--print') {
  // The table again from the last run's JSON, without running anything.
  const last = JSON.parse(readFileSync('bench/results/checkpoint-io.json', 'utf8'));
  print(
    last.rows,
    `${last.cores} x ${last.cpu}, ${last.memoryGiB.toFixed(0)} GiB, node ${last.node}`,
  );
} else {
  await main();
}
