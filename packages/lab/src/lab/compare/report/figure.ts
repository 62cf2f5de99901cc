import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { OptimizerResult, ProblemResult } from '../results.ts';
import { formatNumber } from './axes.ts';
import { esc } from './escape.ts';
import { legend, type FigureContext } from './series-style.ts';

/**
 * What every figure of the report shares. Figures are drawn with Observable Plot and rendered to static SVG on a linkedom
 * document, so the report is one self-contained file that opens offline without scripts. Each
 * figure comes with its own legend (only the series it draws) and a caption.
 */

const { document } = parseHTML('<!doctype html><html><body></body></html>');

/** A plot as SVG markup, in the report's font and on white. */
export function render(options: Plot.PlotOptions): string {
  return (
    Plot.plot({
      document,
      style: { fontSize: '11px', background: 'white' },
      ...options,
    }) as unknown as { outerHTML: string }
  ).outerHTML;
}

/** A figure: the drawn series' legend, the plot(s) and the caption. */
export function figure(
  id: string,
  svg: string,
  names: readonly string[],
  ctx: FigureContext,
  caption: string,
): string {
  const key = names.length > 0 ? legend(names, ctx) : '';
  // As wide as its plot, so that legend and caption wrap under it.
  const width = /<svg[^>]*\swidth="(\d+)"/.exec(svg)?.[1];
  const style = width ? ` style="max-width:${width}px"` : '';
  return `<figure${id ? ` id="${esc(id)}"` : ''}${style}>${key}${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** Where a tuned lr sits against its grid, in words ("" when inside the grid). */
export function edgeNote(o: Pick<OptimizerResult, 'lrAtEdge' | 'lrEdge'>): string {
  if (!o.lrAtEdge) return '';
  switch (o.lrEdge) {
    case 'low':
      return 'bottom of grid';
    case 'high':
      return 'top of grid';
    case 'cap':
      return 'cap';
    default:
      return 'edge of grid';
  }
}

/** How the drawn runs' learning rates were set, for a caption. */
export function lrSetting(p: ProblemResult, ctx: FigureContext, names: readonly string[]): string {
  if (!ctx.tuned) return `every optimizer at the fixed lr ${formatNumber(ctx.lr)} (untuned)`;
  const parts = names.map((n) => {
    const o = p.optimizers.find((x) => x.name === n)!;
    if (o.bestLr === null)
      return `${o.label} default ${formatNumber(o.defaultLr)} (every lr diverged)`;
    return `${o.label} ${formatNumber(o.bestLr, 2)}${o.lrAtEdge ? ' ⚑' : ''}`;
  });
  const flagged = names.some((n) => p.optimizers.find((x) => x.name === n)!.lrAtEdge);
  return `tuned lr: ${parts.join(', ')}${flagged ? ' (⚑ at an end of its grid)' : ''}`;
}

/** The value when it can sit on a log axis (finite and positive), else null. */
export const positive = (x: number): number | null => (Number.isFinite(x) && x > 0 ? x : null);

/** The optimizers to draw: those named in `only`, or all. */
export function pick(p: ProblemResult, only?: readonly string[]): OptimizerResult[] {
  return only ? p.optimizers.filter((o) => only.includes(o.name)) : p.optimizers;
}

/** One point of a series. */
export interface XY {
  x: number;
  y: number;
}

/**
 * One series: its line (dash and colour of its style) and its marker on `marks` (e.g. the
 * points, or the last point). The group carries `series-NAME` as its class.
 */
export function series(
  name: string,
  rows: readonly XY[],
  marks: readonly XY[],
  ctx: FigureContext,
  extra: { curve?: Plot.LineOptions['curve']; dy?: number; r?: number } = {},
): Plot.Markish[] {
  const s = ctx.styles.get(name)!;
  const dy = extra.dy ?? 0;
  return [
    Plot.line(rows, {
      x: 'x',
      y: 'y',
      stroke: s.color,
      strokeWidth: 1.5,
      strokeDasharray: s.dash,
      curve: extra.curve ?? 'linear',
      dy,
      className: `series-${name}`,
      ariaDescription: s.label,
    }),
    Plot.dot(marks, {
      x: 'x',
      y: 'y',
      symbol: s.symbol,
      fill: s.color,
      r: extra.r ?? 3.5,
      dy,
      className: `marker-${name}`,
    }),
  ];
}

const MARKERS = 8;

/**
 * About `MARKERS` evenly spaced points of a series, its last one included; series `j` of `k`
 * shifts them by j/k of the spacing, so that where lines coincide their markers alternate.
 */
export function markerPoints(rows: readonly XY[], j = 0, k = 1): XY[] {
  if (rows.length <= MARKERS) return [...rows];
  const every = Math.ceil(rows.length / MARKERS);
  const phase = Math.round((j * every) / Math.max(1, k));
  return rows.filter((_, i) => i === rows.length - 1 || (i + phase) % every === 0);
}
