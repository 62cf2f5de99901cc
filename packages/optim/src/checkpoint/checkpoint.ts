import type { FloatBuffer, Shape } from '../core/types.ts';
import {
  asStateDict,
  isLiveOptimizer,
  namesByIdentity,
  optimizerParamsProblem,
  paramShapes,
  pathKey,
  slotShapes,
} from './param-layout.ts';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
} from './safetensors.ts';
import { joinTree, splitTree } from './tree.ts';

/** Version of descent's checkpoint layout inside the safetensors header (written). */
export const CHECKPOINT_VERSION = 2;
/** The versions read: 1 (before names and shapes) and 2. */
const READS = [1, 2];
const FORMAT = 'descent/checkpoint';

/**
 * Everything a training run needs to continue: the parameters (by name), and the plain-data
 * states of the optimizer (with its wrappers), the scheduler and the sampler, plus free-form
 * `extra` (the run's configuration, the step). Each state is what its `stateDict()` returns; the
 * optimizer may also be given live (see `optimizer`). The layout on disk is specified in
 * docs/checkpoint-format.md.
 */
export interface CheckpointContent {
  params: Record<string, FloatBuffer>;
  /**
   * The shape of parameters by name. On save: optional and partial; a parameter without one
   * takes the live optimizer's shape for its buffer, else it is a vector. On load: every
   * parameter's (absent for a version 1 file).
   */
  shapes?: Record<string, Shape>;
  /**
   * On save: a state dict (`optimizer.stateDict()`), or the live optimizer or wrapper (anything
   * with `stateDict()` and `params`): then the checkpoint records which parameter each optimizer
   * buffer is (`optimizerParams`) and takes their shapes from the optimizer. On load: the state.
   */
  optimizer?: unknown;
  /**
   * The parameter name of each flat index of the optimizer's state (its `params` order). On
   * save: worked out from a live optimizer, or given with a state dict (one loaded keeps its
   * own); on load: present where the file records it.
   */
  optimizerParams?: readonly string[];
  scheduler?: unknown;
  sampler?: unknown;
  extra?: unknown;
}

/** The JSON header (`__metadata__.descent`) of a version 2 checkpoint. */
interface Header {
  format: typeof FORMAT;
  version: number;
  tree: unknown;
  params: Record<string, { shape: number[] }>;
  optimizerParams: string[] | null;
}

/**
 * The tensors (with PyTorch-style names and the parameters' shapes) and the metadata (the JSON
 * skeleton around them, the shapes, the optimizer's parameter names) that hold a checkpoint;
 * refuses, naming the path, anything that would not load back as it is.
 */
export function checkpointTensors(content: CheckpointContent): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  const refuse = (why: string): never => {
    throw new RangeError(`checkpoint: ${why}`);
  };
  const { params, shapes: given, optimizerParams: givenNames, ...states } = content;
  if (params === null || typeof params !== 'object')
    refuse(`params must be an object of buffers by name, got ${String(params)}`);
  let names: string[] | null = null;
  let optimizerShapes: unknown;
  if (isLiveOptimizer(states.optimizer)) {
    const live = states.optimizer;
    names = namesByIdentity(Array.from(live.params), params, refuse);
    states.optimizer = live.stateDict();
    optimizerShapes = live.paramShapes ?? asStateDict(states.optimizer)?.paramShapes;
    if (givenNames !== undefined && givenNames.join('\u0000') !== names.join('\u0000')) {
      refuse(
        `optimizerParams [${givenNames.join(', ')}] disagrees with the live optimizer's buffers [${names.join(', ')}]`,
      );
    }
  } else if (givenNames !== undefined) {
    const problem = optimizerParamsProblem(givenNames, params, states.optimizer);
    if (problem) refuse(problem);
    names = givenNames.slice();
    optimizerShapes = asStateDict(states.optimizer)?.paramShapes;
  }
  const shapes = paramShapes(params, given, names, optimizerShapes, refuse);
  const slots =
    'optimizer' in states
      ? slotShapes(states.optimizer, ['optimizer'], names, shapes)
      : new Map<string, number[]>();
  const shapeAt = (path: readonly string[]) =>
    path.length === 2 && path[0] === 'params' ? shapes[path[1]!] : slots.get(pathKey(path));
  const { tensors, skeleton } = splitTree({ params, ...states }, shapeAt);
  const header: Header = {
    format: FORMAT,
    version: CHECKPOINT_VERSION,
    tree: skeleton,
    params: Object.fromEntries(Object.entries(shapes).map(([n, shape]) => [n, { shape }])),
    optimizerParams: names,
  };
  return { tensors, metadata: { descent: JSON.stringify(header) } };
}

