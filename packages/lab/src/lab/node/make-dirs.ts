import { lstatSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const reason = (e: unknown) => (e as Error).message;

/**
 * Creates `dir` and its missing parents one level at a time and returns the directories it
 * created (outermost first); on failure removes them again and throws saying why. Not
 * `mkdir -p` (`recursive: true`): Node's loops forever where mkdir says ENOENT although the
 * parent exists (/proc/nope, a dangling symlink), retrying the parent (EEXIST) and the child
 * (ENOENT) in turn.
 */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      const parent = dirname(at);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) {
        throw new Error(`cannot create the directory: ${reason(e)}`);
      }
      missing.unshift(at);
      at = parent;
      continue;
    }
    if (!isDir) throw new Error(`${at} is not a directory`);
    break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      mkdirSync(d);
      created.push(d);
    } catch (e) {
      removeEmpty(created);
      // stat said ENOENT, mkdir says EEXIST: a symbolic link to nothing.
      const dangling =
        (e as NodeJS.ErrnoException).code === 'EEXIST' && lstatSync(d).isSymbolicLink();
      throw new Error(
        dangling
          ? `${d} is a symbolic link to a missing target`
          : `cannot create the directory: ${reason(e)}`,
      );
    }
  }
  return created;
}

/** Removes directories `makeDirs` created, innermost first, stopping at one that is not empty. */
export function removeEmpty(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (or gone): keep it and its parents
    }
  }
}
