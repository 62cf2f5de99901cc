import * as tf from '@tensorflow/tfjs-core';

/**
 * How the model's weights are updated: `'auto'` updates them in place on the `cpu` backend and
 * through fresh tensors elsewhere; `'copy'` always goes through fresh tensors.
 */
export type UpdatePath = 'auto' | 'copy';

/** Which path a step took (for tests and diagnostics). */
export type TakenPath = 'cpu-in-place' | 'copy';

type DataId = object;

/** The cpu backend's bookkeeping for one tensor (tfjs-backend-cpu's `TensorData`). */
interface CpuEntry {
  values: unknown;
  refCount: number;
}

interface CpuStorage {
  get(id: DataId): CpuEntry | undefined;
  has(id: DataId): boolean;
}

/** The cpu backend's data map, when the current backend is one we know how to share memory with. */
function cpuStorage(): CpuStorage | null {
  if (tf.getBackend() !== 'cpu') return null;
  const data = (tf.backend() as unknown as { data?: Partial<CpuStorage> }).data;
  return data && typeof data.get === 'function' && typeof data.has === 'function'
    ? (data as CpuStorage)
    : null;
}

/**
 * Keeps a model's variables and descent's parameter buffers ("masters", one `Float32Array` per
 * variable, which the optimizer updates in place) in step.
 *
 * - On `cpu`, each variable's tensor data IS its master: a step updates the weights in place
 *   through the core's fused kernel and copies nothing. If anything else shares that memory (a
 *   `clone()` of the weight, an old tensor we bound earlier), it gets a private copy first, so
 *   the in-place update is never seen outside the variable. If the variable was assigned from
 *   outside (`setWeights`, `loadWeights`), its new values are copied into the master and the
 *   variable is bound to it again.
 * - Elsewhere (`wasm`, `webgl`, ...), the master is a copy: gradients are read out, the kernel
 *   runs on the copy, and every variable is assigned a fresh tensor holding the new values. The
 *   weights' memory is never written in place: the wasm backend caches packed matmul weights by
 *   tensor and would keep using the old ones.
 */
export class WeightBinding {
  /** The data we last gave each variable; a different one means it was assigned from outside. */
  private readonly bound: (DataId | null)[];

  constructor(
    readonly variables: readonly tf.Variable[],
    readonly masters: readonly Float32Array[],
  ) {
    this.bound = variables.map(() => null);
  }

  /**
   * Runs `update` (the optimizer step over the masters) with the gradients as `Float32Array`s
   * (null where a variable has no gradient), then makes the variables hold the new values.
   */
  step(
    grads: readonly (tf.Tensor | null)[],
    path: UpdatePath,
    update: (grads: (Float32Array | null)[]) => void,
  ): TakenPath {
    const storage = path === 'auto' ? cpuStorage() : null;
    if (storage) {
      this.stepInPlace(storage, grads, update);
      return 'cpu-in-place';
    }
    this.stepByCopy(grads, update);
    return 'copy';
  }

  private stepInPlace(
    storage: CpuStorage,
    grads: readonly (tf.Tensor | null)[],
    update: (grads: (Float32Array | null)[]) => void,
  ): void {
    this.variables.forEach((v, i) => this.own(storage, v, i));
    const arrays = grads.map((g) => {
      if (!g) return null;
      const values = storage.get(g.dataId)?.values;
      if (!(values instanceof Float32Array)) return g.dataSync() as Float32Array;
      // A gradient that shares a weight's memory must not change while the weights are written.
      return this.masters.includes(values) ? values.slice() : values;
    });
    update(arrays);
  }

  /** Makes variable `i` the only holder of its master, which holds its current values. */
  private own(storage: CpuStorage, v: tf.Variable, i: number): void {
    const master = this.masters[i] as Float32Array;
    const entry = storage.get(v.dataId);
    if (entry && entry.values === master && entry.refCount === 1) return;
    // Whoever else still holds the master (a clone, or the data we bound before an outside
    // assign) keeps a private copy of the values it saw.
    const old = this.bound[i];
    const oldEntry = old && storage.has(old) ? storage.get(old) : undefined;
    if (oldEntry && oldEntry.values === master) oldEntry.values = master.slice();
    if (entry && entry !== oldEntry) master.set(entry.values as Float32Array);
    else if (!entry) master.set(v.dataSync());
    const t = tf.tensor(master, v.shape, 'float32');
    v.assign(t);
    t.dispose();
    if (storage.get(v.dataId)?.values !== master) {
      throw new Error(
        'descent/tfjs: the cpu backend copied a weight on write; use updatePath "copy"',
      );
    }
    this.bound[i] = v.dataId;
  }

  private stepByCopy(
    grads: readonly (tf.Tensor | null)[],
    update: (grads: (Float32Array | null)[]) => void,
  ): void {
    this.variables.forEach((v, i) => {
      if (this.bound[i] !== v.dataId) (this.masters[i] as Float32Array).set(v.dataSync());
    });
    // dataSync may hand out the backend's own memory (cpu); the kernel only reads gradients.
    update(grads.map((g) => (g ? (g.dataSync() as Float32Array) : null)));
    // Backends that keep the array they are given (cpu, webgl until upload) get a copy.
    const keepsInput = tf.getBackend() !== 'wasm';
    this.variables.forEach((v, i) => {
      const m = this.masters[i] as Float32Array;
      const t = tf.tensor(keepsInput ? m.slice() : m, v.shape, 'float32');
      v.assign(t);
      t.dispose();
      this.bound[i] = v.dataId;
    });
  }
}
