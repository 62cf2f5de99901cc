/**
 * Fault injection against checkpoint files: kill -9 at every file-system call of a save and at
 * random moments, concurrent writers with a reader, a full disk, a read-only directory. After
 * each fault the file must load and be exactly the old or the new checkpoint, and no temporary
 * file may outlive the next save. The counts are printed (t.diagnostic) for the README.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadCheckpoint, saveCheckpoint } from '../packages/optim/src/checkpoint/index.ts';
import { childScript } from './helpers/checkpoint-build.ts';
import { versionContent, versionOf } from './helpers/checkpoint-content.ts';
import { errno, withIo, type Io } from './helpers/checkpoint-faults.ts';

const root = mkdtempSync(join(tmpdir(), 'descent-ckpt-faults-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const fresh = () => mkdtempSync(join(root, `${dirs++}-`));

const FLOATS = 30_000; // three float32 tensors of 120 KB: a 360 KB checkpoint
const CHUNK = '65536'; // so a save takes about 8 writes, and kills land between them
const counts = { kills: 0, injected: 0, checked: 0, staleRemoved: 0, concurrentReads: 0 };

/** Whatever is in `dir` besides the checkpoint: temporary files, of this or earlier versions. */
const temps = (dir: string) => readdirSync(dir).filter((f) => f !== 'run.safetensors');

/** Loads `path` and checks it is exactly one of `allowed` versions of `writer`'s checkpoint. */
async function expectOneOf(path: string, writer: number, allowed: number[]): Promise<number> {
  const c = await loadCheckpoint(path);
  const { k } = versionOf(c);
  assert.ok(allowed.includes(k), `found version ${k}, expected one of ${allowed}`);
  assert.deepEqual(c, versionContent(writer, k, FLOATS));
  counts.checked++;
  return k;
}

/** A save by this process (it removes the temporary files the killed children left). */
async function saveAndSweep(path: string, dir: string, writer: number, k: number) {
  const before = temps(dir).length;
  await saveCheckpoint(path, versionContent(writer, k, FLOATS));
  assert.deepEqual(temps(dir), [], 'temporary files of dead processes are removed');
  counts.staleRemoved += before;
}

interface Run {
  out: string;
  signal: NodeJS.Signals | null;
}

/** Starts the child saving versions FROM.. of WRITER to PATH; `kill` decides when to SIGKILL. */
function child(
  args: string[],
  env: Record<string, string>,
  onOutput?: (out: string, kill: () => void) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [childScript(), ...args], {
      env: { ...process.env, CHUNK, ...env },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d;
      onOutput?.(out, () => p.kill('SIGKILL'));
    });
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', reject);
    p.on('close', (code, signal) =>
      code === 0 || signal === 'SIGKILL'
        ? resolve({ out, signal })
        : reject(new Error(`child ended ${code ?? signal}: ${err}`)),
    );
  });
}

const last = (out: string, word: string) => {
  const all = [...out.matchAll(new RegExp(`^${word} (\\d+)$`, 'gm'))];
  return all.length ? Number(all.at(-1)![1]) : null;
};

/** Runs `tasks` with at most `width` at a time (the children are processes: two cores here). */
async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

