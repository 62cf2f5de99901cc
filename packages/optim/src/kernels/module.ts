import { KERNELS_WASM, KERNELS_WASM_SHARED } from './generated/wasm.ts';

/**
 * The compiled kernel modules. Compiling is done once; `WebAssembly.Module` is synchronous, which
 * Node allows for any size but a browser's main thread only for tiny modules, so browsers call
 * the async {@link compileKernels} (through `createArena`) first.
 */
export interface KernelModules {
  readonly plain: WebAssembly.Module;
  readonly shared: WebAssembly.Module;
}

let compiled: KernelModules | null = null;
let pending: Promise<KernelModules> | null = null;

function decode(b64: string): Uint8Array<ArrayBuffer> {
  // atob exists in browsers and in Node >= 16; the bytes are decoded once.
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// The smallest module using a v128 instruction: validates only where wasm SIMD exists.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15,
  253, 98, 11,
]);

/** Whether this engine has WebAssembly with 128-bit SIMD (Node >= 16, current browsers). */
export function hasWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The kernel modules, compiled synchronously now (throws where the engine refuses to). */
export function kernelModulesSync(): KernelModules {
  if (!compiled) {
    if (!hasWasmSimd()) throw new Error('descent: this engine lacks WebAssembly SIMD');
    compiled = {
      plain: new WebAssembly.Module(decode(KERNELS_WASM)),
      shared: new WebAssembly.Module(decode(KERNELS_WASM_SHARED)),
    };
  }
  return compiled;
}

/** The kernel modules, compiled asynchronously (works on a browser's main thread). */
export function compileKernels(): Promise<KernelModules> {
  if (compiled) return Promise.resolve(compiled);
  if (!pending) {
    if (!hasWasmSimd())
      return Promise.reject(new Error('descent: this engine lacks WebAssembly SIMD'));
    pending = Promise.all([
      WebAssembly.compile(decode(KERNELS_WASM)),
      WebAssembly.compile(decode(KERNELS_WASM_SHARED)),
    ]).then(([plain, shared]) => (compiled = { plain, shared }));
  }
  return pending;
}
