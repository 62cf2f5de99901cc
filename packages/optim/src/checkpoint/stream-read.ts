import { crc32 } from 'node:zlib';
import { plan, scatter, type Op } from './chunks.ts';
import { io } from './io.ts';
import {
  headerCrc,
  headerLength,
  parseHeader,
  type Declared,
  type ReadMode,
} from './safetensors-header.ts';

/**
 * Reads and verifies a safetensors file of `size` bytes from the open file `fd`, streaming: the
 * header, checked against the size (under `mode`: checkpoints or weights), then each tensor
 * straight into one fresh typed array of its raw elements with positioned reads in chunks (past
 * 2^31 too), the CRC-32 computed along the way and checked before anything is returned (where
 * the file has one). Memory beyond the tensors themselves: two small staging buffers.
 */
export async function readSafetensors<A extends ArrayBufferView>(
  fd: number,
  size: number,
  mode: ReadMode<A>,
): Promise<{
  tensors: Record<string, { data: A; shape: number[]; dtype: string }>;
  metadata: Record<string, string>;
}> {
  const bad = mode.fail;
  const first = new Uint8Array(8);
  await readFully(fd, first.subarray(0, Math.min(8, size)), 0, bad);
  const n = headerLength(first, size, bad);
  const json = new Uint8Array(n);
  await readFully(fd, json, 8, bad);
  const { declared, metadata, crc, crcAt } = parseHeader(json, size - 8 - n, mode);
  let c = crc === null ? 0 : headerCrc(json, crcAt);

  const arrays = declared.map((e) => allocate(e, bad));
  const views = arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  let prev: Op | null = null;
  for (const op of plan(views, 8 + n, io.chunkBytes)) {
    // The next read runs on libuv's thread pool while this thread checksums the one before.
    const pending = readFully(fd, op.bytes, op.at, bad);
    if (prev) c = finish(prev, c, crc !== null);
    await pending;
    prev = op;
  }
  if (prev) c = finish(prev, c, crc !== null);
  if (crc !== null && c !== crc) bad('the checksum does not match: the file is corrupted');

  const tensors: Record<string, { data: A; shape: number[]; dtype: string }> = {};
  declared.forEach(
    (e, i) => (tensors[e.name] = { data: arrays[i]!, shape: e.shape, dtype: e.dtype }),
  );
  return { tensors, metadata };
}

function finish(op: Op, crc: number, check: boolean): number {
  if (op.parts) scatter(op);
  return check ? crc32(op.bytes, crc) : crc;
}

function allocate<A extends ArrayBufferView>(e: Declared<A>, bad: (why: string) => never): A {
  try {
    return new e.Ctor((e.end - e.begin) / e.Ctor.BYTES_PER_ELEMENT);
  } catch (err) {
    return bad(
      `tensor ${e.name} needs ${e.end - e.begin} bytes, more than can be allocated here (${(err as Error).message})`,
    );
  }
}

async function readFully(
  fd: number,
  bytes: Uint8Array,
  at: number,
  bad: (why: string) => never,
): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    // One call moves at most a chunk: a read of 2 GiB or more is refused by Node.
    const want = bytes.subarray(done, Math.min(bytes.length, done + io.chunkBytes));
    const got = await io.read(fd, want, at + done);
    if (got === 0)
      bad(`the file ended at byte ${at + done} while being read (truncated meanwhile?)`);
    done += got;
  }
}
