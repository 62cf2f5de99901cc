/**
 * `descent-optim/checkpoint`: checkpoints as safetensors files of any size, streamed, with atomic
 * writes and verified loads (the format: docs/checkpoint-format.md); and weights from any
 * safetensors producer, assigned to parameters by name.
 */
export {
  CHECKPOINT_VERSION,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreCheckpoint,
  type CheckpointContent,
  type Restorable,
  type RestoreTargets,
} from './checkpoint.ts';
export { loadCheckpoint, saveCheckpoint } from './file.ts';
export type { LiveOptimizer } from './param-layout.ts';
export {
  assignWeights,
  decodeWeights,
  loadWeights,
  type FloatWeight,
  type IntegerWeight,
  type Weight,
} from './weights.ts';
export {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
  type TensorArray,
} from './safetensors.ts';
export { crc32 } from './crc32.ts';
