import { arenaOf } from './arena-registry.ts';
import type { FloatBuffer } from './types.ts';

/**
 * A new state buffer of the parameter's type and length, filled with `fill`. A parameter that
 * lives in a wasm arena gets its state in the same arena, so its steps run in place.
 */
export function allocLike(p: FloatBuffer, fill: number): FloatBuffer {
  const arena = arenaOf(p);
  if (arena) return arena.like(p, fill);
  const buf = p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length);
  if (fill !== 0) buf.fill(fill);
  return buf;
}
