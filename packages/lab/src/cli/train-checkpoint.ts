import type { FloatBuffer } from 'descent-optim/internal/core/types';
import {
  CheckpointError,
  loadCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  type Restorable,
} from 'descent-optim/checkpoint';
import type { Trainer, TrainerState } from '../lab/trainer.ts';

/** What identifies a run: a checkpoint resumes only the run it came from. */
export interface RunConfig {
  problem: string;
  optimizer: string;
  lr: number | null;
  batchSize: number | 'full';
  seed: number;
  backend: string | null;
}

const paramsByName = (params: readonly FloatBuffer[]) =>
  Object.fromEntries(params.map((p, i) => [`p${i}`, p]));

/**
 * Saves the run (parameters, optimizer, trainer with its sampler, config) atomically. The
 * optimizer goes in live, so the checkpoint records which parameter each of its buffers is; the
 * shapes are the model's where it knows them (else the optimizer's).
 */
export async function saveRun(file: string, trainer: Trainer, config: RunConfig): Promise<void> {
  const { params, shapes } = trainer.model;
  await saveCheckpoint(file, {
    params: paramsByName(params),
    ...(shapes ? { shapes: Object.fromEntries(shapes.map((s, i) => [`p${i}`, s])) } : {}),
    optimizer: trainer.optimizer,
    extra: { config, trainer: trainer.stateDict() },
  });
}

/**
 * Restores a run from a checkpoint written by {@link saveRun}: refused, with the differing
 * setting named, when it comes from another problem, optimizer, lr, batch size, seed or backend.
 */
export async function resumeRun(file: string, trainer: Trainer, config: RunConfig): Promise<void> {
  const content = await loadCheckpoint(file);
  const extra = content.extra as { config?: RunConfig; trainer?: TrainerState } | undefined;
  if (!extra?.config || !extra.trainer) {
    throw new CheckpointError(`${file}: not a checkpoint of descent train (no run configuration)`);
  }
  for (const key of Object.keys(config) as (keyof RunConfig)[]) {
    if (extra.config[key] !== config[key]) {
      throw new CheckpointError(
        `${file}: the checkpoint is from ${key} ${String(extra.config[key])}, this run has ${String(config[key])}`,
      );
    }
  }
  // All or nothing: the trainer first (it checks before it changes), then parameters and
  // optimizer, which restoreCheckpoint loads together or not at all.
  const before = trainer.stateDict();
  trainer.loadStateDict(extra.trainer);
  try {
    restoreCheckpoint(content, {
      params: paramsByName(trainer.model.params),
      optimizer: trainer.optimizer as unknown as Restorable,
    });
  } catch (e) {
    trainer.loadStateDict(before);
    throw e;
  }
}
