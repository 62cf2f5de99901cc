import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  CheckpointError,
  crc32,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointContent,
} from '../packages/optim/src/checkpoint/index.ts';
import { io } from '../packages/optim/src/checkpoint/io.ts';
import { tempPath } from '../packages/optim/src/checkpoint/temp.ts';
import { versionContent } from './helpers/checkpoint-content.ts';
import { withIo } from './helpers/checkpoint-faults.ts';

const root = mkdtempSync(join(tmpdir(), 'descent-ckpt-files-'));
after(() => rmSync(root, { recursive: true, force: true }));
const tmp = () => mkdtempSync(join(root, 'case-'));
const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.descent-tmp'));

/** A checkpoint with tensors of three sizes and every kind of number the skeleton encodes. */
const fixed = (): CheckpointContent => ({
  ...versionContent(3, 7, 50),
  scheduler: { lastEpoch: 3, best: Infinity, lrs: [NaN, 0.1, -Infinity] },
});

describe('streamed files keep the format', () => {
  // The sha256 of encodeCheckpoint(fixed()) as written by the implementation before streaming
  // (commit 7341ff6, one in-memory buffer and one write), computed by running that commit's code;
  // for format version 2 (names and shapes in the header), computed by this commit's in-memory
  // encoder. Version 1 was 63ad32a9d85068a0807a37bf6e8294828326943a86105782fc60e1ba394c7704.
  const BEFORE = '025e69d579affd301d53a749ab8967b6c6b37393e7f4812a5df0e8d15ff94ee1';
  for (const chunk of [io.chunkBytes, 1000, 7]) {
    test(`saveCheckpoint writes the bytes the in-memory encoder wrote (chunks of ${chunk} bytes)`, async () => {
      const path = join(tmp(), 'run.safetensors');
      await withIo(
        () => ({ chunkBytes: chunk }),
        () => saveCheckpoint(path, fixed()),
      );
      const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      assert.equal(sha(readFileSync(path)), BEFORE);
      assert.equal(sha(encodeCheckpoint(fixed())), BEFORE);
      const back = await withIo(
        () => ({ chunkBytes: chunk }),
        () => loadCheckpoint(path),
      );
      assert.deepEqual(back, fixed());
    });
  }

  test('many small tensors share staging and come back in place', async () => {
    const path = join(tmp(), 'many.safetensors');
    const list = Array.from({ length: 300 }, (_, i) =>
      Float32Array.from({ length: i % 7 }, () => i),
    );
    const c: CheckpointContent = {
      params: { w: Float64Array.of(1, 2) },
      shapes: { w: [2] },
      extra: { list },
    };
    for (const chunk of [64, 5000, io.chunkBytes]) {
      await withIo(
        () => ({ chunkBytes: chunk }),
        () => saveCheckpoint(path, c),
      );
      assert.deepEqual(readFileSync(path), Buffer.from(encodeCheckpoint(c)));
      assert.deepEqual(
        await withIo(
          () => ({ chunkBytes: chunk }),
          () => loadCheckpoint(path),
        ),
        c,
      );
    }
  });

  test('every flipped byte of a file is refused by the streaming loader', async () => {
    const dir = tmp();
    const good = encodeCheckpoint({ params: { w: Float32Array.of(1, 2, 3) }, extra: { s: 1 } });
    let refused = 0;
    await withIo(
      () => ({ chunkBytes: 4 }),
      async () => {
        for (let i = 0; i < good.length; i++) {
          const bytes = good.slice();
          bytes[i]! ^= 0x04;
          const path = join(dir, `flip-${i}.safetensors`);
          writeFileSync(path, bytes);
          await assert.rejects(loadCheckpoint(path), CheckpointError, `byte ${i}`);
          refused++;
        }
      },
    );
    assert.equal(refused, good.length);
  });

  test('a truncated file, appended bytes and a file that shrinks while read are refused', async () => {
    const dir = tmp();
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, fixed());
    const size = statSync(path).size;
    truncateSync(path, size - 3);
    await assert.rejects(
      loadCheckpoint(path),
      /run.safetensors: .*the tensors need \d+ \(truncated\?\)/,
    );
    writeFileSync(path, Buffer.concat([Buffer.from(encodeCheckpoint(fixed())), Buffer.of(1, 2)]));
    await assert.rejects(loadCheckpoint(path), /2 bytes follow the last tensor/);
    await saveCheckpoint(path, fixed());
    await withIo(
      (real) => ({
        chunkBytes: 256,
        read: (fd, bytes, at) => (at > 1000 ? Promise.resolve(0) : real.read(fd, bytes, at)),
      }),
      () => assert.rejects(loadCheckpoint(path), /the file ended at byte \d+ while being read/),
    );
  });

  test("the streaming CRC (zlib's) equals crc32.ts, also continued across pieces", () => {
    for (let k = 0; k < 50; k++) {
      const bytes = randomBytes(1 + k * 37);
      const cut = Math.floor(bytes.length / 3);
      assert.equal(zlibCrc32(bytes), crc32(bytes));
      assert.equal(zlibCrc32(bytes.subarray(cut), zlibCrc32(bytes.subarray(0, cut))), crc32(bytes));
    }
  });
});

