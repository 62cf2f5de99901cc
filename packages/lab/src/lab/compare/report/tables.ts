import { intervalEnds, type PairedInterval } from '../bootstrap.ts';
import type { CompareResults, OptimizerResult, ProblemResult } from '../results.ts';
import { formatNumber } from './axes.ts';
import { esc } from './escape.ts';
import { edgeNote } from './figure.ts';

// The report's tables: the overall ranking with its test, and each problem's table and notes.

const num = formatNumber;

/** A shared rank as the tables print it: 3, 2.5. */
export const formatRank = (x: number): string => String(Number(x.toFixed(2)));

/** An exact count (a step, an epoch): a median of two can end in .5. */
const exact = (x: number) => String(Number(x.toFixed(1)));

/** A p-value to 2 significant digits. */
/** A bootstrap interval against the best: ×1.2–3.4 (ratio) or 0.1 to 0.3 (difference). */
function intervalCell(iv: PairedInterval): string {
  const [lo, hi] = intervalEnds(iv);
  return iv.log ? `×${lo}–${hi}` : `${lo} to ${hi}`;
}

const pValue = (p: number) => (p < 1e-4 ? '< 1e-4' : formatNumber(p, 2));

/** Wraps a table so that it scrolls sideways on a narrow screen instead of being cut. */
const scroll = (table: string, id = '') =>
  `<div class="scroll"${id ? ` id="${id}"` : ''}>${table}</div>`;

/** The seeds that failed, in words: "⚠ 1/3 diverged", "⚠ 2/3 never escaped", "⚠ 1/3 ended above its start" (or ""). */
export function failureNote(p: Pick<ProblemResult, 'objective'>, o: OptimizerResult): string {
  const s = o.summary;
  const n = s.scores.length;
  const parts: string[] = [];
  if (s.divergedSeeds > 0) parts.push(`${s.divergedSeeds}/${n} diverged`);
  const other = s.failedSeeds - s.divergedSeeds;
  if (other > 0)
    parts.push(
      `${other}/${n} ${p.objective === 'escape' ? 'never escaped' : 'ended above its start'}`,
    );
  return parts.length ? `⚠ ${parts.join(', ')}` : '';
}

const warn = (text: string) => (text ? ` <span class="warn">${esc(text)}</span>` : '');

/** "= AdamW" beside an optimizer that was exactly another one on a problem (or ""). */
function sameAsTag(o: Pick<OptimizerResult, 'label' | 'degenerateAs'>): string {
  const d = o.degenerateAs;
  if (!d) return '';
  const title = `${d.reason}: ${o.label} is ${d.label} here`;
  return ` <span class="same" title="${esc(title)}">= ${esc(d.label)}</span>`;
}

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

export function overallTable(r: CompareResults): string {
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
          return `<td${near ? ' class="lead"' : ''}>${near ? '≈ ' : ''}${formatRank(rank)}${failed ? warn('⚠') : ''}${sameAsTag(x)}</td>`;
        })
        .join('');
      const failed = o.failedOn.length ? warn(`⚠ failed seeds on ${o.failedOn.join(', ')}`) : '';
      return `<tr${lead.has(o.optimizer) ? ' class="lead"' : ''}><td>${formatRank(o.rank)}</td><td class="name">${esc(o.label)}${eraTag(r, o.optimizer)}${failed}</td><td>${o.meanRank.toFixed(2)}</td>${cells}</tr>`;
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
      ? "One problem: no test across problems; shaded rows are those within the seeds' noise of the best."
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
    `${verdict}; Nemenyi critical difference, Demšar 2006). Shaded rows lie within CD of the best mean rank.` +
    (overallTentative(r) ? ` ${TENTATIVE}` : '')
  );
}

/** Said when no two mean ranks are further apart than the critical difference. */
export const TENTATIVE =
  'Here no two optimizers are further apart than CD: the overall order is tentative, not a finding.';

