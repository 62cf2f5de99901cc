import { findOptimizer, OPTIMIZER_NAMES } from 'descent-optim/internal/optimizers';
import { COMPOSED_CONTENDERS as COMPOSED, type Contender } from '../lab/compare/contenders.ts';
import type { TrainOptions } from '../lab/trainer.ts';

// compare's contenders that are no single optimizer (adam-sgd: Adam, then SGD; muon: Muon on
// the matrices, AdamW on the rest): train builds them as compare does, so that the two commands
// take the same names. `muon` is one of them: the library's Muon takes matrices only.
const composedNames: readonly string[] = COMPOSED.map((c) => c.name);

// Those whose step takes a closure (LBFGS) evaluate one full-batch loss several times per step:
// train steps on mini-batch gradients.
const STEPPED: readonly string[] = OPTIMIZER_NAMES.filter(
  (n) => !findOptimizer(n).closure && !composedNames.includes(n),
);

/**
 * Every name `descent train --optimizer` takes: createOptimizer's (but a closure step's), then
 * compare's adam-sgd and muon (Muon+AdamW).
 */
export const TRAIN_OPTIMIZERS: readonly string[] = [...STEPPED, ...COMPOSED.map((c) => c.name)];

/** An optimizer of `descent train`, checked by name before any work. */
export interface TrainOptimizer {
  /** The lower-case name, as recorded in the output and in checkpoints. */
  readonly name: string;
  /** compare's contender for a composed optimizer (adam-sgd, muon); undefined for a named one. */
  readonly composed?: Contender;
}

/** Looks `name` up (case-insensitive); the error lists every name train takes. */
export function findTrainOptimizer(name: string): TrainOptimizer {
  const key = name.toLowerCase();
  if (STEPPED.includes(key)) return { name: key };
  const composed = COMPOSED.find((c) => c.name === key);
  if (composed) return { name: key, composed };
  if ((OPTIMIZER_NAMES as readonly string[]).includes(key)) {
    throw new Error(
      `--optimizer: ${key} takes a closure over one full-batch loss, evaluated several times per step; train steps on mini-batch gradients (known: ${TRAIN_OPTIMIZERS.join(', ')})`,
    );
  }
  throw new Error(
    `--optimizer: unknown optimizer "${name}"; known: ${TRAIN_OPTIMIZERS.join(', ')}`,
  );
}

/**
 * The Trainer's optimizer options: a name with its lr for a named optimizer; for a composed one
 * the contender's own build at `lr` (default: its own) for a run of `steps` steps, since its
 * switch point is a fraction of the run, over the model's shapes (muon gives Muon the matrices).
 */
export function trainerOptimizer(
  o: TrainOptimizer,
  lr: number | undefined,
  steps: number,
): Pick<TrainOptions, 'optimizer' | 'optimizerOptions'> {
  const c = o.composed;
  if (!c) return { optimizer: o.name, optimizerOptions: lr !== undefined ? { lr } : {} };
  return { optimizer: (params, shapes) => c.build(params, lr ?? c.defaultLr, steps, shapes) };
}
