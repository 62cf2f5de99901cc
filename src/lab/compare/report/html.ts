import type { ClaimResult } from '../claims.ts';
import type { CompareResults, OptimizerResult, ProblemResult } from '../race.ts';
import {
  colorScale,
  epochCurves,
  expectedBest,
  lossCurves,
  lrSensitivity,
  stepsToTarget,
  trajectories,
} from './plots.ts';

const esc = (s: string) =>
  s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

const num = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '–'
    : Number.isFinite(x)
      ? Number(x.toPrecision(digits)).toString()
      : 'never';

const VERDICT_CLASS: Record<ClaimResult['verdict'], string> = {
  supported: 'ok',
  'not supported': 'no',
  mixed: 'mixed',
  'no evidence': 'none',
};

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222}
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.ok{background:#d8f0d8;color:#185c18}.no{background:#f7d7d7;color:#7a1a1a}.mixed{background:#fbefc8;color:#6b5200}.none{background:#e6e6e6;color:#555}
.claim{border:1px solid #e3e3e3;border-radius:6px;padding:.6em 1em;margin:1em 0}
.figs{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}figure{margin:0}
.note{color:#666;font-size:12px}.rank1{background:#e4f2e4}
`;

function overallTable(r: CompareResults): string {
  const head = r.problems.map((p) => `<th>${esc(p.name)}</th>`).join('');
  const rows = r.overall
    .map(
      (o, i) =>
        `<tr${i === 0 ? ' class="rank1"' : ''}><td>${i + 1}. ${esc(o.label)}</td><td>${num(o.meanRank, 2)}</td>${r.problems
          .map((p) => `<td${o.ranks[p.name] === 1 ? ' class="rank1"' : ''}>${o.ranks[p.name]}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  return `<table id="fig-ranking"><tr><th>optimizer</th><th>mean rank</th>${head}</tr>${rows}</table>`;
}

function problemTable(p: ProblemResult): string {
  const dataset = p.kind !== 'function';
  const cols = [
    'optimizer',
    'best lr',
    p.objective === 'escape' ? 'median escape step' : 'median final loss',
    'mean ± sd final loss',
    ...(dataset ? ['test accuracy'] : []),
    p.objective === 'escape' ? 'escape at default lr' : 'steps to target',
    'good-lr band (decades)',
    'diverged seeds',
    'score at default lr',
    'time/run (ms)',
  ];
  const row = (o: OptimizerResult, rank: number) => {
    const s = o.summary;
    return `<tr${rank === 0 ? ' class="rank1"' : ''}><td>${esc(o.label)}</td><td>${num(o.bestLr, 2)}</td><td>${num(s.medianScore)}</td><td>${num(s.meanFinalLoss)} ± ${num(s.sdFinalLoss, 2)}</td>${
      dataset
        ? `<td>${s.meanTestAccuracy === null ? '–' : `${num(s.meanTestAccuracy)} ± ${num(s.sdTestAccuracy, 2)}`}</td>`
        : ''
    }<td>${p.objective === 'escape' ? num(o.defaultSummary.escapeStep) : num(s.stepsToTarget)}</td><td>${o.goodDecades}</td><td>${s.divergedSeeds}</td><td>${num(o.defaultSummary.medianScore)}</td><td>${num(s.meanTimeMs, 3)}</td></tr>`;
  };
  const sorted = p.ranking.map((n) => p.optimizers.find((o) => o.name === n)!);
  return `<table><tr>${cols.map((c) => `<th>${c}</th>`).join('')}</tr>${sorted.map(row).join('')}</table>`;
}

function claimBlock(c: ClaimResult, figure: string): string {
  return `<div class="claim" id="claim-${c.id}"><span class="verdict ${VERDICT_CLASS[c.verdict]}">${c.verdict}</span> <b>${esc(c.claim)}</b><p>${esc(c.evidence)}</p><div class="figs">${figure}</div></div>`;
}

export interface ReportInfo {
  /** The command or call that produced the run, shown in the header. */
  command: string;
  /** The machine, e.g. "2 cores, Node v20". */
  machine: string;
}

/** The whole report as one self-contained HTML page. */
export function renderReport(r: CompareResults, claims: ClaimResult[], info: ReportInfo): string {
  const color = colorScale(
    r.config.optimizers.map((n) => r.problems[0]!.optimizers.find((o) => o.name === n)!.label),
  );
  const problem = (name: string) => r.problems.find((p) => p.name === name);
  const figureFor = (c: ClaimResult): string => {
    switch (c.figure) {
      case 'fig-steps-to-target':
        return stepsToTarget(r.problems, color);
      case 'fig-saddle':
        return r.problems
          .filter((p) => p.objective === 'escape')
          .map((p) =>
            trajectories(p, color, ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam']),
          )
          .join('');
      case 'fig-loss-sparse-logreg': {
        const p = problem('sparse-logreg');
        return p ? epochCurves(p, color) : '';
      }
      case 'fig-ranking':
        return overallTable(r);
      case 'fig-lr-sensitivity':
        return r.problems
          .map(
            (p) =>
              `<figure><figcaption>${esc(p.name)}</figcaption>${lrSensitivity(p, color, ['adam', 'radam'])}</figure>`,
          )
          .join('');
      case 'fig-switch':
        return r.problems
          .filter((p) => p.objective === 'loss')
          .map(
            (p) =>
              `<figure><figcaption>${esc(p.name)}</figcaption>${p.kind === 'function' ? lossCurves(p, color, ['adam', 'adam-sgd']) : epochCurves(p, color, ['adam', 'adam-sgd'])}</figure>`,
          )
          .join('');
      case 'fig-kingma-ba':
        return ['digits-logreg', 'sparse-logreg']
          .map((n) => problem(n))
          .filter((p): p is ProblemResult => p !== undefined)
          .map(
            (p) =>
              `<figure><figcaption>${esc(p.name)}</figcaption>${epochCurves(p, color, ['adam', 'nesterov', 'adagrad'])}</figure>`,
          )
          .join('');
      default:
        return '';
    }
  };
  const sections = r.problems
    .map((p) => {
      const curves = p.kind === 'function' ? lossCurves(p, color) : epochCurves(p, color);
      return `<h3 id="problem-${esc(p.name)}">${esc(p.name)}</h3><p>${esc(p.description)}. ${p.epochs} ${p.kind === 'function' ? 'steps' : `epochs, batch size ${p.batchSize}`}; ${
        p.objective === 'escape'
          ? 'score: the step at which the loss first falls below -1 (escaping the saddle)'
          : `score: final training loss; target ${num(p.target)} (90% of the best improvement)`
      }.</p>${problemTable(p)}<div class="figs">${p.fn ? `<figure><figcaption>trajectories (seed 0, tuned lr)</figcaption>${trajectories(p, color)}</figure>` : ''}<figure><figcaption>loss curves (tuned lr)</figcaption>${curves}</figure><figure><figcaption>learning-rate sensitivity (seed 0)</figcaption>${lrSensitivity(p, color)}</figure><figure><figcaption>expected best result vs tuning trials</figcaption>${expectedBest(p, color)}</figure></div>`;
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>descent compare report</title><style>${CSS}</style></head><body>
<h1>Which optimizer? A fair race</h1>
<p class="note">${esc(info.command)} · ${esc(info.machine)} · ${r.config.seeds} seed(s) per optimizer · ${r.config.tuned ? 'learning rates tuned on seed 0 over a log grid, then the best re-run on every seed' : `fixed learning rate ${r.config.lr}`}. Every optimizer sees the same initial points and weights and the same data order. Numbers behind every figure: <a href="results.json">results.json</a>.</p>
<h2>Ranking</h2><p>Mean rank over the problems (1 = best), by the median score over seeds at the tuned learning rate.</p>${overallTable(r)}
<h2>The usual guidance, checked</h2>${claims.map((c) => claimBlock(c, c.figure === 'fig-ranking' ? '' : figureFor(c))).join('')}
<h2>Problems</h2>${sections}
<h2>Method</h2><p class="note">Protocol after DeepOBS (Schneider et al. 2019): fixed problems, several seeds, training loss and test accuracy, progress in steps, epochs and wall-clock time. Tuning after Sivaprasad et al. (2020): the learning rate is swept on a log grid (half-decade steps) on seed 0, the best re-run over the seeds; each optimizer also runs at its default learning rate, and the expected best result of random search with k trials shows what tuning buys. A diverged run scores as no progress. Test functions start from their standard point on seed 0 and from a seeded perturbation of it on other seeds.</p>
</body></html>`;
}
