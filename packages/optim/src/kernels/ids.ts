/**
 * The kernels of the wasm module, by number: `${name}_${f32|f64}_${bits}` are its exports, and
 * `arrays` is how many buffers each takes (the first is the parameter, the second the gradient,
 * read only; the others are written in place).
 */
export const KERNEL_NAMES = [
  'sgd',
  'sgdm',
  'adagrad',
  'adadelta',
  'rmsprop',
  'adam',
  'adamax',
  'nadam',
  'radam',
  'stream1',
  'stream2',
  'stream3',
  'stream4',
  'probe_sqrt',
  'probe_div',
] as const;

export type KernelName = (typeof KERNEL_NAMES)[number];

/** Buffers per kernel, in `KERNEL_NAMES` order. */
export const KERNEL_ARRAYS: readonly number[] = [2, 3, 3, 4, 5, 5, 4, 4, 4, 2, 3, 4, 5, 2, 2];
/** Boolean variant flags per kernel (2^flags exports per float type). */
export const KERNEL_FLAGS: readonly number[] = [2, 4, 2, 2, 4, 4, 2, 3, 4, 0, 0, 0, 0, 0, 0];

/** Kernel numbers by name. */
export const K = Object.fromEntries(KERNEL_NAMES.map((n, i) => [n, i])) as Record<
  KernelName,
  number
>;

/** Exports per kernel and float type: room for the largest variant set. */
export const VARIANTS = 16;

/** Slot of `(kernel, float64?, bits)` in an arena's function table. */
export function slotOf(kernel: number, f64: boolean, bits: number): number {
  return (kernel * 2 + (f64 ? 1 : 0)) * VARIANTS + bits;
}

/** The export name of every slot (`undefined` for unused slots). */
export function exportNames(): string[] {
  const names: string[] = [];
  KERNEL_NAMES.forEach((name, k) => {
    for (const f64 of [false, true]) {
      for (let bits = 0; bits < 1 << (KERNEL_FLAGS[k] as number); bits++) {
        names[slotOf(k, f64, bits)] = `${name}_${f64 ? 'f64' : 'f32'}_${bits}`;
      }
    }
  });
  return names;
}