describe('kill -9 during saves', () => {
  test('at every file-system call of a save: the old file before the rename, the new after', async (t) => {
    const traceDir = fresh();
    const tracePath = join(traceDir, 'run.safetensors');
    await saveCheckpoint(tracePath, versionContent(9, 0, FLOATS));
    const trace = await child(['loop', tracePath, '9', '1', '1', String(FLOATS)], { TRACE: '1' });
    const calls = [...trace.out.matchAll(/^call (\d+) (\w+)$/gm)].map((m) => m[2]!);
    const rename = calls.indexOf('rename') + 1;
    assert.ok(calls.filter((c) => c === 'write').length >= 5 && rename > 0, calls.join(' '));
    t.diagnostic(`a save makes ${calls.length} calls: ${calls.join(' ')}`);

    await pool(
      calls.map((name, i) => async () => {
        const n = i + 1;
        const dir = fresh();
        const path = join(dir, 'run.safetensors');
        await saveCheckpoint(path, versionContent(9, 0, FLOATS));
        const run = await child(['loop', path, '9', '1', '1', String(FLOATS)], {
          KILL_AT: String(n),
        });
        assert.equal(run.signal, 'SIGKILL', `killed before call ${n} (${name})`);
        counts.kills++;
        await expectOneOf(path, 9, [n > rename ? 1 : 0]);
        await saveAndSweep(path, dir, 9, 2);
      }),
      2,
    );
  });

  test('at random moments, over and over, into the same file', async (t) => {
    const seed = Date.now() % 100_000;
    let s = seed;
    const random = () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
    const lanes = 3;
    const rounds = 8;
    let newer = 0;
    await Promise.all(
      Array.from({ length: lanes }, async (_, writer) => {
        const dir = fresh();
        const path = join(dir, 'run.safetensors');
        await saveCheckpoint(path, versionContent(writer, 0, FLOATS));
        let k = 0;
        for (let round = 0; round < rounds; round++) {
          const delay = random() * 60;
          let armed = false;
          const run = await child(
            ['loop', path, String(writer), String(k + 1), 'inf', String(FLOATS)],
            {},
            (out, kill) => {
              if (armed || !out.includes('saving')) return;
              armed = true;
              setTimeout(kill, delay);
            },
          );
          counts.kills++;
          const saved = last(run.out, 'saved') ?? k;
          const saving = last(run.out, 'saving') ?? k;
          const found = await expectOneOf(path, writer, [saved, saving]);
          if (found > k) newer++;
          k = found;
        }
        await saveAndSweep(path, dir, writer, k + 1);
      }),
    );
    t.diagnostic(
      `seed ${seed}: ${lanes * rounds} kills, the file moved on in ${newer} rounds (saves completed before the kill)`,
    );
  });
});

test('concurrent writers and a reader: every read is one complete checkpoint', async (t) => {
  const dir = fresh();
  const path = join(dir, 'run.safetensors');
  await saveCheckpoint(path, versionContent(0, 0, FLOATS));
  const writers = [1, 2, 3];
  let done = false;
  const writing = Promise.all(
    writers.map((w) => child(['loop', path, String(w), '1', '12', String(FLOATS)], {})),
  ).finally(() => (done = true));
  const seen = new Set<string>();
  let reads = 0;
  while (!done) {
    const c = await loadCheckpoint(path);
    const { writer, k } = versionOf(c);
    assert.deepEqual(c, versionContent(writer, k, FLOATS));
    seen.add(`${writer}:${k}`);
    reads++;
  }
  await writing;
  assert.deepEqual(temps(dir), []);
  counts.concurrentReads += reads;
  counts.checked += reads;
  t.diagnostic(`3 writers x 12 saves, ${reads} reads, ${seen.size} different versions read`);
  assert.ok(seen.size > 1, 'the reader saw the file change');
});

/** Mounts a tmpfs of `size` at a fresh folder; null where mounting is not allowed. */
function tmpfs(size: string): string | null {
  const dir = fresh();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return r.status === 0 ? dir : null;
}
const umount = (dir: string) => spawnSync('umount', [dir]);

