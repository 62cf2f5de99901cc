import { formatNumber } from '../format.ts';
import type { BatchRaceResult } from '../batch-race.ts';
import { pairedInterval } from '../bootstrap.ts';
import { variantName } from '../batch-race.ts';
import type { BatchSize } from '../../sampler.ts';
import type { OptimizerResult } from '../results.ts';
import type { RunRecord } from '../run.ts';
import { epochReach, msPerUpdate } from '../scores.ts';
import { median } from '../tuning.ts';
import { judge, tally, type ClaimResult } from './judge.ts';

// The four statements the material makes about batch, stochastic and mini-batch gradient descent,
// checked per problem and optimizer on a batch-size race, with the lab's standards: per-seed
// comparisons by the paired bootstrap interval, failures counted, preconditions stated.

type Cell = { problem: string; optimizer: string; runs: Map<BatchSize, OptimizerResult> };

/** Every problem × optimizer of the race, with its result at each batch size. */
function cells(b: BatchRaceResult): Cell[] {
  const out: Cell[] = [];
  for (const problem of Object.keys(b.targets)) {
    const first = b.race.problems.find((p) => p.name === variantName(problem, b.batchSizes[0]!));
    for (const o of first?.optimizers ?? []) {
      const runs = new Map<BatchSize, OptimizerResult>();
      for (const size of b.batchSizes) {
        const v = b.race.problems.find((p) => p.name === variantName(problem, size));
        const r = v?.optimizers.find((x) => x.name === o.name);
        if (r) runs.set(size, r);
      }
      out.push({ problem, optimizer: o.name, runs });
    }
  }
  return out;
}

const isMini = (b: BatchSize) => b !== 'full' && b > 1;
/** "a is clearly above b on every seed" by the paired bootstrap interval (positive values). */
const above = (a: number[], c: number[]) => {
  const iv = pairedInterval(a, c);
  return iv.separated && iv.low > 0;
};
const perSeed = (o: OptimizerResult, f: (r: RunRecord) => number) => o.tuned.map(f);

/**
 * Each batch size's per-seed training time to the target, a miss counted as 10x the slowest time
 * that did reach it (slower than any hit), plus a millisecond so the log-scale interval is defined.
 */
function seedTimes(c: Cell, target: number | null) {
  const t = (o: OptimizerResult) => perSeed(o, (r) => epochReach(r, target)?.ms ?? Infinity);
  const all = [...c.runs.values()].flatMap(t).filter(Number.isFinite);
  const cap = 10 * Math.max(1, ...all);
  const capped = (o: OptimizerResult) => t(o).map((x) => (Number.isFinite(x) ? x : cap) + 1e-3);
  const medianT = (o: OptimizerResult) => median(capped(o));
  return { capped, medianT, cap };
}

/** A check on every problem × optimizer: those it applies to, those it holds for, its rows. */
function overPairs(
  b: BatchRaceResult,
  check: (c: Cell) => { holds: boolean; row: string } | null,
): { agree: number; total: number; rows: string[] } {
  const results = cells(b)
    .map(check)
    .filter((x): x is { holds: boolean; row: string } => x !== null);
  return {
    agree: results.filter((x) => x.holds).length,
    total: results.length,
    rows: results.map((x) => x.row),
  };
}

function base(id: string, claim: string, requires: string, figure: string) {
  return { id, claim, requires, figure };
}

function claimBatchSlow(b: BatchRaceResult): ClaimResult {
  const meta = base(
    'batch-gd-slow-per-update',
    'Batch gradient descent is slow per update and needs all the data before it moves.',
    'tuned learning rates, 2+ seeds, a batch-size race with full batch and a smaller batch',
    'fig-batch-updates',
  );
  return judge(b.race, meta, () => {
    const { agree, total, rows } = overPairs(b, (c) => {
      const full = c.runs.get('full');
      const others = [...c.runs.entries()].filter(([s]) => s !== 'full');
      if (!full || others.length === 0) return null;
      const ms = (o: OptimizerResult) => perSeed(o, (r) => msPerUpdate(r) ?? 0);
      const slowest = others.every(([, o]) => above(ms(full), ms(o)));
      const show = (o: OptimizerResult) => formatNumber(median(ms(o)));
      return {
        holds: slowest,
        row: `${c.problem}, ${c.optimizer}: ${show(full)} ms per update at full batch (one update per epoch, after every training sample) vs ${others.map(([s, o]) => `${show(o)} at ${s}`).join(', ')}${slowest ? '' : ' (not slowest on every seed)'}`,
      };
    });
    return {
      missing: total === 0 ? 'the race had no full batch together with a smaller one' : null,
      verdict: tally(agree, total),
      evidence: `Full batch slowest per update on every seed in ${agree} of ${total} problem-optimizer pairs; by construction it makes one update per epoch, after reading every training sample. ${rows.join('. ')}.`,
    };
  });
}

