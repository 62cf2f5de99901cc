import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Split } from '../dataset.ts';
import { parseDigitsCsv, splitDigits } from '../digits.ts';

// data/ sits two levels above both src/lab/node/ and dist/lab/node/.
const DIGITS_FILE = new URL('../../../data/digits.csv.gz', import.meta.url);

let cached: Split | undefined;

/** The embedded UCI digits set (shipped as data/digits.csv.gz), split as {@link splitDigits}. */
export function loadDigits(): Split {
  cached ??= splitDigits(parseDigitsCsv(gunzipSync(readFileSync(DIGITS_FILE)).toString('utf8')));
  return cached;
}
