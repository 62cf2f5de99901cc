import * as Plot from '@observablehq/plot';
import type { CompareResults, ProblemResult } from '../results.ts';
import { formatNumber, linearScale, logScale } from './axes.ts';
import { figure, render, series } from './figure.ts';
import type { FigureContext } from './series-style.ts';

// The figures across all problems: steps to each target, and the performance profile.

/**
 * Steps to each loss problem's target, per optimizer (median over seeds, exact steps); dots are
 * dodged vertically by optimizer so coincident values stay visible.
 */
export function stepsToTarget(problems: readonly ProblemResult[], ctx: FigureContext): string {
  const loss = problems.filter((p) => p.objective === 'loss');
  if (loss.length === 0) return '';
  const names = loss[0]!.optimizers.map((o) => o.name);
  const k = names.length;
  const band = Math.max(40, 7 * k + 14);
  const gap = k > 1 ? Math.min(6, (band - 16) / (k - 1)) : 0;
  const marks: Plot.Markish[] = [];
  const drawn: string[] = [];
  const xs: number[] = [];
  const missing: string[] = [];
  names.forEach((n, j) => {
    const rows: { x: number; y: string; title: string }[] = [];
    for (const p of loss) {
      const o = p.optimizers.find((q) => q.name === n);
      if (!o) continue;
      const s = o.summary.stepsToTarget;
      if (s === null || !Number.isFinite(s)) {
        missing.push(`${o.label} on ${p.name}`);
        continue;
      }
      rows.push({ x: s, y: p.name, title: `${o.label}: ${s} steps (${p.name})` });
    }
    if (rows.length === 0) return;
    drawn.push(n);
    xs.push(...rows.map((r) => r.x));
    const st = ctx.styles.get(n)!;
    marks.push(
      Plot.dot(rows, {
        x: 'x',
        y: 'y',
        symbol: st.symbol,
        fill: st.color,
        r: 4,
        dy: (j - (k - 1) / 2) * gap,
        title: 'title',
        className: `marker-${n}`,
      }),
    );
  });
  const longest = Math.max(...loss.map((p) => p.name.length));
  const svg = render({
    width: 640,
    height: 50 + band * loss.length,
    marginLeft: Math.max(60, 7 * longest),
    x: logScale(xs, 'steps to the target (median over seeds)'),
    y: { type: 'point', label: null, domain: loss.map((p) => p.name), padding: 0.5 },
    marks,
  });
  const epochs = loss.filter((p) => p.targetResolution === 'epoch').map((p) => p.name);
  return figure(
    'fig-steps-to-target',
    svg,
    drawn,
    ctx,
    `Steps to each problem's target (90% of the best improvement), the median over seeds of the exact first step at which the whole-training-set loss was at or below it; dots shifted vertically by optimizer so equal values stay visible${epochs.length ? ` (${epochs.join(', ')}: loss known at epoch ends, so steps are multiples of the epoch)` : ''}; ${ctx.tuned ? 'each optimizer at its tuned lr' : `every optimizer at the fixed lr ${formatNumber(ctx.lr)} (untuned)`}.${missing.length ? ` Not reached by half the seeds: ${missing.join(', ')}.` : ''} Read: further left is faster.`,
  );
}

/** Dolan and Moré (2002) performance profile: ρ(τ) against τ on a log2 axis. */
export function performanceProfile(r: CompareResults, ctx: FigureContext): string {
  const { taus, rho, measure } = r.profile;
  const names = Object.keys(rho).filter((n) => ctx.styles.has(n));
  const k = names.length;
  const marks: Plot.Markish[] = [Plot.ruleY([0, 1], { stroke: '#ddd' })];
  names.forEach((n, j) => {
    const rows = taus.map((t, i) => ({ x: t, y: rho[n]![i]! }));
    // Lines that coincide are nudged apart by up to ±3 px.
    const dy = k > 1 ? ((j - (k - 1) / 2) * 6) / (k - 1) : 0;
    marks.push(...series(n, rows, [rows.at(-1)!], ctx, { curve: 'step-after', dy }));
  });
  const svg = render({
    width: 460,
    height: 280,
    x: logScale(taus, 'τ (within τ× the fastest)', 2),
    y: linearScale('fraction of problems', { domain: [0, 1], grid: true }),
    marks,
  });
  return figure(
    'fig-profile',
    svg,
    names,
    ctx,
    `Performance profile (Dolan and Moré 2002) over ${r.problems.length} problem(s), ${ctx.tuned ? 'each optimizer at its tuned lr' : `every optimizer at the fixed lr ${formatNumber(ctx.lr)} (untuned)`}: for each optimizer, the fraction of problems on which its cost (${measure}) was within τ times the fastest optimizer's; a problem it never solved counts against it at every τ. Lines are nudged vertically by up to 3 px so equal ones stay visible. Read: the height at τ = 1 is how often it was fastest, the height at the right how often it got there at all; higher and further left is better.`,
  );
}
