import type { CompareResults, OptimizerResult } from '../results.ts';
import {
  capped,
  comparePaired,
  count,
  judge,
  opt,
  outcomes,
  tally,
  vsText,
  type ClaimResult,
  type Outcome,
} from './judge.ts';

/**
 * "The new optimizers beat a well-tuned Adam(W)": each new method (Lion, Schedule-Free AdamW,
 * Prodigy, AdEMAMix, Muon+AdamW, ...) against the better-ranked of Adam and AdamW on each
 * problem, paired over seeds, both at their tuned lr (Prodigy at its own). Where a new method was
 * exactly another optimizer (Muon+AdamW without matrix parameters is AdamW) it is not counted
 * there, and the evidence says where.
 */
export function claimNewBeatAdamW(r: CompareResults): ClaimResult {
  const base = {
    id: 'new-beat-adamw',
    claim: 'The new optimizers beat a well-tuned Adam(W).',
    requires:
      'tuned learning rates, 2+ seeds, Adam or AdamW and a new optimizer (Lion, Schedule-Free AdamW, Prodigy, AdEMAMix, Muon+AdamW, ...) on 2+ problems, Muon+AdamW counted only where it had matrices to give Muon',
    figure: 'fig-ranking',
  };
  return judge(r, base, () => {
    const results: Outcome[] = [];
    const problems = new Set<string>();
    const byOptimizer = new Map<string, { label: string; outcomes: Outcome[]; rows: string[] }>();
    // Per new method that was another optimizer somewhere: what it was, why, and where.
    const left = new Map<string, { text: string; problems: string[] }>();
    for (const p of r.problems) {
      const adams = [opt(p, 'adam'), opt(p, 'adamw')].filter(
        (o): o is OptimizerResult => o !== undefined,
      );
      const raced = p.optimizers.filter((o) => o.era === 'new');
      if (adams.length === 0) continue;
      for (const o of raced) {
        const d = o.degenerateAs;
        if (!d) continue;
        const entry = left.get(o.name) ?? {
          text: `${o.label} is left out where it was ${d.label} (${d.reason})`,
          problems: [],
        };
        entry.problems.push(p.name);
        left.set(o.name, entry);
      }
      const newer = raced.filter((o) => !o.degenerateAs);
      if (newer.length === 0) continue;
      // The well-tuned baseline: whichever of Adam and AdamW the race ranked higher here.
      const baseline = adams.reduce((a, b) => (b.rank < a.rank ? b : a));
      problems.add(p.name);
      for (const o of newer) {
        const c = comparePaired(
          o.tuned.map((_, i) => capped(p, o, i)),
          baseline.tuned.map((_, i) => capped(p, baseline, i)),
        );
        results.push(c.outcome);
        const entry = byOptimizer.get(o.name) ?? { label: o.label, outcomes: [], rows: [] };
        entry.outcomes.push(c.outcome);
        const word = c.outcome === 'better' ? 'ahead' : c.outcome === 'worse' ? 'behind' : 'a tie';
        entry.rows.push(`${p.name} ${word} of ${baseline.label}${vsText(c)}`);
        byOptimizer.set(o.name, entry);
      }
    }
    const per = [...byOptimizer.values()].map(
      (e) =>
        `${e.label}: ${outcomes(e.outcomes, ['ahead', 'a tie', 'behind'])} (${e.rows.join('; ')}).`,
    );
    const excluded = [...left.values()].map((e) => `${e.text}: ${e.problems.join(', ')}.`);
    const total = `Each new optimizer against the better-ranked of Adam and AdamW on each problem, paired over seeds: ahead in ${count(results, 'better')}, a tie in ${count(results, 'tie')}, behind in ${count(results, 'worse')} of ${results.length} comparisons on ${problems.size} problems.`;
    return {
      missing:
        problems.size < 2
          ? `Adam(W) and a new optimizer raced on ${problems.size} problem(s)`
          : null,
      verdict: tally(count(results, 'better'), results.length),
      evidence: [total, ...per, ...excluded].join(' '),
    };
  });
}
