import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseCase, type GoldenCase } from '../../packages/lab/src/replay/case.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));
/** Reference trajectories of optimizers outside torch.optim (their implementations' own code). */
export const EXTRA_FIXTURE_DIR = fileURLToPath(new URL('../fixtures/extra/', import.meta.url));

/** Every golden case of a folder (default: the PyTorch reference set), by file name. */
export function loadCases(
  filter: (file: string) => boolean = () => true,
  dir: string = FIXTURE_DIR,
): [string, GoldenCase][] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && filter(f))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      return [f, parseCase(JSON.parse(readFileSync(path, 'utf8')), path)];
    });
}
