import * as tf from '@tensorflow/tfjs-core';
import type { Stepper } from '../wrappers/stepper.ts';
import {
  build,
  factoryFor,
  type Built,
  type Placed,
  type StepHook,
  type StepperFactory,
} from './factories.ts';
import { decodeState, encodeState, type StateBuffer } from './state-codec.ts';
import { WeightBinding, type TakenPath, type UpdatePath } from './weights.ts';

/** The adapter's saved state: the optimizer's state dict and its schedulers'. */
export interface TfOptimizerState {
  format: 'descent/tfjs';
  version: 1;
  /** `stateDict()` of the descent optimizer, or null before its first step. */
  optimizer: unknown;
  schedulers: unknown[];
}

/** tfjs-core's `NamedTensor`, which its index does not export. */
type NamedTensor = { name: string; tensor: tf.Tensor };
type Options = Readonly<Record<string, unknown>>;

const STATE_VERSION = 1;
// Names of the weights `getWeights` returns after the iteration counter; read back by position.
const STATE_WEIGHT = 'descent/state';
const BUFFER_WEIGHT = 'descent/buffer/';

/**
 * A TensorFlow.js optimizer that runs a descent optimizer (any of `tfOptimizerNames()`, or a
 * factory). Use it in `model.compile({ optimizer })`, `minimize` or `applyGradients`. The descent
 * optimizer is built over the variables of the first `applyGradients` call, in that order, and
 * keyed by position from then on; `model.save(h, { includeOptimizer: true })` saves its full
 * state, which `tf.loadLayersModel` restores.
 */
export class DescentOptimizer extends tf.Optimizer {
  /** The name tfjs-layers' serialization registry knows this class by. */
  static className = 'DescentOptimizer';

  /** How the weights are written; see {@link UpdatePath}. Not saved. */
  updatePath: UpdatePath = 'auto';
  /** The path the last step took. */
  lastPath: TakenPath | null = null;

  private readonly factory: StepperFactory;
  private built: Placed | null = null;
  private binding: WeightBinding | null = null;
  private names: string[] = [];
  private positions = new Map<string, number>();
  private pending: TfOptimizerState | null = null;
  private handedOut: tf.Tensor[] = [];
  private disposed = false;
  /** What the optimizer's state dict calls it (`"Adam"`, `"SWATS"`), to refuse foreign states early. */
  private readonly kind: string | null;

