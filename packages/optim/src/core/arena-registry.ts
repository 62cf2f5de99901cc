import type { FloatBuffer } from './types.ts';

/**
 * What the core needs of an arena (a wasm memory that hands out typed-array views): room for a
 * parameter's state beside the parameter. The arena itself lives a floor up, in `kernels/`.
 */
export interface ArenaHome {
  /** A buffer of `like`'s type and length in the arena, filled with `fill`. */
  like(like: FloatBuffer, fill: number): FloatBuffer;
}

// Which arena owns which memory. Kept in the core so that the optimizer can ask "is this buffer
// in an arena?" without importing the wasm kernels (only code that creates arenas does).
const arenas = new WeakMap<ArrayBufferLike, ArenaHome>();

/** Records `arena` as the owner of `buffer`. */
export function registerArena(buffer: ArrayBufferLike, arena: ArenaHome): void {
  arenas.set(buffer, arena);
}

/**
 * The arena whose memory holds `buf`, if any. `A` is the type the caller registered (the
 * kernels' `Arena`): only arenas are ever registered here.
 */
export function arenaOf<A extends ArenaHome = ArenaHome>(buf: FloatBuffer): A | undefined {
  return arenas.get(buf.buffer) as A | undefined;
}
