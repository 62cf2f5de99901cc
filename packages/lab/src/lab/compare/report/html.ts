import type { ClaimResult, Verdict } from '../claims.ts';
import { ADAPTIVE, SGD_FAMILY } from '../claims/judge.ts';
import type { CompareResults, ProblemResult } from '../results.ts';
import { formatNumber } from './axes.ts';
import { batchClaimFigure, batchSection } from './batch-section.ts';
import { batchContext, type BatchRaceRecord } from './batch-style.ts';
import { epochCurves, lossCurves } from './curves.ts';
import { esc } from './escape.ts';
import { performanceProfile, stepsToTarget } from './overview-plots.ts';
import { figureContext, type FigureContext } from './series-style.ts';
import { overallTable, problemNotes, problemTable, rankTestText } from './tables.ts';
import { trajectories } from './trajectories.ts';
import { expectedBest, lrSensitivity } from './tuning-plots.ts';

const num = formatNumber;

const VERDICT_CLASS: Record<Verdict, string> = {
  supported: 'ok',
  'not supported': 'no',
  mixed: 'mixed',
  'not enough evidence': 'none',
};

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222}
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}h3{margin-top:1.5em}
.scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f6f6f6;white-space:normal;vertical-align:bottom;max-width:9em}td:first-child,th:first-child{text-align:left}td.name,th.name{text-align:left}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.ok{background:#d8f0d8;color:#185c18}.no{background:#f7d7d7;color:#7a1a1a}.mixed{background:#fbefc8;color:#6b5200}.none{background:#e6e6e6;color:#555}
.claim{border:1px solid #e3e3e3;border-radius:6px;padding:.6em 1em;margin:1em 0}
.figs{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.figs>*{min-width:0;max-width:100%}.figs>div{max-width:min(520px,100%)}
figure{margin:0;max-width:100%}figure svg{max-width:100%;height:auto}
figcaption{font-size:12px;color:#444;margin-top:.3em}
.legend{display:flex;flex-wrap:wrap;gap:2px 12px;font-size:12px;margin-bottom:4px}
.legend .key{display:inline-flex;align-items:center;gap:4px}.legend svg{flex:none}
.note{color:#666;font-size:12px}.era{font-size:10px;color:#7a4f00;background:#fff3d6;border-radius:3px;padding:0 3px;margin-left:4px}.lead td{background:#e4f2e4}td.lead{background:#e4f2e4}
.warn{color:#a33;font-weight:600;white-space:nowrap}.same{color:#555;font-size:11px;white-space:nowrap;margin-left:4px}
`;

function claimBlock(c: ClaimResult, figure: string): string {
  const cls = VERDICT_CLASS[c.verdict] ?? 'none';
  const requires = (c as { requires?: string }).requires;
  return `<div class="claim" id="claim-${esc(c.id)}"><span class="verdict ${cls}">${esc(c.verdict)}</span> <b>${esc(c.claim)}</b>${requires ? `<p class="note">Needs: ${esc(requires)}</p>` : ''}<p>${esc(c.evidence)}</p>${figure ? `<div class="figs">${figure}</div>` : ''}</div>`;
}

export interface ReportInfo {
  /** The command or call that produced the run, shown in the header. */
  command: string;
  /** The machine, e.g. "2 cores, Node v20". */
  machine: string;
}

/** The batch-size race and its figure styles, when the run has one. */
interface BatchView {
  batch: BatchRaceRecord;
  ctx: FigureContext;
}

function claimFigure(
  c: ClaimResult,
  r: CompareResults,
  ctx: FigureContext,
  batch?: BatchView,
): string {
  const problem = (name: string) => r.problems.find((p) => p.name === name);
  switch (c.figure) {
    case 'fig-batch-updates':
    case 'fig-batch-noise':
    case 'fig-batch-time':
    case 'fig-batch-throughput':
      return batchClaimFigure(c.figure, batch?.batch, batch?.ctx);
    case 'fig-steps-to-target':
      return stepsToTarget(r.problems, ctx);
    case 'fig-saddle':
      return r.problems
        .filter((p) => p.objective === 'escape')
        .map(
          (p) =>
            trajectories(p, ctx, [...SGD_FAMILY, ...ADAPTIVE]) +
            lossCurves(p, ctx, [...SGD_FAMILY, ...ADAPTIVE]),
        )
        .join('');
    case 'fig-loss-sparse-logreg': {
      const p = problem('sparse-logreg');
      return p ? epochCurves(p, ctx) : '';
    }
    case 'fig-ranking':
      return '<p class="note"><a href="#ranking">The ranking table and the performance profile are above.</a></p>';
    case 'fig-lr-sensitivity':
      return r.config.tuned
        ? r.problems.map((p) => lrSensitivity(p, ctx, ['adam', 'radam'])).join('')
        : '';
    case 'fig-switch':
      return r.problems
        .filter((p) => p.objective === 'loss')
        .map((p) =>
          p.kind === 'dataset'
            ? epochCurves(p, ctx, ['adam', 'adam-sgd'])
            : lossCurves(p, ctx, ['adam', 'adam-sgd']),
        )
        .join('');
    case 'fig-kingma-ba':
      return ['fashion-logreg', 'digits-logreg', 'sparse-logreg']
        .map((n) => problem(n))
        .filter((p): p is ProblemResult => p !== undefined)
        .map((p) => epochCurves(p, ctx, ['adam', 'nesterov', 'adagrad']))
        .join('');
    default:
      return '';
  }
}

function problemSection(p: ProblemResult, r: CompareResults, ctx: FigureContext): string {
  const escape = p.objective === 'escape';
  const length =
    p.kind === 'function'
      ? `${p.epochs} steps`
      : `${p.epochs} epochs of ${p.stepsPerEpoch} steps, batch size ${p.batchSize}`;
  const score = escape
    ? 'score: the step at which the loss first falls below -1 (escaping the saddle)'
    : `score: the final loss over the whole training set; target ${num(p.target)} (90% of the best improvement), checked on the same loss ${p.targetResolution === 'epoch' ? 'at every epoch end' : 'after every step'}`;
  const figs = [
    p.fn ? trajectories(p, ctx) : '',
    p.kind === 'dataset' ? epochCurves(p, ctx) : lossCurves(p, ctx),
    r.config.tuned ? lrSensitivity(p, ctx) : '',
    r.config.tuned ? expectedBest(p, ctx) : '',
  ].join('');
  return `<h3 id="problem-${esc(p.name)}">${esc(p.name)}</h3><p>${esc(p.description)}. ${length}; ${score}.</p>${problemTable(p, r)}${problemNotes(p, r)}<div class="figs">${figs}</div>`;
}

function methodText(r: CompareResults): string {
  const spacings = [
    ...new Set(r.problems.flatMap((p) => p.optimizers.map((o) => o.grid.spacing))),
  ].filter((s) => s > 0);
  const tuning = r.config.tuned
    ? `Tuning: each optimizer's learning rate is swept on seed 0 over a log grid (steps of ${spacings.join(' or ') || '—'} decade); where the best lr sits at an end of the grid, the grid is extended a decade at a time (at most 2 decades past the base grid, never above the problem's lr cap, from which Adadelta, whose lr multiplies a self-scaled step, is exempt); then two points half a grid step either side of the best refine it. In this run's words: ${r.config.protocol}. An lr still at an end of its grid is flagged ⚑. Each optimizer also runs at its default lr on every seed, and the expected best result of random search with k trials shows what tuning buys (Sivaprasad et al. 2020).`
    : `No tuning: every optimizer runs at the fixed learning rate ${num(r.config.lr)} on every seed.`;
  return [
    `Protocol after DeepOBS (Schneider et al. 2019): fixed problems, several seeds, the same initial points and weights and the same data order for every optimizer; progress in steps (and in wall time where runs last a second or more, the first epoch's JIT warm-up left off the clock). Test functions start from their standard point on seed 0 and from a seeded perturbation of it on other seeds.`,
    tuning,
    `Scores and ranks: a seed fails when it diverges (or, on a saddle, never escapes) and then counts as no progress (the untrained loss, or the run length + 1). Each problem ranks its optimizers by failed seeds first, then by the mean score over seeds; exact ties share the mean of their places (2.5). Each optimizer is compared with the best by the 95% paired bootstrap interval of the mean per-seed difference (Efron and Tibshirani 1993; the seeds pair the runs; on the log of the scores when all are positive, so it reads as a ratio), as Agarwal et al. (2021) recommend for comparisons over few seeds; those whose interval holds 0 are within the seeds' noise of the best and marked ≈. With 3 seeds the interval is the range of the per-seed differences: an optimizer is told apart only when it is behind on every seed, and one truly equal to the best is still told apart at least one time in eight; more seeds (--seeds) make the interval honest.`,
    `Across problems: the mean rank, the Friedman test of the ranks and the Nemenyi critical difference (Demšar 2006), and a performance profile (Dolan and Moré 2002) of the steps to the target or to escape.`,
    `Steps to target: the target is 90% of the best improvement any tuned run made; a run reaches it at the exact first step at which its loss over the whole training set (the final-loss column's quantity) is at or below it, known after every step on full-batch problems and at every epoch end on mini-batch data sets; a run whose final loss is below the target has reached it. The table gives the median over seeds when at least half reach it.`,
  ]
    .map((t) => `<p class="note">${esc(t)}</p>`)
    .join('');
}

/**
 * The whole report as one self-contained HTML page; with a batch-size race, a section on batch,
 * stochastic and mini-batch gradient descent after the ranking.
 */
export function renderReport(
  r: CompareResults,
  claims: ClaimResult[],
  info: ReportInfo,
  batch?: BatchRaceRecord,
): string {
  const ctx = figureContext(r);
  const sections = r.problems.map((p) => problemSection(p, r, ctx)).join('');
  const view = batch ? { batch, ctx: batchContext(batch, r) } : undefined;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>descent compare report</title><style>${CSS}</style></head><body>
<h1>Which optimizer? A fair race</h1>
<p class="note">${esc(info.command)} · ${esc(info.machine)} · ${r.config.seeds} seed(s) per optimizer. Protocol: ${esc(r.config.protocol)}. Every optimizer sees the same initial points and weights and the same data order. Numbers behind every figure: <a href="results.json">results.json</a>.</p>
<h2 id="ranking">Ranking</h2><p>Mean rank over the problems (1 = best; ties share a rank), each problem ranked by failed seeds, then by the mean score over seeds at the ${r.config.tuned ? 'tuned' : 'fixed'} learning rate. ⚠ marks a problem on which a tuned seed failed.</p>${overallTable(r)}<p class="note">${esc(rankTestText(r))}</p><div class="figs">${performanceProfile(r, ctx)}</div>
${view ? batchSection(view.batch, view.ctx) : ''}
<h2>The usual guidance, checked</h2>${claims.map((c) => claimBlock(c, claimFigure(c, r, ctx, view))).join('')}
<h2>Problems</h2>${sections}
<h2>Method</h2>${methodText(r)}
</body></html>`;
}