  /**
   * @param optimizer a registered name, or a factory (which cannot be rebuilt on load unless it is
   *   registered by name)
   * @param options the descent optimizer's options, as in its class (`{ lr, betas, ... }`)
   */
  constructor(
    readonly optimizer: string | StepperFactory,
    readonly options: Options = {},
  ) {
    super();
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`tfOptimizer: options must be an object, got ${String(options)}`);
    }
    this.factory = typeof optimizer === 'function' ? optimizer : factoryFor(optimizer);
    this.options = { ...options };
    // Build once over a probe buffer so that bad names and options fail here, not mid-fit: a
    // 1×1 matrix, which every optimizer takes (Muon takes nothing else).
    this.kind = kindOf(
      build(this.factory, [new Float32Array(1)], this.options, [
        { name: 'probe', shape: [1, 1] },
      ]).optimizer.stateDict(),
    );
  }

  /** The live descent optimizer (or wrapper), from the first step on; null before. */
  get descent(): Stepper | null {
    return this.built?.optimizer ?? null;
  }

  /** The schedulers the factory returned, stepped after every optimizer step. */
  get schedulers(): readonly StepHook[] {
    return this.built?.schedulers ?? [];
  }

  /** Names of the variables, in the positions the state is kept by (empty before a step). */
  get variableNames(): readonly string[] {
    return this.names;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    if (this.disposed) throw new Error('tfOptimizer: this optimizer has been disposed');
    const entries: [string, tf.Tensor | null | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor])
      : Object.entries(variableGradients);
    if (!this.built) this.start(entries.map(([name]) => name));
    const grads: (tf.Tensor | null)[] = this.names.map(() => null);
    for (const [name, g] of entries) {
      const i = this.positions.get(name);
      if (i === undefined) {
        throw new RangeError(
          `tfOptimizer: got a gradient for variable "${name}", but this optimizer was built for ` +
            `[${this.names.join(', ')}]; use one optimizer per set of variables`,
        );
      }
      if (g && g.dtype !== 'float32') {
        throw new TypeError(`tfOptimizer: gradient of "${name}" is ${g.dtype}, not float32`);
      }
      grads[i] = g ?? null;
    }
    const { optimizer, schedulers = [], order } = this.built as Placed;
    const identity = order.every((k, j) => k === j);
    this.lastPath = (this.binding as WeightBinding).step(grads, this.updatePath, (arrays) =>
      optimizer.step(identity ? arrays : order.map((k) => arrays[k] ?? null)),
    );
    for (const s of schedulers) s.step();
    this.incrementIterations();
  }

  /** Builds the descent optimizer over the named variables, then loads any pending state. */
  private start(names: string[]): void {
    const registered = tf.engine().registeredVariables;
    const variables = names.map((name) => {
      const v = registered[name];
      if (!v) throw new RangeError(`tfOptimizer: no variable named "${name}"`);
      if (v.dtype !== 'float32') {
        throw new TypeError(`tfOptimizer: variable "${name}" is ${v.dtype}, not float32`);
      }
      return v;
    });
    const masters = variables.map((v) => Float32Array.from(v.dataSync()));
    const infos = variables.map((v) => ({ name: v.name, shape: v.shape.slice() }));
    const built = build(this.factory, masters, this.options, infos);
    if (this.pending) loadInto(built, this.pending);
    this.built = built;
    this.pending = null;
    this.names = names;
    this.positions = new Map(names.map((n, i) => [n, i]));
    this.binding = new WeightBinding(variables, masters);
  }

  /** The full state as plain data (copies); what `getWeights` saves. */
  stateDict(): TfOptimizerState {
    if (!this.built) {
      return (
        this.pending ?? {
          format: 'descent/tfjs',
          version: STATE_VERSION,
          optimizer: null,
          schedulers: [],
        }
      );
    }
    return {
      format: 'descent/tfjs',
      version: STATE_VERSION,
      optimizer: this.built.optimizer.stateDict(),
      schedulers: (this.built.schedulers ?? []).map((s) => s.stateDict()),
    };
  }

  /**
   * Restores a state from {@link stateDict}: at once if the optimizer is built, else at its
   * first step (when the variables are known), where a mismatch throws.
   */
  loadStateDict(state: TfOptimizerState): void {
    checkState(state);
    const saved = kindOf(state.optimizer);
    if (state.optimizer !== null && saved !== this.kind) {
      throw new RangeError(
        `tfOptimizer: cannot load state: it was saved by ${String(saved)}, this optimizer is ${String(this.kind)}`,
      );
    }
    if (this.built) loadInto(this.built, state);
    else this.pending = state;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    // The caller (model.save) reads these but does not dispose them: keep the last set alive
    // until the next call or dispose(), so repeated saves do not leak.
    tf.dispose(this.handedOut);
    const { json, buffers } = encodeState(this.stateDict());
    const tensors = [tf.scalar(json, 'string'), ...buffers.map(bufferTensor)];
    this.handedOut = tensors;
    const named = tensors.map((tensor, k) => ({
      name: k === 0 ? STATE_WEIGHT : `${BUFFER_WEIGHT}${k - 1}`,
      tensor,
    }));
    return [await this.saveIterations(), ...named];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const [head, ...buffers] = rest;
    if (!head || head.tensor.dtype !== 'string') {
      throw new RangeError(
        'tfOptimizer: these optimizer weights were not saved by descent/tfjs (no state record)',
      );
    }
    const json = (await head.tensor.data()) as unknown as string[];
    const arrays = await Promise.all(buffers.map(({ tensor }) => readBuffer(tensor)));
    this.loadStateDict(decodeState(json[0] as string, arrays) as TfOptimizerState);
  }

  override getConfig(): tf.serialization.ConfigDict {
    if (typeof this.optimizer !== 'string') {
      throw new TypeError(
        'tfOptimizer: an optimizer built from an unnamed factory cannot be saved with the model; ' +
          'register the factory with registerTfOptimizer(name, factory) and use tfOptimizer(name)',
      );
    }
    // JSON text, so that every option (nested arrays, exact doubles) comes back as it was.
    // A function option (SWATS's schedule) cannot be saved: register a factory that sets it.
    return { optimizer: this.optimizer, options: encodeState(this.options, 'options').json };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const options = typeof config.options === 'string' ? decodeState(config.options, []) : {};
    return new cls(config.optimizer, options);
  }

  /** Drops the optimizer's state (slots, step counts); the model's weights stay as they are. */
  override dispose(): void {
    tf.dispose(this.handedOut);
    this.handedOut = [];
    this.built = null;
    this.binding = null;
    this.pending = null;
    this.disposed = true;
    super.dispose();
  }
}

tf.serialization.registerClass(DescentOptimizer);

function checkState(state: TfOptimizerState): void {
  if (state?.format !== 'descent/tfjs' || state.version !== STATE_VERSION) {
    throw new RangeError(
      `tfOptimizer: cannot load state: expected format descent/tfjs version ${STATE_VERSION}, ` +
        `got ${String(state?.format)} version ${String(state?.version)}`,
    );
  }
}

/** The name a state dict gives its optimizer or wrapper (`optimizer` or `type`), if any. */
function kindOf(state: unknown): string | null {
  const s = state as { optimizer?: unknown; type?: unknown } | null;
  const tag = s?.optimizer ?? s?.type;
  return typeof tag === 'string' ? tag : null;
}

/** Loads a state into a built optimizer and its schedulers. */
function loadInto(built: Built, state: TfOptimizerState): void {
  const schedulers = built.schedulers ?? [];
  if (state.schedulers.length !== schedulers.length) {
    throw new RangeError(
      `tfOptimizer: cannot load state: it has ${state.schedulers.length} schedulers, this optimizer ${schedulers.length}`,
    );
  }
  if (state.optimizer !== null) built.optimizer.loadStateDict(state.optimizer as never);
  schedulers.forEach((s, i) => s.loadStateDict(state.schedulers[i] as never));
}

/** A tensor holding a state buffer exactly: float32 as is, float64 as its bytes in int32s. */
function bufferTensor(b: StateBuffer): tf.Tensor {
  if (b instanceof Float32Array) return tf.tensor1d(b.slice(), 'float32');
  if (b instanceof Int32Array) return tf.tensor1d(b.slice(), 'int32');
  return tf.tensor2d(new Int32Array(b.slice().buffer), [b.length, 2], 'int32');
}

async function readBuffer(t: tf.Tensor): Promise<StateBuffer> {
  const data = await t.data();
  if (t.dtype === 'float32') return Float32Array.from(data as Float32Array);
  const ints = Int32Array.from(data as Int32Array);
  return t.rank === 2 && t.shape[1] === 2 ? new Float64Array(ints.buffer) : ints;
}
