import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

// Every ```js block of the README runs as written, through the package name; a block whose last
// console.log carries a `// expected` comment must print exactly that.
const blocks = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] as string);

describe('README examples', () => {
  test('there are examples', () => assert.ok(blocks.length >= 1));
  blocks.forEach((code, i) => {
    const firstLine = code.split('\n').find((l) => l.startsWith('import')) ?? `block ${i}`;
    test(`example ${i + 1}: ${firstLine}`, () => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)\n/g)].at(-1)?.[1];
      if (expected !== undefined) assert.equal(r.stdout.trim().split('\n').at(-1), expected);
    });
  });
});
