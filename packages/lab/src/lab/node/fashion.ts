import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Split } from '../dataset.ts';
import { idxToDataset, parseIdx } from '../idx.ts';

/** Where Debian's `dataset-fashion-mnist` package puts the four IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Reads an IDX file, raw or gzipped (told apart by the gzip magic bytes, not the name). */
function readIdx(dir: string, base: string) {
  const path = [join(dir, base + '.gz'), join(dir, base)].find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `Fashion-MNIST not found: ${join(dir, base)}[.gz] is missing. Install it with ` +
        '`apt-get install -y dataset-fashion-mnist` (Debian), or pass --data DIR with the four ' +
        'standard IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
        't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; gzipped or raw)',
    );
  }
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  return parseIdx(bytes, path);
}

const cache = new Map<string, Split>();

/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) from `dir`: the standard split, 60,000 training and
 * 10,000 test 28×28 images in 10 classes, pixels scaled to [0, 1].
 */
export function loadFashionMnist(dir: string = FASHION_MNIST_DIR): Split {
  let split = cache.get(dir);
  if (!split) {
    split = {
      train: idxToDataset(readIdx(dir, FILES.trainImages), readIdx(dir, FILES.trainLabels)),
      test: idxToDataset(readIdx(dir, FILES.testImages), readIdx(dir, FILES.testLabels)),
    };
    cache.set(dir, split);
  }
  return split;
}
