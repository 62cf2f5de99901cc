import { formatNumber } from '../format.ts';
import type { CompareResults, OptimizerResult } from '../results.ts';
import {
  SGD_FAMILY,
  ADAPTIVE,
  group,
  comparePaired,
  perSeed,
  capped,
  count,
  judge,
  type ClaimResult,
} from './judge.ts';
import { median } from '../tuning.ts';

export function claimSparse(r: CompareResults): ClaimResult {
  const base = {
    id: 'adaptive-sparse',
    claim: 'With sparse data, adaptive learning-rate methods are the better choice.',
    requires:
      'tuned learning rates, 2+ seeds, sparse-logreg raced with 2+ adaptive and 2+ SGD-family optimizers',
    figure: 'fig-loss-sparse-logreg',
  };
  return judge(r, base, () => {
    const p = r.problems.find((q) => q.name === 'sparse-logreg');
    const a = p ? group(p, ADAPTIVE) : [];
    const s = p ? group(p, SGD_FAMILY) : [];
    if (!p || a.length < 2 || s.length < 2) {
      return {
        missing: 'sparse-logreg was not raced with 2+ optimizers of each group',
        verdict: 'not enough evidence',
        evidence: '',
      };
    }
    const loss = (o: OptimizerResult, i: number) => capped(p, o, i);
    const err = (o: OptimizerResult, i: number) => 1 - (o.tuned[i]!.testAccuracy ?? 0);
    const bestOf = (g: OptimizerResult[]) =>
      g.reduce((x, y) => (y.summary.meanScore < x.summary.meanScore ? y : x));
    const [bestA, bestS] = [bestOf(a), bestOf(s)];
    const checks = [
      comparePaired(perSeed(a, loss), perSeed(s, loss)),
      comparePaired(perSeed(a, err), perSeed(s, err)),
      comparePaired(
        bestA.tuned.map((_, i) => loss(bestA, i)),
        bestS.tuned.map((_, i) => loss(bestS, i)),
      ),
    ].map((c) => c.outcome);
    const m = (g: OptimizerResult[], f: (o: OptimizerResult, i: number) => number) =>
      formatNumber(median(perSeed(g, f)));
    return {
      missing: null,
      // "The better choice" is about held-out data: ahead on training loss alone is only mixed.
      verdict:
        checks[1] === 'better' && count(checks, 'better') >= 2
          ? 'supported'
          : checks[1] === 'worse' || count(checks, 'better') === 0
            ? 'not supported'
            : 'mixed',
      evidence: `On sparse logistic regression (Zipf-distributed features, the rare ones informative), at tuned learning rates, paired over seeds: median final training loss ${m(a, loss)} adaptive vs ${m(s, loss)} SGD family (${checks[0]}); median test error ${m(a, err)} vs ${m(s, err)} (${checks[1]}); best of each group, ${bestA.label} ${formatNumber(bestA.summary.meanScore)} vs ${bestS.label} ${formatNumber(bestS.summary.meanScore)} (${checks[2]}). Adaptive clearly ahead on ${count(checks, 'better')} of these 3 (a tie is not a win); supported needs the test error among them.`,
    };
  });
}