describe('paths that are not regular files are refused, never replaced or waited on', () => {
  /** Makes a node of each kind; null where this machine does not allow it. */
  const kinds: [string, RegExp, (path: string) => Promise<(() => void) | null>][] = [
    ['a directory', /it is a directory, not a regular file/, async (p) => (mkdirSync(p), null)],
    [
      'a FIFO',
      /it is a FIFO \(named pipe\), not a regular file/,
      async (p) => (execFileSync('mkfifo', [p]), null),
    ],
    [
      'a character device',
      /it is a character device, not a regular file/,
      async (p) => {
        const r = spawnSync('mknod', [p, 'c', '1', '3']);
        if (r.status !== 0) throw new Error(`skip: mknod: ${r.stderr}`);
        return null;
      },
    ],
    [
      'a socket',
      /it is a socket, not a regular file/,
      (p) =>
        new Promise((resolve) => {
          const server = createServer().listen(p, () => resolve(() => server.close()));
        }),
    ],
  ];
  for (const [kind, message, make] of kinds) {
    test(`save to ${kind}: refused with the path, left as it was`, async (t) => {
      const dir = tmp();
      const path = join(dir, 'node');
      let close: (() => void) | null;
      try {
        close = await make(path);
      } catch (e) {
        return t.skip(String(e));
      }
      const before = lstatSync(path);
      const named = new RegExp(`cannot write checkpoint ${path}: ${message.source}; refusing`);
      await assert.rejects(saveCheckpoint(path, fixed()), named);
      const after = lstatSync(path);
      assert.deepEqual([after.ino, after.mode], [before.ino, before.mode]);
      // Through a symbolic link, too: the link is named with what it points to.
      const link = join(dir, 'link');
      symlinkSync(path, link);
      await assert.rejects(
        saveCheckpoint(link, fixed()),
        new RegExp(`${link} \\(a symbolic link to ${path}\\): ${message.source}`),
      );
      assert.deepEqual(readdirSync(dir).sort(), ['link', 'node']);
      close?.();
    });

    test(`load from ${kind}: refused at once, with the path`, async (t) => {
      const path = join(tmp(), 'node');
      let close: (() => void) | null;
      try {
        close = await make(path);
      } catch (e) {
        return t.skip(String(e));
      }
      // Should the loader block on a FIFO, the timer opens it for writing and closes it, which
      // releases the loader, and the test fails instead of hanging the process.
      let hung = false;
      const timer = setTimeout(() => {
        hung = true;
        spawnSync('sh', ['-c', `exec 3>"${path}"`]);
      }, 3000);
      await assert.rejects(
        loadCheckpoint(path),
        new RegExp(`cannot read checkpoint ${path}: ${message.source}`),
      );
      clearTimeout(timer);
      assert.equal(hung, false, 'loading waited');
      close?.();
    });
  }
});