describe('a full disk', () => {
  test('a real one (a 1 MiB tmpfs): the save fails, the old checkpoint stays, nothing is left', async (t) => {
    const dir = tmpfs('1m');
    if (!dir) return t.skip('mount is not allowed here; the injected ENOSPC below still runs');
    try {
      const path = join(dir, 'run.safetensors');
      await saveCheckpoint(path, versionContent(1, 0, 20_000)); // 240 KB
      await assert.rejects(
        saveCheckpoint(path, versionContent(1, 1, 70_000)), // 840 KB: does not fit beside it
        new RegExp(
          `cannot write checkpoint ${path}: ENOSPC.*; the previous checkpoint is unchanged`,
        ),
      );
      counts.injected++;
      const c = await loadCheckpoint(path);
      assert.deepEqual(c, versionContent(1, 0, 20_000));
      counts.checked++;
      assert.deepEqual(readdirSync(dir), ['run.safetensors']);
      await saveCheckpoint(path, versionContent(1, 2, 20_000)); // the space came back
    } finally {
      umount(dir);
    }
  });

  test('injected at every write, and at fsync, close and rename', async (t) => {
    const dir = fresh();
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, versionContent(1, 0, FLOATS));
    let writes = 0;
    await withIo(
      (real) => ({
        chunkBytes: Number(CHUNK),
        write: (fd, b, at) => (writes++, real.write(fd, b, at)),
      }),
      () => saveCheckpoint(path, versionContent(1, 0, FLOATS)),
    );
    const faults: [string, (real: Io) => Partial<Io>, RegExp][] = [];
    for (let i = 1; i <= writes; i++) {
      let n = 0;
      faults.push([
        `write ${i} of ${writes}`,
        (real) => ({
          write: (fd, b, at) =>
            ++n === i
              ? Promise.reject(errno('ENOSPC', 'no space left on device', 'write'))
              : real.write(fd, b, at),
        }),
        /ENOSPC: no space left on device, write/,
      ]);
    }
    const failing = (name: keyof Io, code: string, message: string) =>
      [
        name,
        () => ({ [name]: () => Promise.reject(errno(code, message, name)) }),
        new RegExp(`${code}: ${message}, ${name}`),
      ] as [string, (real: Io) => Partial<Io>, RegExp];
    faults.push(failing('fsync', 'ENOSPC', 'no space left on device'));
    faults.push(failing('fsync', 'EIO', 'i/o error'));
    faults.push(failing('close', 'EIO', 'i/o error'));
    faults.push(failing('rename', 'EXDEV', 'cross-device link not permitted'));
    for (const [what, patch, message] of faults) {
      await withIo(
        (real) => ({ chunkBytes: Number(CHUNK), ...patch(real) }),
        () =>
          assert.rejects(
            saveCheckpoint(path, versionContent(1, 1, FLOATS)),
            (e: Error) =>
              message.test(e.message) &&
              e.message.startsWith(`cannot write checkpoint ${path}: `) &&
              e.message.endsWith('; the previous checkpoint is unchanged'),
            what,
          ),
      );
      counts.injected++;
      await expectOneOf(path, 1, [0]);
      assert.deepEqual(temps(dir), [], what);
    }
    t.diagnostic(`${faults.length} faults injected, the old checkpoint intact after each`);
  });
});

describe('a read-only directory', () => {
  test('a real one (a tmpfs remounted read-only)', async (t) => {
    const dir = tmpfs('4m');
    if (!dir) return t.skip('mount is not allowed here; the injected EACCES below still runs');
    try {
      const path = join(dir, 'run.safetensors');
      await saveCheckpoint(path, versionContent(2, 0, FLOATS));
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', dir]).status, 0);
      await assert.rejects(
        saveCheckpoint(path, versionContent(2, 1, FLOATS)),
        new RegExp(`cannot write checkpoint ${path}: EROFS: read-only file system`),
      );
      counts.injected++;
      await expectOneOf(path, 2, [0]);
      assert.deepEqual(readdirSync(dir), ['run.safetensors']);
    } finally {
      umount(dir);
    }
  });

  test('permission denied (what chmod 555 does to anyone but root), injected', async () => {
    const dir = fresh();
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, versionContent(2, 0, FLOATS));
    await withIo(
      (real) => ({
        open: (p, flags, mode) =>
          p.endsWith('.descent-tmp')
            ? Promise.reject(errno('EACCES', `permission denied, open '${p}'`, 'open'))
            : real.open(p, flags, mode),
      }),
      () =>
        assert.rejects(
          saveCheckpoint(path, versionContent(2, 1, FLOATS)),
          new RegExp(`cannot write checkpoint ${path}: EACCES: permission denied`),
        ),
    );
    counts.injected++;
    await expectOneOf(path, 2, [0]);
  });
});

test('counts', (t) => {
  t.diagnostic(
    `kill -9: ${counts.kills}; other faults injected: ${counts.injected}; files verified by loading: ${counts.checked} (of them concurrent reads: ${counts.concurrentReads}); stale temporary files removed by the next save: ${counts.staleRemoved}`,
  );
  assert.ok(counts.kills >= 30);
});
