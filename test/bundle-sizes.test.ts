// The core stays small in a browser bundle: the wasm kernels come only with descent-optim/fast.
// Bundles the built packages (dist/) with Vite, as bench/bundle-sizes.ts does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CASES, measureBundle } from '../bench/bundle-sizes.ts';

// Issue 16's goal for `import { SGD }`.
const GOAL_GZIP = 10 * 1024;

test(
  'a browser bundle of the core has no kernels; with descent-optim/fast it has them',
  { timeout: 120_000 },
  async () => {
    const [sgd, adam, fast] = await Promise.all(CASES.slice(0, 3).map((c) => measureBundle(c)));
    assert.equal(sgd!.hasKernels, false, sgd!.name);
    assert.equal(adam!.hasKernels, false, adam!.name);
    assert.equal(fast!.hasKernels, true, fast!.name);
    assert.ok(
      sgd!.gzipBytes < GOAL_GZIP,
      `${sgd!.name}: ${sgd!.gzipBytes} bytes gzipped, the goal is under ${GOAL_GZIP}`,
    );
  },
);
