import { constants, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { checkpointFromTensors, checkpointTensors, type CheckpointContent } from './checkpoint.ts';
import { io } from './io.ts';
import { CHECKPOINT_MODE, CheckpointError, type ReadMode } from './safetensors-header.ts';
import { readSafetensors } from './stream-read.ts';
import { writeSafetensors } from './stream-write.ts';
import { kindOf, saveTarget } from './target.ts';
import { removeStale, tempPath } from './temp.ts';

/**
 * Writes a checkpoint atomically: streamed in chunks to a temporary file beside the target, made
 * durable (fsync), renamed over the target, and the directory synced. A crash at any point leaves
 * the old checkpoint or the new one, never a torn file; a failed save (a full disk, a read-only
 * directory) leaves the target untouched and removes its temporary file. Any size works (2 GiB
 * and more); memory stays at the model's own plus at most 2 MiB of staging for small tensors.
 *
 * - A symbolic link is written through: the file it points to is replaced atomically (the
 *   temporary file goes beside that file) and the link stays. A hard link is not: the other
 *   names keep the old checkpoint.
 * - A path that exists and is not a regular file (a directory, a device, a FIFO, a socket) is
 *   refused, never replaced. A replaced file keeps its permission bits.
 * - Temporary files are named `.<name>.<pid>.<random>.descent-tmp` (at most 255 bytes; a long
 *   name is shortened with a hash); those left by a process that no longer runs (killed during a
 *   save) are removed by the next save to the same target.
 * - The arrays are read while the promise is pending, not copied first: change them only after
 *   it settles.
 */
export async function saveCheckpoint(path: string, content: CheckpointContent): Promise<void> {
  const { tensors, metadata } = checkpointTensors(content);
  const { target, mode } = await saveTarget(path);
  const named = target === path ? path : `${path} (a symbolic link to ${target})`;
  await removeStale(target);
  const tmp = tempPath(target);
  let fd: number | null = null;
  try {
    fd = await io.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    if (mode !== null) await io.fchmod(fd, mode);
    await writeSafetensors(fd, tensors, metadata);
    await io.fsync(fd);
    await io.close(fd);
    fd = null;
    await io.rename(tmp, target);
  } catch (e) {
    if (fd !== null) await io.close(fd).catch(() => undefined);
    await io.unlink(tmp).catch(() => undefined);
    const kept = mode === null ? 'no file was created' : `the previous checkpoint is unchanged`;
    throw new CheckpointError(`cannot write checkpoint ${named}: ${(e as Error).message}; ${kept}`);
  }
  // Make the rename itself durable; some file systems do not support syncing a directory.
  try {
    const dir = await io.open(dirname(target), constants.O_RDONLY);
    await io.fsync(dir).catch(() => undefined);
    await io.close(dir);
  } catch {
    // The checkpoint is written and renamed; only the durability of the rename is best effort.
  }
}

/**
 * Reads and verifies a checkpoint file of any size, streaming each tensor into its own fresh
 * array; errors name the file and what is wrong. A path that is not a regular file (a FIFO, a
 * device, a directory) is refused before it is read, so that loading never blocks.
 */
export async function loadCheckpoint(path: string): Promise<CheckpointContent> {
  const { tensors, metadata } = await readFile(path, 'checkpoint', CHECKPOINT_MODE);
  try {
    return checkpointFromTensors(tensors, metadata);
  } catch (e) {
    throw new CheckpointError(
      e instanceof CheckpointError
        ? `${path}: ${e.message}`
        : `cannot read checkpoint ${path}: ${(e as Error).message}`,
    );
  }
}

/**
 * Reads and verifies the safetensors file at `path` under `mode` (checkpoints, or weights from
 * any producer), streaming; errors call it a `what` and name it.
 */
export async function readFile<A extends ArrayBufferView>(
  path: string,
  what: string,
  mode: ReadMode<A>,
): Promise<{
  tensors: Record<string, { data: A; shape: number[]; dtype: string }>;
  metadata: Record<string, string>;
}> {
  const cannot = (why: string) => new CheckpointError(`cannot read ${what} ${path}: ${why}`);
  let st: Stats;
  try {
    st = await io.stat(path);
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code === 'ENOENT'
      ? new CheckpointError(`${what} ${path} does not exist`)
      : cannot((e as Error).message);
  }
  if (!st.isFile()) throw cannot(`it is ${kindOf(st)}, not a regular file`);
  let fd: number;
  try {
    // O_NONBLOCK: should a FIFO take the file's place after the check, opening it must not wait.
    fd = await io.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw cannot((e as Error).message);
  }
  try {
    const now = await io.fstat(fd).catch((e: Error) => Promise.reject(cannot(e.message)));
    if (!now.isFile()) throw cannot(`it is ${kindOf(now)}, not a regular file`);
    try {
      return await readSafetensors(fd, now.size, mode);
    } catch (e) {
      throw e instanceof CheckpointError
        ? new CheckpointError(`${path}: ${e.message}`)
        : cannot((e as Error).message);
    }
  } finally {
    await io.close(fd).catch(() => undefined);
  }
}
