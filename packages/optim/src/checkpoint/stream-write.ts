import { crc32 } from 'node:zlib';
import { gather, plan } from './chunks.ts';
import { io } from './io.ts';
import { buildHeader, crcField, type Tensor } from './safetensors-header.ts';

/**
 * Writes tensors and metadata as a safetensors file into the open file `fd`, streaming: the
 * header first (with the CRC placeholder), then each tensor's bytes straight from its own memory
 * in chunks, the CRC-32 computed along the way, and last the CRC into the header. Nothing the
 * size of the file is allocated, and file positions may pass 2^31. Returns the file's length.
 */
export async function writeSafetensors(
  fd: number,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
): Promise<number> {
  const { head, crcAt, placed, dataLength } = buildHeader(tensors, metadata);
  await writeFully(fd, head, 0);
  let crc = crc32(head.subarray(8));
  const views = placed.map((p) => p.bytes);
  for (const op of plan(views, head.length, io.chunkBytes)) {
    if (op.parts) gather(op);
    // The write runs on libuv's thread pool while this thread checksums the same bytes.
    const written = writeFully(fd, op.bytes, op.at);
    crc = crc32(op.bytes, crc);
    await written;
  }
  await writeFully(fd, crcField(crc), crcAt);
  return head.length + dataLength;
}

async function writeFully(fd: number, bytes: Uint8Array, at: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const part = bytes.subarray(done, Math.min(bytes.length, done + io.chunkBytes));
    const n = await io.write(fd, part, at + done);
    if (n <= 0) throw new Error(`the write at byte ${at + done} wrote nothing`);
    done += n;
  }
}
