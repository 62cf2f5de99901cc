import { floatDtype, isFloatBuffer, type Gradient } from './gradients.ts';
import type { FloatBuffer, SparseGradient } from './types.ts';
import { describe } from './validate.ts';

const dtypeOf = (x: FloatBuffer) => floatDtype(x);

/**
 * Checks the gradients handed to `step` against the parameters, before anything is touched:
 * count, type, length and dtype; for sparse ones also the row size, the index range and order.
 * `sparseRefusal(i)` says why parameter i cannot take a sparse gradient (or null).
 */
export function checkGradients(
  name: string,
  grads: readonly Gradient[],
  params: readonly FloatBuffer[],
  sparseRefusal: (i: number) => string | null,
): void {
  if (!Array.isArray(grads)) {
    throw new TypeError(`${name}: step expects an array of gradients, got ${describe(grads)}`);
  }
  if (grads.length !== params.length) {
    throw new RangeError(
      `${name}: step got ${grads.length} gradients for ${params.length} parameters`,
    );
  }
  // A plain loop, not forEach: this runs on every step, which must not allocate.
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (g === null || g === undefined) continue;
    const p = params[i] as FloatBuffer;
    if (isFloatBuffer(g)) {
      if (g.length !== p.length) {
        throw new RangeError(
          `${name}: gradient ${i} has length ${g.length}, its parameter has length ${p.length}`,
        );
      }
      if (dtypeOf(g) !== dtypeOf(p)) {
        throw new TypeError(
          `${name}: gradient ${i} is ${dtypeOf(g)}, its parameter is ${dtypeOf(p)}`,
        );
      }
      continue;
    }
    if (typeof g !== 'object' || !('indices' in g) || !('values' in g)) {
      throw new TypeError(
        `${name}: gradient ${i} must be a Float32Array, a Float64Array or a sparse gradient { indices, values, rowSize }, got ${describe(g)}`,
      );
    }
    checkSparse(name, i, g, p);
    const refusal = sparseRefusal(i);
    if (refusal) throw new RangeError(`${name}: gradient ${i} is sparse: ${refusal}`);
  }
}

function checkSparse(name: string, i: number, g: SparseGradient, p: FloatBuffer): void {
  const where = `${name}: sparse gradient ${i}`;
  const rowSize = g.rowSize ?? 1;
  if (!Number.isInteger(rowSize) || rowSize < 1 || p.length % rowSize !== 0) {
    throw new RangeError(
      `${where}: rowSize must be an integer >= 1 dividing the parameter length ${p.length}, got ${String(rowSize)}`,
    );
  }
  if (!isFloatBuffer(g.values) || dtypeOf(g.values) !== dtypeOf(p)) {
    throw new TypeError(
      `${where}: values must be a ${p.constructor.name}, got ${describe(g.values)}`,
    );
  }
  const rows = p.length / rowSize;
  const { indices } = g;
  if (g.values.length !== indices.length * rowSize) {
    throw new RangeError(
      `${where}: has ${indices.length} indices of ${rowSize} values, so ${indices.length * rowSize} values, got ${g.values.length}`,
    );
  }
  let previous = -1;
  for (let k = 0; k < indices.length; k++) {
    const r = indices[k] as number;
    if (!Number.isInteger(r) || r < 0 || r >= rows) {
      throw new RangeError(`${where}: index ${r} at position ${k} is outside [0, ${rows})`);
    }
    if (r <= previous) {
      throw new RangeError(
        `${where}: indices must be strictly increasing (coalesce duplicates by summing them), got ${r} after ${previous}`,
      );
    }
    previous = r;
  }
}
