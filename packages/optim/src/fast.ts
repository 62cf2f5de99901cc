/**
 * `descent-optim/fast`: the wasm SIMD kernels. Importing this module installs them, after which
 * every rule's step runs its fused kernel (in place for buffers in an {@link Arena}, through a
 * cache-sized copy otherwise), and `fastMatmul` the blocked SIMD matrix product. In Node,
 * `descent-optim` imports it for you; a browser bundle includes the kernels (about 300 KB) only
 * when it imports this entry.
 */
import { runKernel } from './kernels/dispatch.ts';
import { installFastPath } from './kernels/fast-path.ts';
import { installFastMatmul } from './kernels/matmul.ts';
import { runMatmul } from './kernels/matmul-wasm.ts';

installFastPath(runKernel);
installFastMatmul(runMatmul);

export { Arena, createArena, createArenaSync, type ArenaOptions } from './kernels/arena.ts';
export { compileKernels, hasWasmSimd } from './kernels/module.ts';
