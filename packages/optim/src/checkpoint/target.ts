import type { Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { io } from './io.ts';
import { CheckpointError } from './safetensors-header.ts';

/** What a file is, in words, for messages that refuse it. */
export function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Linux's limit on symbolic links followed in one path (ELOOP). */
const MAX_LINKS = 40;

/**
 * The file a save to `path` replaces: `path` itself, or for a symbolic link (or a chain of them)
 * the file it finally points to, so that the link stays a link; and the mode of the file already
 * there (null when there is none yet). Anything that exists and is not a regular file is refused
 * rather than replaced.
 */
export async function saveTarget(path: string): Promise<{ target: string; mode: number | null }> {
  let target = path;
  for (let links = 0; ; links++) {
    let st: Stats;
    try {
      st = await io.lstat(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { target, mode: null };
      throw new CheckpointError(`cannot write checkpoint ${path}: ${(e as Error).message}`);
    }
    if (st.isSymbolicLink()) {
      if (links === MAX_LINKS)
        throw new CheckpointError(
          `cannot write checkpoint ${path}: more than ${MAX_LINKS} symbolic links (a loop?)`,
        );
      const link = await io.readlink(target).catch((e: Error) => {
        throw new CheckpointError(`cannot write checkpoint ${path}: ${e.message}`);
      });
      target = resolve(dirname(target), link);
      continue;
    }
    if (!st.isFile()) {
      const via = target === path ? '' : ` (a symbolic link to ${target})`;
      throw new CheckpointError(
        `cannot write checkpoint ${path}${via}: it is ${kindOf(st)}, not a regular file; refusing to replace it`,
      );
    }
    return { target, mode: st.mode & 0o7777 };
  }
}
