import { statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { makeDirs, removeEmpty } from '../lab/node/make-dirs.ts';

// Checked before any work, so that a bad path fails in a second instead of after the race.

const reason = (e: unknown) => (e as Error).message;

/** Writes and removes a probe file in `dir`: only a real write proves a directory writable. */
function probe(dir: string): void {
  const file = join(dir, `.descent-probe-${process.pid}`);
  writeFileSync(file, '', { flag: 'wx' });
  unlinkSync(file);
}

/**
 * Creates `dir` (and its missing parents, see `makeDirs`), then proves it writable; throws
 * naming `option`, the value and the reason. Returns the call that removes the directories it
 * created if they are still empty (for a command that fails before it writes there).
 */
export function ensureWritableDir(dir: string, option: string): () => void {
  let created: string[];
  try {
    created = makeDirs(dir);
  } catch (e) {
    throw new Error(`${option} ${dir}: ${reason(e)}`);
  }
  const undo = () => removeEmpty(created);
  try {
    probe(resolve(dir));
  } catch (e) {
    undo();
    throw new Error(`${option} ${dir}: cannot write there: ${reason(e)}`);
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
