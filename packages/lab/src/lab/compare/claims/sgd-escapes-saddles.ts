import { formatNumber } from '../format.ts';
import type { CompareResults, OptimizerResult } from '../results.ts';
import {
  bothGroups,
  comparePaired,
  perSeed,
  tally,
  count,
  outcomes,
  judge,
  type ClaimResult,
  type Outcome,
  vsText,
} from './judge.ts';
import { median } from '../tuning.ts';

export function claimSgdEscapes(r: CompareResults): ClaimResult {
  const base = {
    id: 'sgd-escapes-saddles',
    claim: 'SGD, Momentum and Nesterov escape saddle points better than adaptive methods.',
    requires:
      'tuned learning rates, 2+ seeds, a saddle raced with 2+ adaptive and 2+ SGD-family optimizers',
    figure: 'fig-saddle',
  };
  return judge(r, base, () => {
    const results: Outcome[] = [];
    const rows: string[] = [];
    const saddles = bothGroups(r, 'escape');
    for (const { p, adaptive: a, sgd: s } of saddles) {
      for (const runs of ['tuned', 'defaults'] as const) {
        // A tuned lr pinned at the saddle's lr cap says the race measured the cap, not the
        // method: such a tuned comparison is left out (the default-lr one still stands).
        const pinned = [...s, ...a].filter((o) => o.lrAtEdge);
        if (runs === 'tuned' && pinned.length > 0) {
          rows.push(
            `${p.name} (tuned lr): not compared, ${pinned.length} of ${s.length + a.length} tuned lrs sit at an end of what was tried (${pinned.map((o) => `${o.label} ${o.bestLr}`).join(', ')}), so the race measured the lr limit rather than the methods`,
          );
          continue;
        }
        const esc = (o: OptimizerResult, i: number) => o[runs][i]!.escapeStep ?? p.epochs + 1;
        const c = comparePaired(perSeed(s, esc), perSeed(a, esc), 1);
        results.push(c.outcome);
        const show = (g: OptimizerResult[]) => formatNumber(median(perSeed(g, esc)));
        rows.push(
          `${p.name} (${runs === 'tuned' ? 'tuned lr' : 'default lr'}): median escape step ${show(s)} SGD family vs ${show(a)} adaptive (${c.outcome === 'tie' ? 'a tie' : c.outcome === 'better' ? 'SGD family first' : 'adaptive first'}${vsText(c)}; ${p.epochs + 1} = never)`,
        );
      }
    }
    return {
      missing:
        saddles.length === 0
          ? 'no saddle was raced with 2+ optimizers of each group'
          : results.length === 0
            ? 'every comparison had tuned learning rates at an end of the grid'
            : null,
      verdict: tally(count(results, 'better'), results.length),
      evidence: `A run escapes when its loss falls below -1 (from about 1 at the start, next to the saddle point). The SGD family escaped ${outcomes(results, ['first', 'in a tie', 'later'])} of ${results.length} comparisons. ${rows.join('. ')}.`,
    };
  });
}