/** Encodes a checkpoint as safetensors bytes in memory (files: `saveCheckpoint`, which streams). */
export function encodeCheckpoint(content: CheckpointContent): Uint8Array {
  const { tensors, metadata } = checkpointTensors(content);
  return encodeSafetensors(tensors, metadata);
}

/** Decodes and verifies checkpoint bytes (see `decodeSafetensors` for what is checked). */
export function decodeCheckpoint(bytes: Uint8Array): CheckpointContent {
  const { tensors, metadata } = decodeSafetensors(bytes);
  return checkpointFromTensors(tensors, metadata);
}

/**
 * Rebuilds a checkpoint from its verified tensors and metadata, checking the descent layout:
 * for version 2 also that the recorded shapes are the parameters' (in the header and on their
 * tensors) and that `optimizerParams` names parameters, each once.
 */
export function checkpointFromTensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
): CheckpointContent {
  const bad = (why: string): never => {
    throw new CheckpointError(`not a valid descent checkpoint: ${why}`);
  };
  if (typeof metadata.descent !== 'string')
    bad('the header has no descent metadata (a safetensors file from elsewhere?)');
  let header: Partial<Record<keyof Header, unknown>>;
  try {
    header = JSON.parse(metadata.descent as string);
  } catch {
    return bad('the descent metadata is not JSON');
  }
  if (header === null || typeof header !== 'object')
    return bad('the descent metadata is not an object');
  if (header.format !== FORMAT) bad(`format is ${JSON.stringify(header.format)}, not ${FORMAT}`);
  if (!READS.includes(header.version as number)) {
    bad(
      `version ${String(header.version)} is not supported (this descent reads versions ${READS.join(' and ')})`,
    );
  }
  let tree: CheckpointContent;
  try {
    tree = joinTree(header.tree, tensors) as CheckpointContent;
  } catch (e) {
    return bad((e as Error).message);
  }
  const params = tree?.params;
  if (
    !params ||
    typeof params !== 'object' ||
    !Object.values(params).every((p) => p instanceof Float32Array || p instanceof Float64Array)
  ) {
    bad('it has no parameters of float32 or float64');
  }
  if (header.version === 1) return tree;

  const recorded = header.params;
  if (recorded === null || typeof recorded !== 'object' || Array.isArray(recorded))
    bad('its params entry is not an object of shapes by name');
  const names = Object.keys(params);
  const listed = Object.keys(recorded as object);
  if (listed.length !== names.length || !names.every((n) => Object.hasOwn(recorded as object, n)))
    bad(`its params entry lists [${listed.join(', ')}], the tree holds [${names.join(', ')}]`);
  const shapes: Record<string, number[]> = {};
  const refs = (header.tree as { params: Record<string, { $tensor: string }> }).params;
  for (const n of names) {
    const shape = (recorded as Record<string, { shape?: unknown } | null>)[n]?.shape;
    const stored = tensors[refs[n]!.$tensor]!.shape;
    if (
      !Array.isArray(shape) ||
      shape.length !== stored.length ||
      !shape.every((d, i) => d === stored[i])
    ) {
      bad(
        `parameter ${n} is recorded with shape ${JSON.stringify(shape)}, its tensor has [${stored.join(', ')}]`,
      );
    }
    shapes[n] = stored.slice();
  }
  const out: CheckpointContent = { ...tree, shapes };
  const optimizerParams = header.optimizerParams;
  if (optimizerParams !== null && optimizerParams !== undefined) {
    const problem = optimizerParamsProblem(optimizerParams, params, tree.optimizer);
    if (problem) bad(problem);
    out.optimizerParams = optimizerParams as string[];
  }
  return out;
}

