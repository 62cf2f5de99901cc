import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseCase, type GoldenCase } from '../../packages/lab/src/replay/case.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));

/** Every golden case copied from the PyTorch reference set, by file name. */
export function loadCases(filter: (file: string) => boolean = () => true): [string, GoldenCase][] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json') && filter(f))
    .sort()
    .map((f) => {
      const path = join(FIXTURE_DIR, f);
      return [f, parseCase(JSON.parse(readFileSync(path, 'utf8')), path)];
    });
}
