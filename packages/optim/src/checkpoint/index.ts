/**
 * `descent-optim/checkpoint`: checkpoints as safetensors files of any size, streamed, with atomic
 * writes and verified loads.
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
export {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
  type TensorArray,
} from './safetensors.ts';
export { crc32 } from './crc32.ts';
