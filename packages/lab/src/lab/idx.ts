import type { Dataset } from './dataset.ts';

/** An IDX array of unsigned bytes (the MNIST file format): its dimensions and its data. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/**
 * Parses an uncompressed IDX file of unsigned bytes: a big-endian header (two zero bytes, the type
 * code 0x08, the number of dimensions), the dimension sizes as big-endian uint32, then the data.
 */
export function parseIdx(bytes: Uint8Array, what = 'IDX file'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new RangeError(`${what}: not an IDX file (bad magic number)`);
  }
  if (bytes[2] !== 0x08) {
    throw new RangeError(
      `${what}: IDX type 0x${bytes[2]!.toString(16)} is not supported (only unsigned bytes, 0x08)`,
    );
  }
  const nd = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = 4 + 4 * nd;
  if (bytes.length < header) throw new RangeError(`${what}: truncated header`);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + count) {
    throw new RangeError(
      `${what}: header says ${dims.join('x')} = ${count} bytes of data, file has ${bytes.length - header}`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}

/** Builds a data set from an IDX image array (n × rows × cols) and label array (n), pixels / 255. */
export function idxToDataset(images: IdxArray, labels: IdxArray, classes = 10): Dataset {
  if (images.dims.length !== 3) {
    throw new RangeError(`images: expected 3 dimensions, got ${images.dims.length}`);
  }
  if (labels.dims.length !== 1) {
    throw new RangeError(`labels: expected 1 dimension, got ${labels.dims.length}`);
  }
  const [n, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new RangeError(`images has ${n} samples but labels has ${labels.dims[0]}`);
  }
  const x = new Float32Array(n * rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  for (let i = 0; i < n; i++) {
    if (labels.data[i]! >= classes) {
      throw new RangeError(`labels[${i}] = ${labels.data[i]} is not in [0, ${classes})`);
    }
  }
  return { size: n, features: rows * cols, classes, x, y: labels.data.slice() };
}
