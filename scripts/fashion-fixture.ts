/**
 * Cuts the small Fashion-MNIST fixture in test/fixtures/fashion-mnist/ from the full data set:
 * the first TRAIN training and TEST test images with their labels, in the four standard IDX files
 * (gzipped), so that the tests run on a machine without Debian's `dataset-fashion-mnist`.
 *
 *   node --conditions=source --import tsx scripts/fashion-fixture.ts [SOURCE_DIR]
 *
 * SOURCE_DIR defaults to the loader's default directory (Debian's package). The output is
 * byte-for-byte reproducible: gzip level 9 and Node's zlib writes no timestamp.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FASHION_MNIST_DIR, parseIdx } from '../packages/lab/src/lab/index.ts';

/** How many images of each split the fixture keeps (about 300 KB gzipped in all). */
export const TRAIN = 600;
export const TEST = 100;

const OUT = fileURLToPath(new URL('../test/fixtures/fashion-mnist/', import.meta.url));

/** Reads `base` (raw or .gz) and writes its first `n` records, with the header's count set to n. */
function cut(from: string, base: string, n: number): void {
  const path = [join(from, base + '.gz'), join(from, base)].find((p) => existsSync(p));
  if (!path) throw new Error(`${join(from, base)}[.gz] is missing`);
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const { dims } = parseIdx(bytes, path); // validates the header against the file's length
  if (dims[0]! < n) throw new RangeError(`${base}: has ${dims[0]} records, the fixture needs ${n}`);
  const header = 4 + 4 * dims.length;
  const record = dims.slice(1).reduce((a, b) => a * b, 1);
  const out = Buffer.from(bytes.subarray(0, header + n * record));
  out.writeUInt32BE(n, 4);
  writeFileSync(join(OUT, base + '.gz'), gzipSync(out, { level: 9 }));
}

const from = process.argv[2] ?? FASHION_MNIST_DIR;
mkdirSync(OUT, { recursive: true });
cut(from, 'train-images-idx3-ubyte', TRAIN);
cut(from, 'train-labels-idx1-ubyte', TRAIN);
cut(from, 't10k-images-idx3-ubyte', TEST);
cut(from, 't10k-labels-idx1-ubyte', TEST);
console.log(`wrote ${TRAIN} training and ${TEST} test images from ${from} to ${OUT}`);
