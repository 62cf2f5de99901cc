import { formatNumber } from '../format.ts';
import type { CompareResults, OptimizerResult } from '../results.ts';
import {
  opt,
  comparePaired,
  capped,
  tally,
  count,
  outcomes,
  judge,
  type ClaimResult,
  type Outcome,
} from './judge.ts';

export function claimSwitch(r: CompareResults): ClaimResult {
  const base = {
    id: 'adam-then-sgd',
    claim: 'Switching from Adam to SGD late in training improves the final result.',
    requires: 'tuned learning rates, 2+ seeds, Adam and Adam→SGD on 2+ problems with a minimum',
    figure: 'fig-switch',
  };
  return judge(r, base, () => {
    const results: Outcome[] = [];
    const rows: string[] = [];
    for (const p of r.problems.filter((q) => q.objective === 'loss')) {
      const sw = opt(p, 'adam-sgd');
      const adam = opt(p, 'adam');
      if (!sw || !adam) continue;
      const acc = adam.summary.meanTestAccuracy !== null && sw.summary.meanTestAccuracy !== null;
      const metric = (o: OptimizerResult, i: number) =>
        acc ? 1 - (o.tuned[i]!.testAccuracy ?? 0) : capped(p, o, i);
      const c = comparePaired(
        sw.tuned.map((_, i) => metric(sw, i)),
        adam.tuned.map((_, i) => metric(adam, i)),
      );
      results.push(c.outcome);
      const word =
        c.outcome === 'tie' ? 'a tie' : c.outcome === 'better' ? 'switch better' : 'Adam better';
      rows.push(
        acc
          ? `${p.name}: test accuracy ${formatNumber(sw.summary.meanTestAccuracy)} switched vs ${formatNumber(adam.summary.meanTestAccuracy)} Adam (${word})`
          : `${p.name}: final loss ${formatNumber(sw.summary.meanScore)} switched vs ${formatNumber(adam.summary.meanScore)} Adam (${word})`,
      );
    }
    return {
      missing:
        results.length < 2
          ? `Adam and Adam→SGD raced on ${results.length} problem(s) with a minimum`
          : null,
      verdict: tally(count(results, 'better'), results.length),
      evidence: `Adam→SGD (Adam for the first half, then SGD with momentum 0.9 from the SWATS learning-rate estimate, cosine-decayed) against Adam, each at its tuned learning rate, paired over seeds (test accuracy where there is a test set, else final training loss): ${outcomes(results, ['better', 'a tie', 'worse'])} of ${results.length} problems. ${rows.join('. ')}.`,
    };
  });
}