describe('symbolic links are written through', () => {
  test('the file a link points to is replaced atomically; the link stays a link', async () => {
    const a = tmp();
    const b = tmp();
    const target = join(b, 'real.safetensors');
    await saveCheckpoint(target, versionContent(1, 1, 10));
    const link = join(a, 'run.safetensors');
    symlinkSync(target, link);
    const chained = join(a, 'latest.safetensors');
    symlinkSync('run.safetensors', chained); // relative, and a link to a link
    await saveCheckpoint(chained, versionContent(1, 2, 10));
    assert.ok(lstatSync(link).isSymbolicLink() && lstatSync(chained).isSymbolicLink());
    assert.equal(readlinkSync(link), target);
    assert.deepEqual(await loadCheckpoint(target), versionContent(1, 2, 10));
    assert.deepEqual(await loadCheckpoint(chained), versionContent(1, 2, 10));
    assert.deepEqual(readdirSync(a).sort(), ['latest.safetensors', 'run.safetensors']);
    assert.deepEqual(
      readdirSync(b),
      ['real.safetensors'],
      'the temporary file went beside the target',
    );
  });

  test('a dangling link creates its target; a loop is refused', async () => {
    const dir = tmp();
    const link = join(dir, 'run.safetensors');
    symlinkSync('new.safetensors', link);
    await saveCheckpoint(link, versionContent(1, 1, 4));
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.deepEqual(await loadCheckpoint(join(dir, 'new.safetensors')), versionContent(1, 1, 4));
    const loop = join(dir, 'loop');
    symlinkSync('loop', loop);
    await assert.rejects(
      saveCheckpoint(loop, versionContent(1, 1, 4)),
      new RegExp(`cannot write checkpoint ${loop}: more than 40 symbolic links \\(a loop\\?\\)`),
    );
  });

  test('a replaced checkpoint keeps its permission bits', async () => {
    const path = join(tmp(), 'run.safetensors');
    await saveCheckpoint(path, versionContent(1, 1, 4));
    chmodSync(path, 0o600);
    await saveCheckpoint(path, versionContent(1, 2, 4));
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});

describe('temporary files', () => {
  const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

  test("a save removes its target's temporary files left by dead processes, and only those", async () => {
    const dir = tmp();
    const path = join(dir, 'run.safetensors');
    const dead = deadPid();
    const live = process.ppid;
    const named = (pid: number, target = path) =>
      basename(tempPath(target)).replace(`.${process.pid}.`, `.${pid}.`);
    const stale = [named(dead), `.run.safetensors.${dead}.0123abcd.tmp`]; // also the old naming
    const kept = [
      named(live),
      named(process.pid),
      named(dead, join(dir, 'other.safetensors')),
      `.run.safetensors.${dead}.notours.descent-tmp`,
    ];
    for (const f of [...stale, ...kept]) writeFileSync(join(dir, f), 'partial');
    await saveCheckpoint(path, versionContent(1, 1, 4));
    assert.deepEqual(readdirSync(dir).sort(), [...kept, 'run.safetensors'].sort());
  });

  test('names up to 255 bytes save and load; temporary names stay within 255 bytes', async () => {
    const dir = tmp();
    const opened: string[] = [];
    const names = [
      'a'.repeat(231) + '.safetensors', // 243 characters, as in the report
      'é'.repeat(121) + '.safetensors', // 254 bytes in UTF-8
      'é'.repeat(121) + '.safetensorz', // the same first 242 bytes: the temp name must differ
    ];
    await withIo(
      (real) => ({ open: (p, flags, mode) => (opened.push(p), real.open(p, flags, mode)) }),
      async () => {
        for (const name of names) {
          await saveCheckpoint(join(dir, name), versionContent(1, 1, 4));
          assert.deepEqual(await loadCheckpoint(join(dir, name)), versionContent(1, 1, 4));
        }
      },
    );
    const made = opened.filter((p) => p.endsWith('.descent-tmp')).map((p) => basename(p));
    assert.equal(made.length, 3);
    for (const m of made) assert.ok(Buffer.byteLength(m) <= 255, `${Buffer.byteLength(m)} bytes`);
    const stem = (m: string) => m.split('.').slice(0, -3).join('.');
    assert.notEqual(stem(made[1]!), stem(made[2]!));
    assert.deepEqual(readdirSync(dir).sort(), [...names].sort());
  });
});

describe('what cannot come back as it went in is refused, with its path', () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const cases: [string, unknown, RegExp][] = [
    [
      'two tensors with one name',
      { 'a.b': Float32Array.of(1), a: { b: Float32Array.of(2) } },
      /the tensors at extra\["a.b"\] and extra.a.b would both be stored as extra.a.b; rename one/,
    ],
    ['a Date', { when: new Date(0) }, /cannot store a Date at extra.when/],
    ['a Map', { m: new Map([[1, 2]]) }, /cannot store a Map at extra.m/],
    ['a Set', { s: [new Set([1])] }, /cannot store a Set at extra.s.0/],
    ['a RegExp', { r: /x/ }, /cannot store a RegExp at extra.r/],
    ['a class instance', { run: new (class Run {})() }, /cannot store a Run at extra.run/],
    ['a function', { f: () => 1 }, /cannot store a function at extra.f/],
    ['a symbol', { s: Symbol('s') }, /cannot store a symbol at extra.s/],
    ['a bigint', { n: 1n }, /cannot store a bigint at extra.n/],
    ['undefined', { u: undefined }, /cannot store undefined at extra.u/],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the case
    ['a hole in an array', { list: [1, , 3] }, /cannot store undefined at extra.list.1/],
    ['a cycle', { c: cycle }, /cannot store a circular reference at extra.c.self/],
    ['a DataView', { v: new DataView(new ArrayBuffer(2)) }, /cannot store a DataView at extra.v/],
    ['a BigInt64Array', { v: new BigInt64Array(1) }, /cannot store a BigInt64Array at extra.v/],
    [
      "the format's own marker",
      { ref: { $tensor: 'params.w' } },
      /cannot store an object whose only key is \$tensor \(reserved by the format\) at extra.ref/,
    ],
    ['symbol keys', { o: { [Symbol('k')]: 1 } }, /cannot store symbol-keyed properties at extra.o/],
  ];
  for (const [what, extra, message] of cases) {
    test(what, async () => {
      const c = { params: { w: Float32Array.of(1) }, extra } as CheckpointContent;
      assert.throws(() => encodeCheckpoint(c), message);
      const dir = tmp();
      const path = join(dir, 'run.safetensors');
      await saveCheckpoint(path, fixed());
      const before = readFileSync(path);
      await assert.rejects(saveCheckpoint(path, c), message);
      assert.deepEqual(readFileSync(path), before);
      assert.deepEqual(temps(dir), []);
    });
  }

  test('-0, NaN and the infinities come back exactly; null-prototype objects as plain ones', async () => {
    const path = join(tmp(), 'run.safetensors');
    const extra = { z: -0, list: [-0, NaN, Infinity, -Infinity, 0], bare: Object.create(null) };
    await saveCheckpoint(path, { params: { w: Float32Array.of(-0) }, extra });
    const back = (await loadCheckpoint(path)).extra as typeof extra;
    assert.ok(Object.is(back.z, -0) && Object.is(back.list[0], -0) && Object.is(back.list[4], 0));
    assert.deepEqual(back.list.slice(1, 4), [NaN, Infinity, -Infinity]);
    assert.deepEqual({ ...back.bare }, {});
  });
});
