import type { PairedInterval } from './bootstrap.ts';
import type { Contender, DegenerateAs } from './contenders.ts';
import type { RaceProblem } from './race-problem.ts';
import type { RunRecord } from './run.ts';

// What a race returns (and results.json holds): plain data, typed once here.

/** Where an optimizer stands on one problem. */
export interface Standing {
  /** 1 = best; optimizers tied exactly share the mean of their places (e.g. 2.5). */
  rank: number;
  /** Within the seeds' noise of the best: its bootstrap interval holds 0 (always true for the best). */
  withinNoiseOfBest: boolean;
  /** The bootstrap interval of its per-seed difference from the best (null: best, or one seed). */
  vsBest: PairedInterval | null;
}

/** One optimizer over all problems. */
export interface OverallRow {
  optimizer: string;
  label: string;
  /** Mean of its (tie-averaged) ranks over the problems. */
  meanRank: number;
  /** Its place by mean rank (ties shared). */
  rank: number;
  ranks: Record<string, number>;
  /** Problems on which at least one of its tuned seeds failed. */
  failedOn: string[];
}

/** Whether the mean ranks differ beyond chance (Friedman), and by how much they must (Nemenyi). */
export interface OverallTest {
  problems: number;
  friedman: { chi2: number; df: number; p: number };
  /** Mean ranks closer than this are not told apart at α (Nemenyi; Demšar 2006). */
  criticalDifference: number;
  alpha: number;
}

/** Dolan and Moré (2002) performance profile over the problems. */
export interface PerformanceProfileResult {
  /** What the cost is: steps to the target (loss problems) or to escape (saddles). */
  measure: string;
  taus: number[];
  /** Per optimizer: the fraction of problems solved within τ times the best optimizer's cost. */
  rho: Record<string, number[]>;
}

export interface OptimizerSummary {
  /** Each seed's score (Infinity: diverged, or never escaped). */
  scores: number[];
  /** Seeds that diverged or (saddles) never escaped. */
  failedSeeds: number;
  /**
   * Mean score over seeds, a failed seed (or one that ended worse than it started) counted as no
   * progress: the untrained loss, or for saddles the run length + 1. The ranking key after
   * `failedSeeds`.
   */
  meanScore: number;
  /** Sample standard deviation of the same per-seed values. */
  sdScore: number;
  medianScore: number;
  /** Mean and sd of the final training loss over the seeds that did not diverge (null: none). */
  meanFinalLoss: number | null;
  sdFinalLoss: number | null;
  /** How many seeds `meanFinalLoss` is over. */
  finalLossSeeds: number;
  meanTestAccuracy: number | null;
  sdTestAccuracy: number | null;
  /** Each seed's exact step of reaching the target (null: not reached). */
  stepsToTargetBySeed: (number | null)[];
  /** Median steps to the target (null when fewer than half the seeds reach it). */
  stepsToTarget: number | null;
  /** Median epochs to the target (data sets). */
  epochsToTarget: number | null;
  /** Median wall time to the target, ms. */
  timeToTargetMs: number | null;
  divergedSeeds: number;
  /** Median escape step over seeds (saddles; null when fewer than half escape). */
  escapeStep: number | null;
  meanTimeMs: number;
  /** Median over seeds of the training throughput, samples/s (data sets; null otherwise). */
  samplesPerSecond: number | null;
  /** Median over seeds of the per-update loss's spread around its trend (null: none measured). */
  lossNoise: number | null;
}

/** One learning rate tried on every seed, and how it did. */
export interface Candidate {
  lr: number;
  scores: number[];
  failedSeeds: number;
  meanScore: number;
}

export interface OptimizerResult extends Standing {
  name: string;
  label: string;
  family: Contender['family'];
  /** `classic` (SGD to RAdam, Adam→SGD) or `new` (Lion, Schedule-Free, Prodigy, ...). */
  era: Contender['era'];
  /** It set its own step size (Prodigy): raced at its default lr only, with no sweep. */
  selfTuning: boolean;
  defaultLr: number;
  /** Seed 0 at every lr tried (coarse grid, extensions, refinement), ascending in lr. */
  sweep: {
    lr: number;
    score: number;
    finalTrainLoss: number | null;
    diverged: boolean;
    /** On the coarse grid (true) or a refinement point (false). */
    coarse: boolean;
  }[];
  /** The coarse grid's spacing and the resolution near the best point, in decades. */
  grid: { spacing: number; resolution: number; lo: number; hi: number; extended: number };
  /** The learning rate chosen over every seed (null when every lr diverged). */
  bestLr: number | null;
  /** The chosen lr is the smallest or largest tried: the optimum may lie beyond the grid. */
  lrAtEdge: boolean;
  /** Which end, and why it could not move: `low`, `high`, or `cap` (the problem's lr cap). */
  lrEdge: 'low' | 'high' | 'cap' | null;
  /** The best learning rates of seed 0, each run on every seed; the chosen one among them. */
  candidates: Candidate[];
  /** Expected best score of random search over the coarse grid with k trials, k = 1..n. */
  expectedBest: { trials: number; score: number }[];
  /** The coarse learning rates within 10% of the best improvement, and their width in decades. */
  goodLrs: number[];
  goodDecades: number;
  tuned: RunRecord[];
  defaults: RunRecord[];
  summary: OptimizerSummary;
  defaultSummary: OptimizerSummary;
  /**
   * Where it was exactly another optimizer on this problem (`muon`, Muon+AdamW, on a problem
   * without matrix parameters is AdamW): `{ optimizer: 'adamw', label: 'AdamW', reason: 'no
   * matrix parameters' }`. It still ranks there (the ranking needs every optimizer on every
   * problem); the report shows it beside its name, and claims about the method leave it out.
   * Absent where it ran as itself.
   */
  degenerateAs?: DegenerateAs;
}

export interface ProblemResult {
  name: string;
  description: string;
  kind: RaceProblem['kind'];
  objective: RaceProblem['objective'];
  epochs: number;
  batchSize: RaceProblem['batchSize'];
  /** The loss a run must reach to count as converged: 90% of the best improvement. */
  target: number | null;
  /** `step`: the loss is known after every step (full batch); `epoch`: at every epoch's end. */
  targetResolution: 'step' | 'epoch';
  /** Steps per epoch. */
  stepsPerEpoch: number;
  /** Whether runs are long enough (median 1 s or more) for wall-time plots to mean anything. */
  timesMeaningful: boolean;
  /** Test function data for plots (2-D functions). */
  fn: { name: string; window: number[][]; minima: number[][]; contour: 'log' | 'linear' } | null;
  optimizers: OptimizerResult[];
  /** Optimizer names, best first (ties in input order; `rank` says who shares a place). */
  ranking: string[];
  /** Optimizers within the seeds' noise of the best (see `separation`). */
  leaders: string[];
  /** How the leaders were told apart from the rest. */
  separation: string;
}

export interface CompareResults {
  schema: 'descent/compare';
  version: 2;
  config: {
    optimizers: string[];
    seeds: number;
    lr: number | null;
    tuned: boolean;
    /** The tuning protocol in words. */
    protocol: string;
  };
  problems: ProblemResult[];
  /** Mean rank of each optimizer over the problems, best first. */
  overall: OverallRow[];
  /** Friedman test of the ranks and the Nemenyi critical difference (null: one problem). */
  overallTest: OverallTest | null;
  /** Performance profile: how often each optimizer is within τ of the fastest. */
  profile: PerformanceProfileResult;
}
