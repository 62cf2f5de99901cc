import type { CompareResults, OptimizerResult, ProblemResult } from '../results.ts';
import { intervalText, pairedInterval, type PairedInterval } from '../bootstrap.ts';
import { seedValue } from '../scores.ts';
import { mean, median } from '../tuning.ts';

// What every claim shares: its result, the groups it compares, paired comparisons that call a
// win within noise a tie, the tally into a verdict, and the standing a run needs to be judged.

export type Verdict = 'supported' | 'not supported' | 'mixed' | 'not enough evidence';

/** One piece of the usual optimizer guidance, checked against this run. */
export interface ClaimResult {
  id: string;
  claim: string;
  /** What the claim needs before it can be judged (optimizers, problems, protocol). */
  requires: string;
  /** What was measured, with the numbers, in a few sentences. */
  evidence: string;
  verdict: Verdict;
  /** The figure of the report that shows the evidence. */
  figure: string;
}

export const SGD_FAMILY = ['sgd', 'momentum', 'nesterov'];
export const ADAPTIVE = ['adagrad', 'adadelta', 'rmsprop', 'adam'];
/** Dense logistic-regression problems (Kingma and Ba's MNIST setting, and the digits). */
export const DENSE_LOGREG = ['fashion-logreg', 'digits-logreg'];

export function opt(p: ProblemResult, name: string): OptimizerResult | undefined {
  return p.optimizers.find((o) => o.name === name);
}

export function group(p: ProblemResult, names: string[]): OptimizerResult[] {
  return names.map((n) => opt(p, n)).filter((o): o is OptimizerResult => o !== undefined);
}

/** The problems of one objective that raced 2+ adaptive and 2+ SGD-family optimizers. */
export function bothGroups(
  r: CompareResults,
  objective: ProblemResult['objective'],
): { p: ProblemResult; adaptive: OptimizerResult[]; sgd: OptimizerResult[] }[] {
  return r.problems
    .filter((p) => p.objective === objective)
    .map((p) => ({ p, adaptive: group(p, ADAPTIVE), sgd: group(p, SGD_FAMILY) }))
    .filter((x) => x.adaptive.length >= 2 && x.sgd.length >= 2);
}

/** How one comparison came out: the first side clearly better, clearly worse, or a tie. */
export type Outcome = 'better' | 'worse' | 'tie';

/**
 * Two per-seed series, lower is better, paired by seed. A side wins only when the 95% bootstrap
 * interval of their difference ({@link pairedInterval}, as the ranking uses) excludes 0 and the
 * mean difference exceeds `resolution`: a win within the seeds' noise, by one step, or by less
 * than what was measured, is a tie. One seed cannot tell.
 */
export function comparePaired(
  a: readonly number[],
  b: readonly number[],
  resolution = 0,
): { outcome: Outcome; interval: PairedInterval | null } {
  if (a.length < 2) return { outcome: 'tie', interval: null };
  const interval = pairedInterval(a, b);
  const meanDiff = mean(a) - mean(b);
  if (!interval.separated || Math.abs(meanDiff) <= resolution) return { outcome: 'tie', interval };
  return { outcome: meanDiff < 0 ? 'better' : 'worse', interval };
}

/** The comparison's interval in a claim's text: ", ratio 0.1 to 0.5" (or nothing, one seed). */
export const vsText = (c: { interval: PairedInterval | null }) =>
  c.interval === null ? '' : `, ${intervalText(c.interval)}`;

/** A group's value on each seed: the median over its optimizers. */
export function perSeed(
  os: OptimizerResult[],
  value: (o: OptimizerResult, seed: number) => number,
) {
  const seeds = os[0]?.tuned.length ?? 0;
  return Array.from({ length: seeds }, (_, i) => median(os.map((o) => value(o, i))));
}

/** A tuned seed's value as the ranking compares it (failures as no progress, converged floored). */
export const capped = (p: ProblemResult, o: OptimizerResult, i: number) =>
  seedValue(p, o.tuned[i]!);

export const stepsOn = (p: ProblemResult) => (o: OptimizerResult, i: number) =>
  o.summary.stepsToTargetBySeed[i] ?? p.epochs * p.stepsPerEpoch + 1;

/** `supported` when at least 2/3 of the comparisons agree, `not supported` at most 1/3. */
export function tally(agree: number, total: number): Verdict {
  if (total === 0) return 'not enough evidence';
  if (agree * 3 >= total * 2) return 'supported';
  if (agree * 3 <= total) return 'not supported';
  return 'mixed';
}

export function both(a: Verdict, b: Verdict): Verdict {
  if (a === 'not enough evidence' || b === 'not enough evidence')
    return a === 'not enough evidence' ? b : a;
  return a === b ? a : 'mixed';
}

export const count = (xs: Outcome[], o: Outcome) => xs.filter((x) => x === o).length;
export const outcomes = (xs: Outcome[], words: [string, string, string]) =>
  `${words[0]} on ${count(xs, 'better')}, ${words[1]} on ${count(xs, 'tie')}, ${words[2]} on ${count(xs, 'worse')}`;

/** Why a run cannot judge any claim: untuned learning rates, or one seed (no noise estimate). */
function protocolGap(r: CompareResults): string | null {
  if (!r.config.tuned)
    return `learning rates were not tuned (every optimizer ran at lr ${r.config.lr}), so differences reflect that one lr rather than the methods`;
  if (r.config.seeds < 2)
    return 'one seed: the noise between seeds cannot be measured, so no difference can be told from chance';
  return null;
}

function notEnough(
  base: Omit<ClaimResult, 'verdict' | 'evidence'>,
  why: string,
  measured = '',
): ClaimResult {
  return {
    ...base,
    verdict: 'not enough evidence',
    evidence: `Not judged: ${why}.${measured ? ` Measured anyway (descriptive only): ${measured}` : ''}`,
  };
}

/** The scaffolding every claim shares: the protocol check, then the claim's own conditions. */
export function judge(
  r: CompareResults,
  base: Omit<ClaimResult, 'verdict' | 'evidence'>,
  body: () => { missing: string | null; verdict: Verdict; evidence: string },
): ClaimResult {
  const gap = protocolGap(r);
  const out = body();
  if (out.missing) return notEnough(base, out.missing, gap ? '' : out.evidence);
  if (gap) return notEnough(base, gap, out.evidence);
  return { ...base, verdict: out.verdict, evidence: out.evidence };
}
