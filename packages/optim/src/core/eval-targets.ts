import type { FloatBuffer } from './types.ts';
import { describe } from './validate.ts';

/** `out` in a message: its type, or each buffer's type and length. */
function shown(out: unknown): string {
  if (!Array.isArray(out)) return describe(out);
  const one = (b: unknown) =>
    ArrayBuffer.isView(b) ? `${describe(b)}(${(b as FloatBuffer).length})` : describe(b);
  return `[${out.map(one).join(', ')}]`;
}

/**
 * The buffers an `evalParams(out?)` writes its eval point into (Schedule-Free's x, ASGD's
 * average, a Partition's): `out`, once checked to hold one float buffer per parameter of its
 * length, or else new copies of the parameters. A RangeError naming `owner` otherwise.
 */
export function evalTargets(
  owner: string,
  params: readonly FloatBuffer[],
  out: FloatBuffer[] | undefined,
): FloatBuffer[] {
  if (out === undefined) return params.map((p) => p.slice());
  const fits =
    Array.isArray(out) &&
    out.length === params.length &&
    out.every(
      (b, i) =>
        (b instanceof Float32Array || b instanceof Float64Array) && b.length === params[i]!.length,
    );
  if (!fits) {
    throw new RangeError(
      `${owner}: evalParams(out) needs one Float32Array or Float64Array per parameter, of its length (${params.map((p) => p.length).join(', ')}), got ${shown(out)}`,
    );
  }
  return out;
}
