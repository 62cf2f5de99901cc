import type { FloatBuffer } from '../core/types.ts';

/**
 * The switch between a rule's plain loop and the wasm SIMD kernels. The rules call {@link runFast};
 * it answers false (run the plain loop) until an engine is installed, which importing
 * `descent-optim/fast` does (and the Node entry of `descent-optim`). This keeps the kernels' bytes
 * out of a browser bundle that never uses them.
 */
export type KernelEngine = (
  kernel: number,
  bits: number,
  p: FloatBuffer,
  g: FloatBuffer,
  a2: FloatBuffer | null,
  a3: FloatBuffer | null,
  a4: FloatBuffer | null,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  s4: number,
  s5: number,
  s6: number,
  s7: number,
  s8: number,
  s9: number,
) => boolean;

/** Below this length the plain loop is as fast as any route (a wasm call is not free). */
export const MIN_LENGTH = 64;

let engine: KernelEngine | null = null;
let enabled = true;

/** @internal Installs the wasm kernels (called by `descent-optim/fast` when imported). */
export function installFastPath(run: KernelEngine): void {
  engine = run;
}

/** Whether the wasm kernels are loaded (by importing `descent-optim/fast`, or in Node). */
export function fastPathLoaded(): boolean {
  return engine !== null;
}

/** Turns the wasm fast paths on or off (on by default); off, every rule runs its plain loop. */
export function setFastPaths(on: boolean): void {
  if (typeof on !== 'boolean')
    throw new TypeError(`setFastPaths: expected a boolean, got ${String(on)}`);
  enabled = on;
}

/** Whether the fast paths are on (they run only where the kernels are also loaded). */
export function fastPathsEnabled(): boolean {
  return enabled;
}

/**
 * Runs kernel `kernel` (variant `bits`) over `p` and its companions (`g`, then the state slots
 * `a2..a4`, null where unused) with scalars `s0..s9`, and returns true; returns false when the
 * caller must run its plain loop (no kernels loaded, fast paths off, no wasm SIMD, a tiny buffer).
 */
export const runFast: KernelEngine = (
  kernel,
  bits,
  p,
  g,
  a2,
  a3,
  a4,
  s0,
  s1,
  s2,
  s3,
  s4,
  s5,
  s6,
  s7,
  s8,
  s9,
) =>
  engine !== null &&
  enabled &&
  p.length >= MIN_LENGTH &&
  engine(kernel, bits, p, g, a2, a3, a4, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9);
