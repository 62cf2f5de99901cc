import type { ClaimResult } from '../claims.ts';
import type { CompareResults, OptimizerResult, ProblemResult } from '../results.ts';
import { formatNumber } from './axes.ts';
import { epochCurves, lossCurves } from './curves.ts';
import { esc } from './escape.ts';
import { edgeNote } from './figure.ts';
import { performanceProfile, stepsToTarget } from './overview-plots.ts';
import { figureContext, type FigureContext } from './series-style.ts';
import { trajectories } from './trajectories.ts';
import { expectedBest, lrSensitivity } from './tuning-plots.ts';

const num = formatNumber;

/** A shared rank as the tables print it: 3, 2.5. */
export const formatRank = (x: number): string => String(Number(x.toFixed(2)));

/** An exact count (a step, an epoch): a median of two can end in .5. */
const exact = (x: number) => String(Number(x.toFixed(1)));

/** A p-value to 2 significant digits. */
const pValue = (p: number) => (p < 1e-4 ? '< 1e-4' : formatNumber(p, 2));

// 'no evidence' is the older name of 'not enough evidence'; both read the same.
const VERDICT_CLASS: Record<string, string> = {
  supported: 'ok',
  'not supported': 'no',
  mixed: 'mixed',
  'no evidence': 'none',
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
.note{color:#666;font-size:12px}.lead td{background:#e4f2e4}td.lead{background:#e4f2e4}
.warn{color:#a33;font-weight:600;white-space:nowrap}
`;

/** Wraps a table so that it scrolls sideways on a narrow screen instead of being cut. */
const scroll = (table: string, id = '') =>
  `<div class="scroll"${id ? ` id="${id}"` : ''}>${table}</div>`;

/** The seeds that failed, in words: "⚠ 1/3 diverged", "⚠ 2/3 never escaped" (or ""). */
export function failureNote(p: Pick<ProblemResult, 'objective'>, o: OptimizerResult): string {
  const s = o.summary;
  const n = s.scores.length;
  const parts: string[] = [];
  if (s.divergedSeeds > 0) parts.push(`${s.divergedSeeds}/${n} diverged`);
  const other = s.failedSeeds - s.divergedSeeds;
  if (other > 0)
    parts.push(`${other}/${n} ${p.objective === 'escape' ? 'never escaped' : 'failed'}`);
  return parts.length ? `⚠ ${parts.join(', ')}` : '';
}

const warn = (text: string) => (text ? ` <span class="warn">${esc(text)}</span>` : '');

/** Rows within the Nemenyi critical difference of the best mean rank (or the one problem's leaders). */
function leadingRows(r: CompareResults): Set<string> {
  const best = Math.min(...r.overall.map((o) => o.meanRank));
  if (r.overallTest) {
    const cd = r.overallTest.criticalDifference;
    return new Set(
      r.overall
        .filter((o) => o.meanRank - best < cd && o.failedOn.length === 0)
        .map((o) => o.optimizer),
    );
  }
  const p = r.problems[0];
  return new Set(
    (p?.optimizers ?? [])
      .filter((o) => o.withinNoiseOfBest && o.summary.failedSeeds === 0)
      .map((o) => o.name),
  );
}

function overallTable(r: CompareResults): string {
  const lead = leadingRows(r);
  const head = r.problems.map((p) => `<th>${esc(p.name)}</th>`).join('');
  const rows = r.overall
    .map((o) => {
      const cells = r.problems
        .map((p) => {
          const x = p.optimizers.find((q) => q.name === o.optimizer);
          const rank = o.ranks[p.name];
          if (!x || rank === undefined) return '<td>—</td>';
          const failed = x.summary.failedSeeds > 0;
          const near = x.withinNoiseOfBest && !failed;
          return `<td${near ? ' class="lead"' : ''}>${near ? '≈ ' : ''}${formatRank(rank)}${failed ? warn('⚠') : ''}</td>`;
        })
        .join('');
      const failed = o.failedOn.length ? warn(`⚠ failed seeds on ${o.failedOn.join(', ')}`) : '';
      return `<tr${lead.has(o.optimizer) ? ' class="lead"' : ''}><td>${formatRank(o.rank)}</td><td class="name">${esc(o.label)}${failed}</td><td>${o.meanRank.toFixed(2)}</td>${cells}</tr>`;
    })
    .join('');
  return scroll(
    `<table><tr><th>rank</th><th class="name">optimizer</th><th>mean rank</th>${head}</tr>${rows}</table>`,
    'fig-ranking',
  );
}

/** The line under the ranking: the Friedman test and the Nemenyi critical difference. */
export function rankTestText(r: CompareResults): string {
  const t = r.overallTest;
  if (!t) {
    return r.problems.length < 2
      ? 'One problem: no test across problems; shaded rows are those the paired test over seeds could not tell from the best.'
      : 'One optimizer: nothing to test.';
  }
  const f = t.friedman;
  const verdict =
    f.p < t.alpha
      ? 'the mean ranks differ beyond chance'
      : 'the mean ranks do not differ beyond chance';
  return (
    `Mean ranks closer than CD = ${t.criticalDifference.toFixed(1)} are not told apart at α = ${t.alpha} ` +
    `over ${t.problems} problems (Friedman χ² = ${f.chi2.toFixed(1)}, df = ${f.df}, p = ${pValue(f.p)}: ` +
    `${verdict}; Nemenyi critical difference, Demšar 2006). Shaded rows lie within CD of the best mean rank.`
  );
}

/** The tuned lr with its edge flag: "3.2 ⚑ top of grid". */
function lrCell(o: OptimizerResult, tuned: boolean): string {
  if (o.bestLr === null) return `${num(o.defaultLr, 2)} (default: every lr diverged)`;
  const note = tuned ? edgeNote(o) : '';
  return `${num(o.bestLr, 2)}${note ? ` <span class="warn" title="the best lr lies at this end of the grid: the optimum may lie beyond it">⚑ ${note}</span>` : ''}`;
}

/** "0.12 ± 0.003", with "(2 of 3 seeds)" where some seeds diverged; "—" where none finished. */
function meanSd(mean: number | null, sd: number | null, k: number, n: number): string {
  if (mean === null || k === 0) return '—';
  const spread = k >= 2 && sd !== null && Number.isFinite(sd) ? ` ± ${num(sd, 2)}` : '';
  return `${num(mean)}${spread}${k < n ? ` (${k} of ${n} seeds)` : ''}`;
}

/** The learning-rate grids of a problem, stated once: the common grid, then the exceptions. */
export function gridText(p: ProblemResult, tuned: boolean): string {
  if (!tuned) return '';
  const describe = (g: OptimizerResult['grid']) =>
    `${num(g.lo, 2)} to ${num(g.hi, 2)}, steps of ${g.spacing} decade${g.spacing === 1 ? '' : 's'}, ${g.resolution} decades near the best`;
  const groups = new Map<string, { text: string; labels: string[]; extended: number }>();
  for (const o of p.optimizers) {
    const text = describe(o.grid);
    const g = groups.get(text) ?? { text, labels: [], extended: 0 };
    g.labels.push(o.label);
    g.extended = Math.max(g.extended, o.grid.extended);
    groups.set(text, g);
  }
  const sorted = [...groups.values()].sort((a, b) => b.labels.length - a.labels.length);
  const [main, ...rest] = sorted;
  if (!main) return '';
  const extended = p.optimizers.filter((o) => o.grid.extended > 0).map((o) => o.label);
  const parts = [
    `Learning-rate grid: ${main.text}${rest.length ? ` (${main.labels.length === 1 ? main.labels[0] : 'most optimizers'})` : ''}`,
    ...rest.map((g) => `${g.labels.join(', ')}: ${g.text}`),
  ];
  return (
    parts.join('; ') +
    (extended.length ? `; extended past an end for ${extended.join(', ')}` : '') +
    '. ⚑: the chosen lr is still at an end of its grid (the grid may stop it: "cap" is the problem\'s largest stable lr), so the optimum may lie beyond it.'
  );
}

function problemTable(p: ProblemResult, r: CompareResults): string {
  const escape = p.objective === 'escape';
  const dataset = p.kind !== 'function';
  const byEpoch = p.targetResolution === 'epoch';
  const n = r.config.seeds;
  const cols = [
    'rank',
    'optimizer',
    r.config.tuned ? 'tuned lr' : 'lr (fixed)',
    escape ? 'escape step (median)' : 'final loss (mean ± sd)',
    escape ? 'escape step (mean ± sd, never = run + 1)' : '',
    dataset ? 'test accuracy' : '',
    escape ? '' : byEpoch ? 'epochs to target (median)' : 'steps to target (median)',
    'p vs best',
    r.config.tuned ? 'good-lr band (decades)' : '',
    escape ? 'escape at default lr' : 'final loss at default lr',
    'time/run (ms)',
  ].filter((c) => c);
  const row = (o: OptimizerResult) => {
    const s = o.summary;
    const d = o.defaultSummary;
    const failed = s.failedSeeds > 0;
    const lead = o.withinNoiseOfBest && !failed;
    const toTarget = byEpoch ? s.epochsToTarget : s.stepsToTarget;
    const cells = [
      `${lead ? '≈ ' : ''}${formatRank(o.rank)}`,
      `${esc(o.label)}${warn(failureNote(p, o))}`,
      lrCell(o, r.config.tuned),
      escape
        ? s.escapeStep === null
          ? 'never escaped'
          : exact(s.escapeStep)
        : meanSd(s.meanFinalLoss, s.sdFinalLoss, s.finalLossSeeds, s.scores.length || n),
      escape ? meanSd(s.meanScore, s.sdScore, s.scores.length, s.scores.length) : null,
      dataset
        ? s.meanTestAccuracy === null
          ? '—'
          : `${num(s.meanTestAccuracy)}${s.sdTestAccuracy !== null && Number.isFinite(s.sdTestAccuracy) && s.scores.length > 1 ? ` ± ${num(s.sdTestAccuracy, 2)}` : ''}`
        : null,
      escape ? null : toTarget === null ? 'not reached' : exact(toTarget),
      o.pVsBest === null ? '—' : pValue(o.pVsBest),
      r.config.tuned ? String(o.goodDecades) : null,
      escape
        ? d.escapeStep === null
          ? 'never escaped'
          : exact(d.escapeStep)
        : `${meanSd(d.meanFinalLoss, d.sdFinalLoss, d.finalLossSeeds, d.scores.length)}${d.divergedSeeds > 0 ? warn(`⚠ ${d.divergedSeeds}/${d.scores.length} diverged`) : ''}`,
      num(s.meanTimeMs, 3),
    ].filter((c): c is string => c !== null);
    return `<tr${lead ? ' class="lead"' : ''}>${cells.map((c, i) => `<td${i === 1 ? ' class="name"' : ''}>${c}</td>`).join('')}</tr>`;
  };
  const sorted = p.ranking.map((name) => p.optimizers.find((o) => o.name === name)!);
  return scroll(
    `<table><tr>${cols.map((c, i) => `<th${i === 1 ? ' class="name"' : ''}>${c}</th>`).join('')}</tr>${sorted.map(row).join('')}</table>`,
  );
}

function problemNotes(p: ProblemResult, r: CompareResults): string {
  const escape = p.objective === 'escape';
  const lines = [
    `Ranked by failed seeds first (a row with any failed seed ranks behind every row without one), then by the mean ${escape ? 'escape step' : 'final training loss'} over seeds, a failed seed counting as no progress; exact ties share a rank. ≈ and shading: not told apart from the best by a ${p.separation}; a row with a failed seed is never shaded.`,
    `⚠: seeds that ${escape ? 'never escaped or diverged' : 'diverged'} at the tuned lr. "p vs best": that test's Holm-adjusted p-value (— for the best and with one seed).`,
    escape
      ? ''
      : `Final loss: mean ± sd over the seeds that did not diverge. ${
          p.targetResolution === 'epoch'
            ? `To target: the median over seeds of the first epoch end (${p.stepsPerEpoch} steps per epoch) at which the whole-training-set loss was at or below the target; "not reached" when fewer than half the seeds got there.`
            : 'To target: the median over seeds of the exact first step at which the loss was at or below the target; "not reached" when fewer than half the seeds got there.'
        }`,
    gridText(p, r.config.tuned),
  ].filter((x) => x);
  return lines.map((l) => `<p class="note">${esc(l)}</p>`).join('');
}

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

function claimFigure(c: ClaimResult, r: CompareResults, ctx: FigureContext): string {
  const problem = (name: string) => r.problems.find((p) => p.name === name);
  switch (c.figure) {
    case 'fig-steps-to-target':
      return stepsToTarget(r.problems, ctx);
    case 'fig-saddle':
      return r.problems
        .filter((p) => p.objective === 'escape')
        .map(
          (p) =>
            trajectories(p, ctx, ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam']) +
            lossCurves(p, ctx, ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam']),
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
    ? `Tuning: each optimizer's learning rate is swept on seed 0 over a log grid (steps of ${spacings.join(' or ') || '—'} decade); where the best lr sits at an end of the grid, the grid is extended a decade at a time (at most 2 decades past the base grid, never above the problem's largest stable lr); then two points half a grid step either side of the best refine it. The 3 best lrs of seed 0 are then run on every seed, and the one with the fewest failed seeds, then the lowest mean score, is chosen; an lr still at an end of its grid is flagged ⚑. Each optimizer also runs at its default lr on every seed, and the expected best result of random search with k trials shows what tuning buys (Sivaprasad et al. 2020).`
    : `No tuning: every optimizer runs at the fixed learning rate ${num(r.config.lr)} on every seed.`;
  return [
    `Protocol after DeepOBS (Schneider et al. 2019): fixed problems, several seeds, the same initial points and weights and the same data order for every optimizer; progress in steps (and in wall time where runs last a second or more, the first epoch's JIT warm-up left off the clock). Test functions start from their standard point on seed 0 and from a seeded perturbation of it on other seeds.`,
    tuning,
    `Scores and ranks: a seed fails when it diverges (or, on a saddle, never escapes) and then counts as no progress (the untrained loss, or the run length + 1). Each problem ranks its optimizers by failed seeds first, then by the mean score over seeds; exact ties share the mean of their places (2.5). Each optimizer is compared with the best by a two-sided paired t-test over seeds (the seeds pair the runs), Holm-corrected over the comparisons (Holm 1979); those not told apart from the best are marked ≈.`,
    `Across problems: the mean rank, the Friedman test of the ranks and the Nemenyi critical difference (Demšar 2006), and a performance profile (Dolan and Moré 2002) of the steps to the target or to escape.`,
    `Steps to target: the target is 90% of the best improvement any tuned run made; a run reaches it at the exact first step at which its loss over the whole training set (the final-loss column's quantity) is at or below it, known after every step on full-batch problems and at every epoch end on mini-batch data sets; a run whose final loss is below the target has reached it. The table gives the median over seeds when at least half reach it.`,
  ]
    .map((t) => `<p class="note">${esc(t)}</p>`)
    .join('');
}

/** The whole report as one self-contained HTML page. */
export function renderReport(r: CompareResults, claims: ClaimResult[], info: ReportInfo): string {
  const ctx = figureContext(r);
  const sections = r.problems.map((p) => problemSection(p, r, ctx)).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>descent compare report</title><style>${CSS}</style></head><body>
<h1>Which optimizer? A fair race</h1>
<p class="note">${esc(info.command)} · ${esc(info.machine)} · ${r.config.seeds} seed(s) per optimizer. Protocol: ${esc(r.config.protocol)}. Every optimizer sees the same initial points and weights and the same data order. Numbers behind every figure: <a href="results.json">results.json</a>.</p>
<h2 id="ranking">Ranking</h2><p>Mean rank over the problems (1 = best; ties share a rank), each problem ranked by failed seeds, then by the mean score over seeds at the ${r.config.tuned ? 'tuned' : 'fixed'} learning rate. ⚠ marks a problem on which a tuned seed failed.</p>${overallTable(r)}<p class="note">${esc(rankTestText(r))}</p><div class="figs">${performanceProfile(r, ctx)}</div>
<h2>The usual guidance, checked</h2>${claims.map((c) => claimBlock(c, claimFigure(c, r, ctx))).join('')}
<h2>Problems</h2>${sections}
<h2>Method</h2>${methodText(r)}
</body></html>`;
}
