import { selectRows, type Dataset, type Split } from './dataset.ts';

/** Rows in the UCI digits file. */
export const DIGITS_SIZE = 1797;

/**
 * Whether row `k` of its class (0-based, counting that class's rows in file order) is a test row:
 * every fifth one (k mod 5 = 4) is.
 */
export const isDigitsTestRow = (k: number) => k % 5 === 4;

/**
 * Parses the UCI "Optical Recognition of Handwritten Digits" CSV (64 pixels 0..16 then the label,
 * no header) into a data set with pixels scaled to [0, 1].
 */
export function parseDigitsCsv(text: string): Dataset {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const x = new Float32Array(lines.length * 64);
  const y = new Uint8Array(lines.length);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== 65) {
      throw new RangeError(`digits CSV line ${r + 1}: expected 65 values, got ${cells.length}`);
    }
    for (let j = 0; j < 65; j++) {
      const v = Number(cells[j]);
      const max = j < 64 ? 16 : 9;
      if (!Number.isInteger(v) || v < 0 || v > max) {
        throw new RangeError(
          `digits CSV line ${r + 1}, column ${j + 1}: expected an integer in [0, ${max}], got "${cells[j]}"`,
        );
      }
      if (j < 64) x[r * 64 + j] = v / 16;
      else y[r] = v;
    }
  });
  return { size: lines.length, features: 64, classes: 10, x, y };
}

/**
 * The fixed digits split, stratified and free of randomness: within each class, rows are counted
 * in file order and every fifth (count mod 5 = 4) goes to the test set. That gives 1442 training
 * and 355 test rows, 34–36 test rows per class, spread over the whole file (and so over all
 * writers).
 */
export function splitDigits(all: Dataset): Split {
  if (all.size !== DIGITS_SIZE) {
    throw new RangeError(`digits: expected ${DIGITS_SIZE} rows, got ${all.size}`);
  }
  const seen = new Array<number>(all.classes).fill(0);
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < all.size; i++) {
    const c = all.y[i]!;
    (isDigitsTestRow(seen[c]!++) ? test : train).push(i);
  }
  return { train: selectRows(all, train), test: selectRows(all, test) };
}
