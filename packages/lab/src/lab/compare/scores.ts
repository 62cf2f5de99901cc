import type { RaceProblem } from './race-problem.ts';
import type { RunRecord } from './run.ts';
import { median } from './tuning.ts';

// What one seed's run counts as, in one place: the ranking, the tuning, the claims and the
// batch race all read a run through these.

type Objective = Pick<RaceProblem, 'objective'>;

/** A loss at or below this fraction of the run's initial loss has converged (rounding decides below). */
export const CONVERGED = 1e-10;

/** What an untrained run scores: its initial loss, or for saddles a never-escaping run. */
export function noProgress(p: Objective, r: RunRecord): number {
  return p.objective === 'escape' ? r.steps + 1 : r.initialLoss;
}

/**
 * Whether a run failed: it diverged, or (saddles) never escaped, or ended with a higher loss than
 * it started from: training that leaves a model worse than untouched is no success.
 */
export function failedRun(p: Objective, r: RunRecord): boolean {
  if (!Number.isFinite(r.score)) return true;
  return p.objective === 'loss' && r.score > r.initialLoss;
}

/** A seed's score as the mean counts it: failures and worse-than-untrained runs as no progress. */
export function cappedScore(p: Objective, r: RunRecord): number {
  const worst = noProgress(p, r);
  return Number.isFinite(r.score) ? Math.min(r.score, worst) : worst;
}

/** A loss that has converged: at or below CONVERGED times the run's initial loss. */
export function convergedRun(p: Objective, r: RunRecord): boolean {
  return (
    p.objective === 'loss' &&
    Number.isFinite(r.score) &&
    r.score <= CONVERGED * Math.abs(r.initialLoss)
  );
}

/**
 * The value the comparisons use: the capped score, a converged loss raised to its seed's floor
 * (CONVERGED × its initial loss), so that rounding below the floor decides nothing.
 */
export function seedValue(p: Objective, r: RunRecord): number {
  const s = cappedScore(p, r);
  return p.objective === 'loss' ? Math.max(s, CONVERGED * Math.abs(r.initialLoss)) : s;
}

/** The target loss: 90% of the best improvement any non-diverged run made over the median start. */
export function lossTarget(runs: readonly RunRecord[]): number | null {
  const finals = runs
    .filter((r) => !r.diverged)
    .map((r) => r.finalTrainLoss)
    .filter((x): x is number => x !== null && Number.isFinite(x));
  if (finals.length === 0) return null;
  const best = Math.min(...finals);
  return best + 0.1 * (median(runs.map((r) => r.initialLoss)) - best);
}

/**
 * When a data-set run's whole-training-set loss first reached `target`, checked at every epoch's
 * end: the training time by then and the epochs (0 and 0 when it started there), or null.
 */
export function epochReach(
  r: RunRecord,
  target: number | null,
): { ms: number; epochs: number } | null {
  if (target === null) return null;
  if (r.initialLoss <= target) return { ms: 0, epochs: 0 };
  const e = r.epochs.trainLoss.findIndex((l) => l <= target);
  return e < 0 ? null : { ms: r.epochs.timeMs[e]!, epochs: e + 1 };
}

/** Training time per update, ms (null for a run that took no step). */
export function msPerUpdate(r: RunRecord): number | null {
  return r.steps > 0 ? r.timeMs / r.steps : null;
}
