import { randomBytes } from 'node:crypto';
import { close, fsync, open, readFile, rename, unlink, write } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContent } from './checkpoint.ts';
import { CheckpointError } from './safetensors.ts';

const openAsync = promisify(open);
const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);

/**
 * Writes a checkpoint atomically: to a temporary file in the same directory, flushed to disk
 * (fsync), then renamed over the target, and the directory synced. A crash at any point leaves
 * either the old checkpoint or the new one, never a torn file; a failed save leaves the target
 * untouched and removes the temporary file.
 */
export async function saveCheckpoint(path: string, content: CheckpointContent): Promise<void> {
  const bytes = encodeCheckpoint(content);
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  let fd: number | null = null;
  try {
    fd = await openAsync(tmp, 'wx', 0o644);
    let at = 0;
    while (at < bytes.length)
      at += (await writeAsync(fd, bytes, at, bytes.length - at)).bytesWritten;
    await fsyncAsync(fd);
    await closeAsync(fd);
    fd = null;
    await promisify(rename)(tmp, path);
  } catch (e) {
    if (fd !== null) await closeAsync(fd).catch(() => undefined);
    await promisify(unlink)(tmp).catch(() => undefined);
    throw new CheckpointError(`cannot write checkpoint ${path}: ${(e as Error).message}`);
  }
  // Make the rename itself durable; some file systems do not support syncing a directory.
  try {
    const dir = await openAsync(dirname(path), 'r');
    await fsyncAsync(dir).catch(() => undefined);
    await closeAsync(dir);
  } catch {
    // The checkpoint is written and renamed; only the durability of the rename is best effort.
  }
}

/** Reads and verifies a checkpoint file; errors name the file and what is wrong. */
export async function loadCheckpoint(path: string): Promise<CheckpointContent> {
  let bytes: Buffer;
  try {
    bytes = await promisify(readFile)(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      code === 'ENOENT'
        ? `checkpoint ${path} does not exist`
        : `cannot read checkpoint ${path}: ${(e as Error).message}`,
    );
  }
  try {
    return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new CheckpointError(`${path}: ${(e as Error).message}`);
  }
}
