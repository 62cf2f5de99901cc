import type { FloatBuffer } from './types.ts';

/** A new state buffer of the parameter's type and length, filled with `fill`. */
export function allocLike(p: FloatBuffer, fill: number): FloatBuffer {
  const buf = p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length);
  if (fill !== 0) buf.fill(fill);
  return buf;
}
