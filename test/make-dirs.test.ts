// makeDirs: the one directory creation of the lab (the CLI's --out check and writeReport).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeDirs, removeEmpty } from '../packages/lab/src/lab/node/make-dirs.ts';

test('creates missing parents one level at a time and can remove them again', () => {
  const base = mkdtempSync(join(tmpdir(), 'descent-dirs-'));
  const created = makeDirs(join(base, 'a', 'b', 'c'));
  assert.deepEqual(created, [join(base, 'a'), join(base, 'a', 'b'), join(base, 'a', 'b', 'c')]);
  assert.deepEqual(makeDirs(join(base, 'a')), [], 'an existing directory creates nothing');
  removeEmpty(created);
  assert.equal(existsSync(join(base, 'a')), false);
});

test(
  'fails at once where mkdir -p would spin (/proc/nope, a dangling symlink)',
  { timeout: 10_000 },
  () => {
    assert.throws(() => makeDirs('/proc/nope/report'), /cannot create the directory/);
    const base = mkdtempSync(join(tmpdir(), 'descent-dirs-'));
    symlinkSync(join(base, 'missing'), join(base, 'link'));
    assert.throws(
      () => makeDirs(join(base, 'link', 'x')),
      /is a symbolic link to a missing target/,
    );
  },
);