/** Whether every pair of mean ranks lies within the Nemenyi critical difference. */
export function overallTentative(r: CompareResults): boolean {
  const t = r.overallTest;
  if (!t) return false;
  const ranks = r.overall.map((o) => o.meanRank);
  return Math.max(...ranks) - Math.min(...ranks) < t.criticalDifference;
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

/** A "new" tag beside an optimizer of the recent wave (Lion, Schedule-Free, ...). */
function eraTag(r: CompareResults, name: string): string {
  const era = r.problems.flatMap((p) => p.optimizers).find((o) => o.name === name)?.era;
  return era === 'new' ? ' <span class="era" title="a method of the recent wave">new</span>' : '';
}

/** The learning-rate grids of a problem, stated once: the common grid, then the exceptions. */
export function gridText(p: ProblemResult, tuned: boolean): string {
  if (!tuned) return '';
  // A self-tuning method (Prodigy) is stated apart: it had no sweep, one run per seed.
  const own = p.optimizers.filter((o) => o.selfTuning);
  const sizes = p.optimizers.filter((o) => !o.selfTuning).map((o) => o.sweep.length);
  const span = !sizes.length
    ? '0'
    : Math.min(...sizes) === Math.max(...sizes)
      ? `${sizes[0]}`
      : `${Math.min(...sizes)} to ${Math.max(...sizes)}`;
  const ownText = own
    .map(
      (o) =>
        ` ${o.label} was not tuned (it sets its own step size): it ran at its default lr ${num(o.defaultLr, 2)} on every seed, with no sweep, where each other optimizer swept ${span} learning rates on seed 0 first.`,
    )
    .join('');
  return sweptGridText(p.optimizers.filter((o) => !o.selfTuning)) + ownText;
}

function sweptGridText(swept: readonly OptimizerResult[]): string {
  const describe = (g: OptimizerResult['grid']) =>
    `${num(g.lo, 2)} to ${num(g.hi, 2)}, steps of ${g.spacing} decade${g.spacing === 1 ? '' : 's'}, ${g.resolution} decades near the best`;
  const groups = new Map<string, { text: string; labels: string[]; extended: number }>();
  for (const o of swept) {
    const text = describe(o.grid);
    const g = groups.get(text) ?? { text, labels: [], extended: 0 };
    g.labels.push(o.label);
    g.extended = Math.max(g.extended, o.grid.extended);
    groups.set(text, g);
  }
  const sorted = [...groups.values()].sort((a, b) => b.labels.length - a.labels.length);
  const [main, ...rest] = sorted;
  if (!main) return '';
  const extended = swept.filter((o) => o.grid.extended > 0).map((o) => o.label);
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

export function problemTable(p: ProblemResult, r: CompareResults): string {
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
    'vs best (95% interval)',
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
      `${esc(o.label)}${sameAsTag(o)}${warn(failureNote(p, o))}`,
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
      o.vsBest === null ? '—' : intervalCell(o.vsBest),
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

/** Which optimizers were exactly another one on this problem, and why (or ""). */
function sameAsText(p: ProblemResult): string {
  return p.optimizers
    .filter((o) => o.degenerateAs)
    .map((o) => {
      const d = o.degenerateAs!;
      const claim =
        o.era === 'new'
          ? ', and the claim that new optimizers beat Adam(W) leaves it out here'
          : '';
      return `= ${d.label}: ${o.label} was exactly ${d.label} here (${d.reason}); it ranks as raced${claim}.`;
    })
    .join(' ');
}

export function problemNotes(p: ProblemResult, r: CompareResults): string {
  const escape = p.objective === 'escape';
  const lines = [
    `Ranked by failed seeds first (a row with any failed seed ranks behind every row without one), ${escape ? '' : 'then the rows converged on every seed (a final loss under 1e-10 of its start) by their steps to the target, '}then by the mean ${escape ? 'escape step' : 'final training loss'} over seeds, a failed seed counting as no progress; means equal to 4 significant digits share a rank. ≈ and shading: within the seeds' noise of the best, by the ${p.separation}; a row with a failed seed is never shaded.`,
    `⚠: seeds that ${escape ? 'never escaped or diverged' : 'diverged'} at the tuned lr. "vs best": that interval, as the ratio of its score to the best's when every score is positive (×1.2–3.4: between 1.2 and 3.4 times the best's), else as the difference (— for the best and with one seed).`,
    escape
      ? ''
      : `Final loss: mean ± sd over the seeds that did not diverge. ${
          p.targetResolution === 'epoch'
            ? `To target: the median over seeds of the first epoch end (${p.stepsPerEpoch} steps per epoch) at which the whole-training-set loss was at or below the target; "not reached" when fewer than half the seeds got there.`
            : 'To target: the median over seeds of the exact first step at which the loss was at or below the target; "not reached" when fewer than half the seeds got there.'
        }`,
    sameAsText(p),
    gridText(p, r.config.tuned),
  ].filter((x) => x);
  return lines.map((l) => `<p class="note">${esc(l)}</p>`).join('');
}
