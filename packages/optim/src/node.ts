// The Node entry of `descent-optim` (the "node" export condition): everything of the universal
// entry plus the wasm kernels, installed, so that Node users get the fast path by default.
export * from './index.ts';
export * from './fast.ts';
