import { arenaOf } from './arena-registry.ts';
import type { FloatBuffer } from './types.ts';

/**
 * A new state buffer of the parameter's type, of the parameter's length unless `length` says
 * otherwise, filled with `fill`. A parameter that lives in a wasm arena gets its state in the
 * same arena, so its steps run in place (only parameter-sized state: the kernels step those).
 */
export function allocLike(p: FloatBuffer, fill: number, length = p.length): FloatBuffer {
  const arena = arenaOf(p);
  if (arena && length === p.length) return arena.like(p, fill);
  const buf = p instanceof Float32Array ? new Float32Array(length) : new Float64Array(length);
  if (fill !== 0) buf.fill(fill);
  return buf;
}
