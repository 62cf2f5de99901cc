import type { FloatBuffer } from '../core/types.ts';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
} from './safetensors.ts';
import { joinTree, splitTree } from './tree.ts';

/** Version of descent's checkpoint layout inside the safetensors header. */
export const CHECKPOINT_VERSION = 1;
const FORMAT = 'descent/checkpoint';

/**
 * Everything a training run needs to continue: the parameters (by name), and the plain-data
 * states of the optimizer (with its wrappers), the scheduler and the sampler, plus free-form
 * `extra` (the run's configuration, the step). Each state is what its `stateDict()` returns.
 */
export interface CheckpointContent {
  params: Record<string, FloatBuffer>;
  optimizer?: unknown;
  scheduler?: unknown;
  sampler?: unknown;
  extra?: unknown;
}

/**
 * The tensors (with PyTorch-style names) and the metadata (the JSON skeleton around them) that
 * hold a checkpoint; refuses, naming the path, anything that would not load back as it is.
 */
export function checkpointTensors(content: CheckpointContent): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  const { params, ...states } = content;
  const { tensors, skeleton } = splitTree({ params, ...states });
  const header = { format: FORMAT, version: CHECKPOINT_VERSION, tree: skeleton };
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

/** Rebuilds a checkpoint from its verified tensors and metadata, checking the descent layout. */
export function checkpointFromTensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
): CheckpointContent {
  const bad = (why: string): never => {
    throw new CheckpointError(`not a valid descent checkpoint: ${why}`);
  };
  if (typeof metadata.descent !== 'string')
    bad('the header has no descent metadata (a safetensors file from elsewhere?)');
  let header: { format?: unknown; version?: unknown; tree?: unknown };
  try {
    header = JSON.parse(metadata.descent as string);
  } catch {
    return bad('the descent metadata is not JSON');
  }
  if (header.format !== FORMAT) bad(`format is ${JSON.stringify(header.format)}, not ${FORMAT}`);
  if (header.version !== CHECKPOINT_VERSION) {
    bad(
      `version ${String(header.version)} is not supported (this descent reads version ${CHECKPOINT_VERSION})`,
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
  return tree;
}

/** Something whose state a checkpoint holds: an optimizer, a wrapper, a scheduler, a sampler. */
export interface Restorable {
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

export interface RestoreTargets {
  params: Record<string, FloatBuffer>;
  optimizer?: Restorable;
  scheduler?: Restorable;
  sampler?: Restorable;
}

/**
 * Applies a decoded checkpoint to live objects, all or nothing: the parameters must match by
 * name, length and dtype (else it is "another model"), each state loads through its own checked
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
