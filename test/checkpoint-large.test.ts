/**
 * Checkpoints of 2 GiB and more, without writing 2 GB: the files are sparse (the zeros are holes,
 * cheap to write and to read), and the memory a save and a load take, measured in a child.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { loadCheckpoint, saveCheckpoint } from '../packages/optim/src/checkpoint/index.ts';
import { childScript } from './helpers/checkpoint-build.ts';
import { withIo } from './helpers/checkpoint-faults.ts';

const dir = mkdtempSync(join(tmpdir(), 'descent-ckpt-large-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const GiB = 2 ** 30;
/** Float32 elements of a zero tensor that pushes what follows it past byte 2^31 + 1 MiB. */
const BIG = (2 * GiB + 2 ** 20) / 4;
const tail = Float32Array.from({ length: 1000 }, (_, i) => i + 0.5);

/** True when every byte is zero (compared a chunk at a time against zeros). */
function allZero(bytes: Uint8Array): boolean {
  const zeros = Buffer.alloc(2 ** 24);
  for (let at = 0; at < bytes.length; at += zeros.length) {
    const part = bytes.subarray(at, Math.min(bytes.length, at + zeros.length));
    if (Buffer.compare(part, zeros.subarray(0, part.length)) !== 0) return false;
  }
  return true;
}

test('a save of more than 2 GiB streams in chunks past byte 2^31', async (t) => {
  const path = join(dir, 'big.safetensors');
  // A fresh Float32Array is zeros that occupy no memory until written; the seam leaves zero
  // chunks as holes, which read back as zeros, so the file is the same, only sparse.
  const content = { params: { big: new Float32Array(BIG), tail }, extra: { step: 1 } };
  const writes: [number, number][] = [];
  await withIo(
    (real) => ({
      write: (fd, bytes, at) => {
        writes.push([at, bytes.length]);
        return allZero(bytes) ? Promise.resolve(bytes.length) : real.write(fd, bytes, at);
      },
    }),
    () => saveCheckpoint(path, content),
  );
  const size = statSync(path).size;
  assert.ok(size > 2 * GiB + 2 ** 20, `${size} bytes`);
  assert.ok(
    writes.every(([, n]) => n <= 64 * 2 ** 20),
    'no single write moves more than a chunk',
  );
  assert.equal(Math.max(...writes.map(([at, n]) => at + n)), size);
  assert.ok(writes.some(([at, n]) => at > 2 ** 31 && n > 0 && at + n === size));
  // Checked here without descent's reader (the next test loads such a file): the header puts the
  // tail past 2^31, its bytes are there, and the CRC over the whole file is right.
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(8);
  readSync(fd, head, 0, 8, 0);
  const json = Buffer.alloc(Number(head.readBigUInt64LE()));
  readSync(fd, json, 0, json.length, 8);
  const header = JSON.parse(json.toString());
  assert.deepEqual(header['params.tail'].data_offsets, [BIG * 4, BIG * 4 + tail.byteLength]);
  const back = new Float32Array(tail.length);
  readSync(fd, new Uint8Array(back.buffer), 0, back.byteLength, size - back.byteLength);
  assert.deepEqual(back, tail);
  const stored = header.__metadata__['descent.crc32'];
  let crc = crc32(
    json.toString().replace(`"descent.crc32":"${stored}"`, '"descent.crc32":"00000000"'),
  );
  const chunk = Buffer.alloc(2 ** 26);
  for (let at = 8 + json.length; at < size; at += chunk.length) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
    crc = crc32(chunk.subarray(0, n), crc);
  }
  closeSync(fd);
  assert.equal(crc.toString(16).padStart(8, '0'), stored);
  const last = Math.max(...writes.map(([at]) => at));
  t.diagnostic(`file ${size} bytes in ${writes.length} writes, the last tensor's at byte ${last}`);
  rmSync(path);
});

test('a sparse 2.2 GB file whose header puts a tensor past 2^31 loads, checksum and all', async (t) => {
  // Built here by hand, not by descent's writer: the layout from the safetensors format and
  // descent's CRC over everything after the length, with the CRC field as 00000000.
  const path = join(dir, 'handmade.safetensors');
  const bigBytes = BIG * 4;
  const tree = { params: { big: { $tensor: 'params.big' }, tail: { $tensor: 'params.tail' } } };
  const header = (crc: string) =>
    JSON.stringify({
      __metadata__: {
        descent: JSON.stringify({ format: 'descent/checkpoint', version: 1, tree }),
        'descent.crc32': crc,
      },
      'params.big': { dtype: 'F32', shape: [BIG], data_offsets: [0, bigBytes] },
      'params.tail': {
        dtype: 'F32',
        shape: [tail.length],
        data_offsets: [bigBytes, bigBytes + tail.byteLength],
      },
    });
  let crc = crc32(header('00000000'));
  const zeros = Buffer.alloc(2 ** 26);
  for (let left = bigBytes; left > 0; left -= zeros.length)
    crc = crc32(zeros.subarray(0, Math.min(left, zeros.length)), crc);
  crc = crc32(new Uint8Array(tail.buffer), crc);
  const json = Buffer.from(header(crc.toString(16).padStart(8, '0')));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.concat([length, json]), 0, 8 + json.length, 0);
  const tailAt = 8 + json.length + bigBytes;
  writeSync(fd, new Uint8Array(tail.buffer), 0, tail.byteLength, tailAt);
  closeSync(fd);
  assert.ok(tailAt > 2 ** 31);
  const loaded = await loadCheckpoint(path);
  assert.deepEqual(loaded.params.tail, tail);
  assert.equal((loaded.params.big as Float32Array).length, BIG);
  t.diagnostic(`file ${statSync(path).size} bytes, tail tensor at byte ${tailAt}`);
  rmSync(path);
});

test('a save takes about no memory beyond the model; a load about the file', (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc/self/status');
  const floats = 2 ** 24; // three float32 tensors of 64 MiB: a 192 MiB file
  const path = join(dir, 'memory.safetensors');
  const run = (...args: string[]) =>
    JSON.parse(execFileSync(process.execPath, [childScript(), ...args], { encoding: 'utf8' }));
  const save = run('memory-save', path, String(floats));
  const load = run('memory-load', path);
  const fileMiB = statSync(path).size / 2 ** 20;
  t.diagnostic(
    `file ${fileMiB.toFixed(0)} MiB: save peak +${save.peakAbove.toFixed(1)} MiB, load peak +${load.peakAbove.toFixed(1)} MiB`,
  );
  // Before streaming: a save took one more copy of the file, a load three.
  assert.ok(save.peakAbove < 32, `save: +${save.peakAbove} MiB`);
  assert.ok(load.peakAbove < fileMiB + 32, `load: +${load.peakAbove} MiB`);
  assert.equal(load.k, 1);
});
