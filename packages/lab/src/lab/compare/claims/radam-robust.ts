import { formatNumber } from '../format.ts';
import type { CompareResults, OptimizerResult } from '../results.ts';
import {
  opt,
  tally,
  both,
  count,
  outcomes,
  judge,
  type ClaimResult,
  type Outcome,
} from './judge.ts';

export function claimRadam(r: CompareResults): ClaimResult {
  const base = {
    id: 'radam-robust',
    claim: 'RAdam is worth trying: it is robust to the learning rate and needs no warm-up.',
    requires: 'tuned learning rates (a sweep), 2+ seeds, RAdam and Adam on 2+ problems',
    figure: 'fig-lr-sensitivity',
  };
  return judge(r, base, () => {
    const wider: Outcome[] = [];
    const luckier: Outcome[] = [];
    const rows: string[] = [];
    for (const p of r.problems) {
      const radam = opt(p, 'radam');
      const adam = opt(p, 'adam');
      if (!radam || !adam || radam.sweep.length < 2) continue;
      // Robustness: a band of good lrs wider by a grid step or more, and a better expected
      // result of one lr drawn at random from the grid (by more than 1% of the untrained score).
      const band = radam.goodDecades - adam.goodDecades;
      const step = Math.max(radam.grid.spacing, adam.grid.spacing);
      wider.push(band >= step ? 'better' : -band >= step ? 'worse' : 'tie');
      const k1 = (o: OptimizerResult) => o.expectedBest[0]?.score ?? Infinity;
      const untrained = Math.max(
        ...[radam, adam].flatMap((o) => o.tuned.map((x) => x.initialLoss)),
      );
      const tol = 0.01 * Math.abs(p.objective === 'escape' ? p.epochs + 1 : untrained);
      const d = k1(radam) - k1(adam);
      luckier.push(d < -tol ? 'better' : d > tol ? 'worse' : 'tie');
      rows.push(
        `${p.name}: good-lr band ${radam.goodDecades} vs ${adam.goodDecades} decades, one-trial expected score ${formatNumber(k1(radam))} vs ${formatNumber(k1(adam))}`,
      );
    }
    return {
      missing:
        wider.length < 2 ? `RAdam and Adam were both swept on ${wider.length} problem(s)` : null,
      verdict: both(
        tally(count(wider, 'better'), wider.length),
        tally(count(luckier, 'better'), luckier.length),
      ),
      evidence: `RAdam against Adam (neither with warm-up): band of good learning rates ${outcomes(wider, ['wider', 'the same within a grid step', 'narrower'])} of ${wider.length} problems; expected result of a random learning rate ${outcomes(luckier, ['better', 'within 1%', 'worse'])}. ${rows.join('. ')}.`,
    };
  });
}
