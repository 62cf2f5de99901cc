import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Dataset, Split } from '../dataset.ts';
import { selectRows } from '../dataset.ts';
import { Rng } from '../rng.ts';

/**
 * Reads a classification data set from a CSV file (optionally gzipped): numeric columns, the
 * last one an integer class label in [0, 255]; a header line is skipped if it is not numeric.
 * Splits it 80/20 into train and test with a seeded shuffle. Errors name the file's line (as an
 * editor numbers it: header and blank lines counted) and the column.
 */
export function loadCsvSplit(path: string, seed = 0): Split {
  let text: string;
  try {
    const raw = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `data file ${path} does not exist`
        : `cannot read ${path}: ${(e as Error).message}`,
    );
  }
  // Each row keeps its line number in the file (1-based), for errors: blank lines and the
  // header are skipped, so the row's index is not it.
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => ({ line, no: i + 1 }))
    .filter((l) => l.line.trim() !== '');
  if (
    lines.length > 0 &&
    lines[0]!.line.split(',').some((c) => c.trim() !== '' && Number.isNaN(Number(c)))
  )
    lines.shift();
  if (lines.length < 5) throw new Error(`${path}: needs at least 5 data rows, got ${lines.length}`);
  const features = lines[0]!.line.split(',').length - 1;
  if (features < 1) throw new Error(`${path}: needs feature columns and a label column`);
  const x = new Float32Array(lines.length * features);
  const y = new Uint8Array(lines.length);
  lines.forEach(({ line, no }, r) => {
    const cells = line.split(',');
    if (cells.length !== features + 1)
      throw new Error(`${path}:${no}: expected ${features + 1} columns, got ${cells.length}`);
    cells.forEach((c, j) => {
      const v = Number(c);
      if (c.trim() === '' || !Number.isFinite(v))
        throw new Error(`${path}:${no}: column ${j + 1} is not a number: ${JSON.stringify(c)}`);
      if (j < features) x[r * features + j] = v;
      else if (!Number.isInteger(v) || v < 0 || v > 255)
        throw new Error(`${path}:${no}: the label must be an integer in [0, 255], got ${c}`);
      else y[r] = v;
    });
  });
  const all: Dataset = { size: lines.length, features, classes: Math.max(...y) + 1, x, y };
  const order = Array.from({ length: all.size }, (_, i) => i);
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cut = Math.round(all.size * 0.8);
  return { train: selectRows(all, order.slice(0, cut)), test: selectRows(all, order.slice(cut)) };
}