function claimSgdFluctuates(b: BatchRaceResult): ClaimResult {
  const meta = base(
    'sgd-fluctuates',
    'Stochastic gradient descent (batch size 1) has the most fluctuating updates.',
    'tuned learning rates, 2+ seeds, a batch-size race with batch 1 and a larger batch',
    'fig-batch-noise',
  );
  return judge(b.race, meta, () => {
    const { agree, total, rows } = overPairs(b, (c) => {
      const one = c.runs.get(1);
      const noise = (o: OptimizerResult) => perSeed(o, (r) => r.lossNoise ?? NaN);
      const others = [...c.runs.entries()].filter(
        ([s, o]) => s !== 1 && noise(o).every(Number.isFinite),
      );
      if (!one || others.length === 0 || !noise(one).every(Number.isFinite)) return null;
      const most = others.every(([, o]) => above(noise(one), noise(o)));
      return {
        holds: most,
        row: `${c.problem}, ${c.optimizer}: loss noise ${formatNumber(one.summary.lossNoise)} at batch 1 vs ${others.map(([s, o]) => `${formatNumber(o.summary.lossNoise)} at ${s}`).join(', ')}${most ? '' : ' (not the largest on every seed)'}`,
      };
    });
    return {
      missing:
        total === 0 ? 'the race had no batch 1 with a larger batch whose noise was measured' : null,
      verdict: tally(agree, total),
      evidence: `The spread of the per-update loss around its trend was largest at batch 1 on every seed in ${agree} of ${total} problem-optimizer pairs. ${rows.join('. ')}.`,
    };
  });
}

function claimMiniFastest(b: BatchRaceResult): ClaimResult {
  const meta = base(
    'minibatch-fastest',
    'Mini-batch gradient descent reaches a given loss fastest in wall time (same epochs).',
    'tuned learning rates, 2+ seeds, a batch-size race with batch 1, full batch and a mini-batch',
    'fig-batch-time',
  );
  return judge(b.race, meta, () => {
    const { agree, total, rows } = overPairs(b, (c) => {
      const one = c.runs.get(1);
      const full = c.runs.get('full');
      const minis = [...c.runs.entries()].filter(([s]) => isMini(s));
      if (!one || !full || minis.length === 0) return null;
      const { capped, medianT, cap } = seedTimes(c, b.targets[c.problem] ?? null);
      const [bestSize, best] = minis.reduce((x, y) => (medianT(y[1]) < medianT(x[1]) ? y : x));
      const wins = above(capped(one), capped(best)) && above(capped(full), capped(best));
      const show = (o: OptimizerResult) => {
        const m = medianT(o);
        return m >= cap ? 'not reached' : `${formatNumber(m / 1000, 2)} s`;
      };
      return {
        holds: wins,
        row: `${c.problem}, ${c.optimizer}: batch ${bestSize} ${show(best)} vs batch 1 ${show(one)} and full ${show(full)}${wins ? '' : ' (not faster than both on every seed)'}`,
      };
    });
    return {
      missing: total === 0 ? 'the race lacked batch 1, full batch or a mini-batch' : null,
      verdict: tally(agree, total),
      evidence: `Median training time to the shared target (checked at epoch ends); the fastest mini-batch beat both batch 1 and full batch on every seed in ${agree} of ${total} problem-optimizer pairs. ${rows.join('. ')}.`,
    };
  });
}

function claimBestBatch(b: BatchRaceResult): ClaimResult {
  const meta = base(
    'best-batch-in-8-256',
    'On this machine the best batch size lies between 8 and 256.',
    'tuned learning rates, 2+ seeds, a batch-size race with sizes both inside and outside 8..256',
    'fig-batch-throughput',
  );
  return judge(b.race, meta, () => {
    const inside = (s: BatchSize, n: number) => {
      const v = s === 'full' ? n : s;
      return v >= 8 && v <= 256;
    };
    const { agree, total, rows } = overPairs(b, (c) => {
      const sizes = [...c.runs.keys()];
      const entries = b.entries.filter(
        (e) => e.problem === c.problem && e.optimizer === c.optimizer,
      );
      const trainSize = entries[0]?.trainSize ?? Infinity;
      if (!sizes.some((s) => inside(s, trainSize)) || sizes.every((s) => inside(s, trainSize)))
        return null;
      // The best by median time; it counts only if it beats every batch size outside 8..256 on
      // every seed (by the interval), so a tie with batch 1 or the full batch is no support.
      const { capped, medianT, cap } = seedTimes(c, b.targets[c.problem] ?? null);
      const [bestSize, bestRun] = [...c.runs.entries()].reduce((x, y) =>
        medianT(y[1]) < medianT(x[1]) ? y : x,
      );
      const outside = [...c.runs.entries()].filter(([s2]) => !inside(s2, trainSize));
      const reachedBest = medianT(bestRun) < cap;
      const ok =
        reachedBest &&
        inside(bestSize, trainSize) &&
        outside.every(([, o]) => above(capped(o), capped(bestRun)));
      const peak = entries.reduce((x, y) =>
        (y.samplesPerSecond ?? 0) > (x.samplesPerSecond ?? 0) ? y : x,
      );
      return {
        holds: ok,
        row: `${c.problem}, ${c.optimizer}: fastest to the target at batch ${bestSize} (${reachedBest ? `${formatNumber(medianT(bestRun) / 1000, 2)} s` : 'none reached it'})${ok || !reachedBest || !inside(bestSize, trainSize) ? '' : ', but not ahead of every batch outside 8..256 on every seed'}; highest throughput at batch ${peak.batchSize} (${formatNumber(peak.samplesPerSecond, 3)} samples/s)`,
      };
    });
    return {
      missing:
        total === 0 ? 'the race did not include batch sizes both inside and outside 8..256' : null,
      verdict: tally(agree, total),
      evidence: `The best batch size is the one with the shortest median training time to the shared target; it lay in 8..256, ahead of every batch outside that range on every seed, in ${agree} of ${total} problem-optimizer pairs. ${rows.join('. ')}.`,
    };
  });
}

/** The batch-size statements of the usual guidance, checked on a batch-size race. */
export function evaluateBatchClaims(b: BatchRaceResult): ClaimResult[] {
  return [claimBatchSlow(b), claimSgdFluctuates(b), claimMiniFastest(b), claimBestBatch(b)];
}
