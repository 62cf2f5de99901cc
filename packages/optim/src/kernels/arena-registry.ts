import type { FloatBuffer } from '../core/types.ts';
import type { Arena } from './arena.ts';

// Which arena owns which memory. Kept apart from the arena class so that the core can ask "is this
// buffer in an arena?" without importing the wasm kernels (only code that creates arenas does).
const arenas = new WeakMap<ArrayBufferLike, Arena>();

/** Records `arena` as the owner of `buffer`. */
export function registerArena(buffer: ArrayBufferLike, arena: Arena): void {
  arenas.set(buffer, arena);
}

/** The arena whose memory holds `buf`, if any. */
export function arenaOf(buf: FloatBuffer): Arena | undefined {
  return arenas.get(buf.buffer);
}
