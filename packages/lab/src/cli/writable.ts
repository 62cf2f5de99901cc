import { lstatSync, mkdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// Checked before any work, so that a bad path fails in a second instead of after the race.

const reason = (e: unknown) => (e as Error).message;

/** Writes and removes a probe file in `dir`: only a real write proves a directory writable. */
function probe(dir: string): void {
  const file = join(dir, `.descent-probe-${process.pid}`);
  writeFileSync(file, '', { flag: 'wx' });
  unlinkSync(file);
}

/**
 * Creates `dir` (and its missing parents) one level at a time, then proves it writable; throws
 * naming `option`, the value and the reason. Returns the call that removes the directories it
 * created if they are still empty (for a command that fails before it writes there).
 * Not `mkdir -p` (`recursive: true`): Node's loops forever where mkdir says ENOENT although the
 * parent exists (/proc/nope, a dangling symlink), retrying the parent (EEXIST) and the child
 * (ENOENT) in turn.
 */
export function ensureWritableDir(dir: string, option: string): () => void {
  const fail = (why: string): never => {
    throw new Error(`${option} ${dir}: ${why}`);
  };
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      const parent = dirname(at);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) {
        return fail(`cannot create the directory: ${reason(e)}`);
      }
      missing.unshift(at);
      at = parent;
      continue;
    }
    if (!isDir) fail(`${at} is not a directory`);
    break;
  }
  const created: string[] = [];
  const undo = () => {
    for (const d of [...created].reverse()) {
      try {
        rmdirSync(d);
      } catch {
        return; // not empty (or gone): keep it and its parents
      }
    }
  };
  for (const d of missing) {
    try {
      mkdirSync(d);
      created.push(d);
    } catch (e) {
      undo();
      // stat said ENOENT, mkdir says EEXIST: a symbolic link to nothing.
      const dangling =
        (e as NodeJS.ErrnoException).code === 'EEXIST' && lstatSync(d).isSymbolicLink();
      fail(
        dangling
          ? `${d} is a symbolic link to a missing target`
          : `cannot create the directory: ${reason(e)}`,
      );
    }
  }
  try {
    probe(resolve(dir));
  } catch (e) {
    undo();
    fail(`cannot write there: ${reason(e)}`);
  }
  return undo;
}

/** Proves that `file` can be written later: its directory exists and takes a new file. */
export function ensureWritableFile(file: string, option: string): void {
  const dir = dirname(resolve(file));
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    probe(dir);
  } catch (e) {
    throw new Error(`${option} ${file}: cannot write there: ${reason(e)}`);
  }
}