/** Something whose state a checkpoint holds: an optimizer, a wrapper, a scheduler, a sampler. */
export interface Restorable {
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

export interface RestoreTargets {
  params: Record<string, FloatBuffer>;
  /** With `params` (every descent optimizer and wrapper has them), checked by parameter name. */
  optimizer?: Restorable & { readonly params?: readonly FloatBuffer[] };
  scheduler?: Restorable;
  sampler?: Restorable;
}

/**
 * Applies a decoded checkpoint to live objects, all or nothing: the parameters must match by
 * name, length and dtype (else it is "another model"); where the checkpoint records which
 * parameter each optimizer buffer is (`optimizerParams`), the optimizer here must step the same
 * parameters in the same order (one built over them in another order, or in other groups, is
 * refused, never mapped: its groups would differ too); each state loads through its own checked
 * `loadStateDict`, and if any refuses, those already loaded are put back and nothing changes.
 */
export function restoreCheckpoint(content: CheckpointContent, targets: RestoreTargets): void {
  const bad = (why: string): never => {
    throw new CheckpointError(`checkpoint does not fit: ${why}`);
  };
  const want = Object.keys(targets.params);
  const have = Object.keys(content.params);
  const missing = want.filter((n) => !(n in content.params));
  if (missing.length > 0 || have.length !== want.length) {
    bad(
      `it holds parameters [${have.join(', ')}], this model has [${want.join(', ')}] (another model?)`,
    );
  }
  for (const name of want) {
    const p = targets.params[name] as FloatBuffer;
    const q = content.params[name] as FloatBuffer;
    if (q.length !== p.length)
      bad(`parameter ${name} has ${q.length} elements, here ${p.length} (another model?)`);
    if (q.constructor !== p.constructor)
      bad(`parameter ${name} is ${q.constructor.name}, here ${p.constructor.name}`);
  }
  const saved = content.optimizerParams;
  const live = targets.optimizer?.params;
  if (saved && live) {
    const here = namesByIdentity(Array.from(live), targets.params, bad);
    const at = saved.findIndex((n, i) => here[i] !== n);
    if (saved.length !== here.length) {
      bad(
        `its optimizer steps [${saved.join(', ')}], this one [${here.join(', ')}]; build the optimizer over the parameters the saved run stepped`,
      );
    }
    if (at >= 0) {
      bad(
        `optimizer parameter ${at} is ${saved[at]} in the checkpoint, ${here[at]} here: this optimizer steps [${here.join(', ')}], the saved one [${saved.join(', ')}]; build it over the parameters in the saved order and groups`,
      );
    }
  }
  const parts = (['optimizer', 'scheduler', 'sampler'] as const).filter((k) => targets[k]);
  for (const k of parts) if (content[k] === undefined) bad(`it has no ${k} state`);
  const loaded: [Restorable, unknown][] = [];
  try {
    for (const k of parts) {
      const target = targets[k] as Restorable;
      const before = target.stateDict();
      target.loadStateDict(content[k] as never);
      loaded.push([target, before]);
    }
  } catch (e) {
    for (const [target, before] of loaded.reverse()) target.loadStateDict(before as never);
    throw new CheckpointError(`checkpoint does not fit: ${(e as Error).message}`);
  }
  for (const name of want)
    (targets.params[name] as FloatBuffer).set(content.params[name] as FloatBuffer);
}
