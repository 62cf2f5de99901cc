import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../packages/lab/src/lab/browser.ts', import.meta.url));
/** The core's sources: the lab imports the core package (descent-optim), which is browser-safe. */
const OPTIM_SRC = fileURLToPath(new URL('../packages/optim/src/', import.meta.url));

/** Every module specifier (static `from '...'` and dynamic `import('...')`) in a source file. */
function specifiers(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)].map((m) => m[1]!);
}

test('the browser entry of the lab reaches no Node built-in and no package but the core', () => {
  const seen = new Set<string>();
  const queue = [ENTRY];
  const offenders: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (spec.startsWith('descent-optim/internal/'))
        queue.push(resolve(OPTIM_SRC, `${spec.slice('descent-optim/internal/'.length)}.ts`));
      else if (spec === 'descent-optim') queue.push(resolve(OPTIM_SRC, 'index.ts'));
      else offenders.push(`${file}: ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
  // The walk did reach the loop, the samplers and the core it steps.
  const names = [...seen].map((f) => f.split('/src/')[1]);
  for (const f of ['lab/trainer.ts', 'lab/sampler.ts', 'lab/functions.ts', 'optimizers.ts']) {
    assert.ok(names.includes(f), `${f} reached`);
  }
});
