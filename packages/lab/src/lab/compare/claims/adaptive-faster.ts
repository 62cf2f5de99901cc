import { formatNumber } from '../format.ts';
import type { CompareResults, OptimizerResult } from '../results.ts';
import {
  bothGroups,
  comparePaired,
  perSeed,
  stepsOn,
  tally,
  both,
  count,
  outcomes,
  judge,
  type ClaimResult,
  type Outcome,
  vsText,
} from './judge.ts';
import { median } from '../tuning.ts';

export function claimAdaptiveFaster(r: CompareResults): ClaimResult {
  const base = {
    id: 'adaptive-faster',
    claim:
      'Adaptive methods (Adagrad, Adadelta, RMSprop, Adam) converge faster and more stably than SGD, Momentum and Nesterov.',
    requires:
      'tuned learning rates, 2+ seeds, 2+ adaptive and 2+ SGD-family optimizers, on 2+ problems with a minimum',
    figure: 'fig-steps-to-target',
  };
  return judge(r, base, () => {
    const rows: string[] = [];
    const speed: Outcome[] = [];
    const stability: Outcome[] = [];
    const problems = bothGroups(r, 'loss');
    for (const { p, adaptive: a, sgd: s } of problems) {
      const resolution = p.targetResolution === 'epoch' ? p.stepsPerEpoch : 1;
      const fast = comparePaired(perSeed(a, stepsOn(p)), perSeed(s, stepsOn(p)), resolution);
      speed.push(fast.outcome);
      // Stability: the band of good learning rates (a difference under one grid step is a tie),
      // then the diverged seeds at the tuned and default lrs.
      const aBand = median(a.map((o) => o.goodDecades));
      const sBand = median(s.map((o) => o.goodDecades));
      const step = Math.max(...[...a, ...s].map((o) => o.grid.spacing));
      const div = (g: OptimizerResult[]) =>
        g.reduce((n, o) => n + o.summary.divergedSeeds + o.defaultSummary.divergedSeeds, 0);
      const [aDiv, sDiv] = [div(a) / a.length, div(s) / s.length];
      stability.push(
        aBand - sBand >= step
          ? 'better'
          : sBand - aBand >= step
            ? 'worse'
            : aDiv < sDiv
              ? 'better'
              : aDiv > sDiv
                ? 'worse'
                : 'tie',
      );
      rows.push(
        `${p.name}: median steps to target ${formatNumber(median(a.map((o) => o.summary.stepsToTarget ?? Infinity)))} adaptive vs ${formatNumber(median(s.map((o) => o.summary.stepsToTarget ?? Infinity)))} SGD family (${fast.outcome === 'tie' ? 'a tie' : fast.outcome === 'better' ? 'adaptive faster' : 'SGD family faster'}${vsText(fast)}); good-lr band ${aBand} vs ${sBand} decades; diverged seeds per optimizer ${formatNumber(aDiv, 2)} vs ${formatNumber(sDiv, 2)}`,
      );
    }
    return {
      missing:
        problems.length < 2
          ? `it needs 2+ adaptive and 2+ SGD-family optimizers on 2+ problems with a minimum; this run had ${problems.length} such problem(s)`
          : null,
      verdict: both(
        tally(count(speed, 'better'), speed.length),
        tally(count(stability, 'better'), stability.length),
      ),
      evidence: `Steps to the target (the whole-training-set loss reaching 90% of the best improvement), per seed the median of each group, paired bootstrap interval over seeds: adaptive ${outcomes(speed, ['faster', 'a tie', 'slower'])} of ${speed.length} problems. Stability (band of good learning rates, then diverged seeds): adaptive ${outcomes(stability, ['more stable', 'a tie', 'less stable'])}. ${rows.join('. ')}.`,
    };
  });
}
