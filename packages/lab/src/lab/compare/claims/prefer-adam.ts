import type { CompareResults } from '../results.ts';
import {
  ADAPTIVE,
  opt,
  group,
  comparePaired,
  capped,
  tally,
  count,
  outcomes,
  judge,
  type ClaimResult,
  type Outcome,
} from './judge.ts';
import { intervalText } from '../bootstrap.ts';

export function claimPreferAdam(r: CompareResults): ClaimResult {
  const base = {
    id: 'prefer-adam',
    claim: 'Among adaptive methods, prefer Adam.',
    requires: 'tuned learning rates, 2+ seeds, Adam and another adaptive method on 2+ problems',
    figure: 'fig-ranking',
  };
  return judge(r, base, () => {
    const rows: string[] = [];
    const results: Outcome[] = [];
    for (const p of r.problems) {
      const a = group(p, ADAPTIVE);
      const adam = opt(p, 'adam');
      if (a.length < 2 || !adam) continue;
      // Adam against the best other adaptive method by the race's own order.
      const rival = a.filter((o) => o !== adam).reduce((x, y) => (y.rank < x.rank ? y : x));
      const c = comparePaired(
        adam.tuned.map((_, i) => capped(p, adam, i)),
        rival.tuned.map((_, i) => capped(p, rival, i)),
      );
      results.push(c.outcome);
      const place = 1 + a.filter((o) => o.rank < adam.rank).length;
      rows.push(
        `${p.name}: Adam ${place}/${a.length}, against ${rival.label} ${c.outcome === 'tie' ? 'a tie' : c.outcome === 'better' ? 'ahead' : 'behind'}${c.interval === null ? '' : ` (${intervalText(c.interval)})`}`,
      );
    }
    return {
      missing:
        results.length < 2
          ? `Adam and another adaptive method raced on ${results.length} problem(s)`
          : null,
      verdict: tally(count(results, 'better'), results.length),
      evidence: `Adam against the best other adaptive method (Adagrad, Adadelta, RMSprop) on each problem, paired over seeds: ${outcomes(results, ['ahead', 'a tie', 'behind'])} of ${results.length}. ${rows.join(', ')}.`,
    };
  });
}
