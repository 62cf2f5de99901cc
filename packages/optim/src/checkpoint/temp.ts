import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { io } from './io.ts';

/**
 * Temporary files of saves: `.<base>.<pid>.<8 hex>.descent-tmp` beside the target, so that one
 * left by a killed process is recognisable as ours, as belonging to that target, and as dead.
 */

const SUFFIX = '.descent-tmp';
/** A file name may have 255 bytes (NAME_MAX on Linux, macOS and Windows). */
const NAME_MAX = 255;
/** '.' + '.<pid, up to 10 digits>' + '.<8 hex>' + SUFFIX. */
const OVERHEAD = 1 + 11 + 9 + SUFFIX.length;

/**
 * The `base` part of a temporary name: the target's own name, or where that would push the name
 * past 255 bytes, its first bytes (whole UTF-8 characters) and a hash of all of it.
 */
function stem(target: string): string {
  const base = basename(target);
  const bytes = Buffer.from(base);
  if (bytes.length <= NAME_MAX - OVERHEAD) return base;
  let cut = NAME_MAX - OVERHEAD - 9;
  while ((bytes[cut]! & 0xc0) === 0x80) cut--;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${bytes.subarray(0, cut).toString()}~${hash}`;
}

/** A fresh temporary path for a save to `target`, in the target's directory. */
export function tempPath(target: string): string {
  const random = randomBytes(4).toString('hex');
  return join(dirname(target), `.${stem(target)}.${process.pid}.${random}${SUFFIX}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temporary files of earlier saves to `target` whose process is gone (killed during
 * a save); returns how many. Also those named the way earlier versions of descent named them
 * (`.<name>.<pid>.<8 hex>.tmp`). Files of live processes, of this one and of other targets are
 * left alone. "Gone" means `kill(pid, 0)` finds no such process: saves to one target from
 * another PID namespace (another container sharing the folder) would look gone, so give each
 * its own target. Best effort: a file that cannot be listed or removed is skipped, never a
 * reason to fail the save.
 */
export async function removeStale(target: string): Promise<number> {
  const dir = dirname(target);
  const ours = [
    { prefix: `.${stem(target)}.`, suffix: SUFFIX },
    { prefix: `.${basename(target)}.`, suffix: '.tmp' },
  ];
  let names: string[];
  try {
    names = await io.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    for (const { prefix, suffix } of ours) {
      if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
      const middle = /^(\d+)\.[0-9a-f]{8}$/.exec(
        name.slice(prefix.length, name.length - suffix.length),
      );
      const pid = Number(middle?.[1]);
      if (!middle || pid === process.pid || alive(pid)) continue;
      await io.unlink(join(dir, name)).then(
        () => removed++,
        () => undefined,
      );
      break;
    }
  }
  return removed;
}
