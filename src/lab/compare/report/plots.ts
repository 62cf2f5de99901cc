import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { testFunction } from '../../functions.ts';
import { CONTENDERS } from '../contenders.ts';
import type { CompareResults, OptimizerResult, ProblemResult } from '../race.ts';

/**
 * The report's figures, drawn with Observable Plot and rendered to static SVG on a linkedom
 * document, so the report is one self-contained file that opens offline without scripts. Each
 * figure comes with its own legend (only the series it draws) and a caption.
 */

const { document } = parseHTML('<!doctype html><html><body></body></html>');

// 13 colours, one per contender in CONTENDERS order, so an optimizer keeps its colour across
// figures and across runs; look-alike hues sit on optimizers that differ in dash and marker.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#c9a100',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#8a8a8a',
  '#2b2d8c',
  '#8b0a3a',
  '#000000',
];

/** Filled marker shapes, drawn on the points or the ends of each series. */
const SYMBOLS = ['circle', 'square', 'diamond', 'triangle', 'cross', 'star', 'wye'] as const;
export type MarkerSymbol = (typeof SYMBOLS)[number];

// Dash by family: SGD family solid, adaptive dashed, switch dotted; a second pattern per family
// for optimizers past the palette's end, whose colour repeats.
const DASHES: Record<OptimizerResult['family'], [string, string]> = {
  sgd: ['none', '10 3 2 3'],
  adaptive: ['6 3', '12 4'],
  switch: ['2 2', '1 4'],
};

/** How one optimizer's series looks in every figure. */
export interface SeriesStyle {
  label: string;
  color: string;
  dash: string;
  symbol: MarkerSymbol;
}

/** What every figure needs besides its data: the styles, and how the lr was set. */
export interface FigureContext {
  styles: ReadonlyMap<string, SeriesStyle>;
  tuned: boolean;
  /** The fixed lr of an untuned race. */
  lr: number | null;
}

/**
 * One style per optimizer: colour and marker by its place among all contenders (colour i mod 13
 * and marker i mod 7 never repeat together below 91 series), dash by family. Names outside
 * CONTENDERS take the places after them.
 */
export function seriesStyles(
  optimizers: readonly Pick<OptimizerResult, 'name' | 'label' | 'family'>[],
): Map<string, SeriesStyle> {
  const known = CONTENDERS.map((c) => c.name);
  let extra = known.length;
  const out = new Map<string, SeriesStyle>();
  for (const o of optimizers) {
    const k = known.indexOf(o.name);
    const i = k >= 0 ? k : extra++;
    out.set(o.name, {
      label: o.label,
      color: PALETTE[i % PALETTE.length]!,
      dash: DASHES[o.family][Math.floor(i / PALETTE.length) % 2]!,
      symbol: SYMBOLS[i % SYMBOLS.length]!,
    });
  }
  return out;
}

/** The figure context of a race's results. */
export function figureContext(r: CompareResults): FigureContext {
  return {
    styles: seriesStyles(r.problems[0]?.optimizers ?? []),
    tuned: r.config.tuned,
    lr: r.config.lr,
  };
}

/**
 * A number as ML papers write it: plain between 0.01 and 10^4 (0.7, 3, 250), otherwise as a
 * power of ten without SI letters (1e-3, 2.5e-7, 1e5); `digits` significant digits at most.
 * Non-finite and missing values are "—".
 */
export function formatNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const r = Number(x.toPrecision(digits));
  if (r === 0) return '0';
  const a = Math.abs(r);
  if (a >= 0.01 && a < 1e4) return String(r);
  return r.toExponential().replace('e+', 'e');
}

/** The tick formatter of every numeric axis of the report. */
export const formatTick = (x: number): string => formatNumber(x, 3);

/**
 * Tick values for a log axis over [lo, hi]: powers of `base` when at least 3 fall inside (every
 * k-th, anchored at base^0, when more than `max` do); else 1-2-5 steps; else 1..9 steps of the
 * decade; else the ends.
 */
export function logTicks(lo: number, hi: number, base = 10, max = 7): number[] {
  const inside = (xs: number[]) => xs.filter((x) => x >= lo * (1 - 1e-9) && x <= hi * (1 + 1e-9));
  const lb = Math.log(base);
  const from = Math.ceil(Math.log(lo) / lb - 1e-9);
  const to = Math.floor(Math.log(hi) / lb + 1e-9);
  const powers: number[] = [];
  const stride = Math.max(1, Math.ceil((to - from + 1) / max));
  for (let e = from; e <= to; e++) if (e % stride === 0) powers.push(clean(base ** e));
  if (powers.length >= 3 || base !== 10) return powers.length >= 2 ? powers : [lo, hi];
  for (const steps of [
    [1, 2, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
      for (const s of steps) out.push(clean(s * 10 ** e));
    }
    const kept = inside(out);
    if (kept.length >= 3 && kept.length <= 10) return kept;
  }
  return powers.length >= 2 ? powers : [lo, hi];
}

/** The largest 1-2-5 value at or below x (`up`: the smallest at or above). */
function niceLog(x: number, up: boolean): number {
  const e = Math.floor(Math.log10(x));
  const steps = [1, 2, 5, 10].map((s) => clean(s * 10 ** e));
  return up
    ? (steps.find((v) => v >= x * (1 - 1e-12)) ?? steps[3]!)
    : (steps.reverse().find((v) => v <= x * (1 + 1e-12)) ?? steps[3]!);
}

// Powers like 10 ** -3 come out as 0.0010000000000000002; keep the digits a reader would write.
const clean = (x: number) => Number(x.toPrecision(12));

/** Log-scale options over the positive values: a rounded domain, its ticks, ML notation. */
function logScale(values: readonly number[], label: string, base = 10): Plot.ScaleOptions {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  let lo = pos.length ? Math.min(...pos) : 1;
  let hi = pos.length ? Math.max(...pos) : 10;
  if (base !== 10 && hi / lo >= base) {
    const lb = Math.log(base);
    lo = clean(base ** Math.floor(Math.log(lo) / lb + 1e-9));
    hi = clean(base ** Math.ceil(Math.log(hi) / lb - 1e-9));
  } else if (hi / lo >= 3) {
    lo = niceLog(lo, false);
    hi = niceLog(hi, true);
  } else if (lo === hi) {
    lo /= 2;
    hi *= 2;
  }
  return {
    type: 'log',
    base,
    domain: [lo, hi],
    ticks: logTicks(lo, hi, base),
    tickFormat: formatTick,
    label,
    grid: true,
  };
}

function linearScale(label: string, extra: Plot.ScaleOptions = {}): Plot.ScaleOptions {
  return { type: 'linear', label, tickFormat: formatTick, ...extra };
}

function render(options: Plot.PlotOptions): string {
  return (
    Plot.plot({
      document,
      style: { fontSize: '11px', background: 'white' },
      ...options,
    }) as unknown as { outerHTML: string }
  ).outerHTML;
}

const esc = (s: string) =>
  s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

/** A marker shape as SVG, centred at (cx, cy), about `r` in radius (for the legend). */
function symbolSvg(symbol: MarkerSymbol, cx: number, cy: number, r: number, color: string) {
  const poly = (pts: [number, number][]) =>
    `<polygon points="${pts.map(([x, y]) => `${(cx + x * r).toFixed(2)},${(cy + y * r).toFixed(2)}`).join(' ')}" fill="${color}"/>`;
  switch (symbol) {
    case 'circle':
      return `<circle cx="${cx}" cy="${cy}" r="${r * 0.85}" fill="${color}"/>`;
    case 'square':
      return poly([
        [-0.8, -0.8],
        [0.8, -0.8],
        [0.8, 0.8],
        [-0.8, 0.8],
      ]);
    case 'diamond':
      return poly([
        [0, -1.2],
        [0.7, 0],
        [0, 1.2],
        [-0.7, 0],
      ]);
    case 'triangle':
      return poly([
        [0, -1.1],
        [1, 0.75],
        [-1, 0.75],
      ]);
    case 'cross': {
      const a = 0.33;
      return poly([
        [-a, -1],
        [a, -1],
        [a, -a],
        [1, -a],
        [1, a],
        [a, a],
        [a, 1],
        [-a, 1],
        [-a, a],
        [-1, a],
        [-1, -a],
        [-a, -a],
      ]);
    }
    case 'star': {
      const pts: [number, number][] = [];
      for (let k = 0; k < 10; k++) {
        const rad = k % 2 === 0 ? 1.15 : 0.47;
        const t = -Math.PI / 2 + (k * Math.PI) / 5;
        pts.push([rad * Math.cos(t), rad * Math.sin(t)]);
      }
      return poly(pts);
    }
    case 'wye': {
      // Three arms of half-width w, 120° apart; between two arms, the notch where their edges meet.
      const w = 0.3;
      const pts: [number, number][] = [];
      for (let k = 0; k < 3; k++) {
        const t = -Math.PI / 2 + (k * 2 * Math.PI) / 3;
        const [c, s] = [Math.cos(t), Math.sin(t)];
        pts.push([1.1 * c + w * s, 1.1 * s - w * c], [1.1 * c - w * s, 1.1 * s + w * c]);
        const n = t + Math.PI / 3;
        const d = w / Math.sin(Math.PI / 3);
        pts.push([d * Math.cos(n), d * Math.sin(n)]);
      }
      return poly(pts);
    }
  }
}

/** The legend of one figure: only the series it draws, each as line dash, colour and marker. */
export function legend(names: readonly string[], ctx: FigureContext): string {
  const items = names.map((n) => {
    const s = ctx.styles.get(n)!;
    const dash = s.dash === 'none' ? '' : ` stroke-dasharray="${s.dash}"`;
    return `<span class="key" data-series="${esc(n)}"><svg width="30" height="12" viewBox="0 0 30 12" aria-hidden="true"><line x1="1" y1="6" x2="29" y2="6" stroke="${s.color}" stroke-width="2"${dash}/>${symbolSvg(s.symbol, 15, 6, 4, s.color)}</svg>${esc(s.label)}</span>`;
  });
  return `<div class="legend">${items.join('')}</div>`;
}

/** A figure: the drawn series' legend, the plot(s) and the caption. */
function figure(
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

const positive = (x: number) => (Number.isFinite(x) && x > 0 ? x : null);

function pick(p: ProblemResult, only?: readonly string[]): OptimizerResult[] {
  return only ? p.optimizers.filter((o) => only.includes(o.name)) : p.optimizers;
}

interface XY {
  x: number;
  y: number;
}

/**
 * One series: its line (dash and colour of its style) and its marker on `marks` (e.g. the
 * points, or the last point). The group carries `series-NAME` as its class.
 */
function series(
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
function markerPoints(rows: readonly XY[], j = 0, k = 1): XY[] {
  if (rows.length <= MARKERS) return [...rows];
  const every = Math.ceil(rows.length / MARKERS);
  const phase = Math.round((j * every) / Math.max(1, k));
  return rows.filter((_, i) => i === rows.length - 1 || (i + phase) % every === 0);
}

/**
 * Loss against steps on a 2-D or n-D test function (seed 0 at the tuned lr, each of the 120
 * buckets' lowest loss): log scale above the known minimum; for saddles, which are unbounded
 * below, a linear scale clipped at -5.
 */
export function lossCurves(p: ProblemResult, ctx: FigureContext, only?: string[]): string {
  const fn = p.fn ? testFunction(p.fn.name) : undefined;
  const escape = p.objective === 'escape';
  const shift = fn && Number.isFinite(fn.minValue) ? fn.minValue : 0;
  const drawn: string[] = [];
  const marks: Plot.Markish[] = [];
  const all: number[] = [];
  const chosen = pick(p, only);
  chosen.forEach((o, j) => {
    const r = o.tuned[0];
    if (!r) return;
    const rows: XY[] = [];
    const start = escape ? r.initialLoss : positive(r.initialLoss - shift);
    if (start !== null && Number.isFinite(start)) rows.push({ x: 0, y: start });
    for (let i = 0; i < r.curve.step.length; i++) {
      const raw = r.curve.loss[i]!;
      const v = escape ? (Number.isFinite(raw) ? Math.max(raw, -5) : null) : positive(raw - shift);
      if (v !== null) rows.push({ x: r.curve.step[i]!, y: v });
      // Past the clip a saddle's loss only falls further: the line stops where it escaped.
      if (escape && v === -5) break;
    }
    if (rows.length === 0) return;
    drawn.push(o.name);
    all.push(...rows.map((q) => q.y));
    marks.push(...series(o.name, rows, markerPoints(rows, j, chosen.length), ctx));
  });
  const svg = render({
    width: 560,
    height: 300,
    x: linearScale('step'),
    y: escape
      ? linearScale('loss (drawn down to -5)', { grid: true })
      : logScale(all, shift !== 0 ? `loss − ${shift}` : 'loss'),
    marks,
  });
  const read = escape
    ? 'Each line stops where its loss first reaches -5. Read: how soon each loss turns down, leaving the saddle (the table gives the exact escape steps).'
    : 'Read: how fast and how far each loss falls; lines that flatten high have stalled.';
  return figure(
    '',
    svg,
    drawn,
    ctx,
    `${p.name}: loss against steps, seed 0, the lowest loss in each of ${r0Buckets(p)} equal spans of steps (${lrSetting(p, ctx, drawn)}). ${read}`,
  );
}

const r0Buckets = (p: ProblemResult) => p.optimizers[0]?.tuned[0]?.curve.step.length ?? 0;

/**
 * Data sets: the whole-training-set loss at each epoch's end (mean over the seeds that did not
 * diverge), against steps; and against wall time where runs were long enough for it to mean
 * anything, the first epoch (JIT warm-up) left off the clock.
 */
export function epochCurves(p: ProblemResult, ctx: FigureContext, only?: string[]): string {
  const drawn: string[] = [];
  const bySteps: Plot.Markish[] = [];
  const byTime: Plot.Markish[] = [];
  const ys: number[] = [];
  const warm = p.timesMeaningful;
  const chosen = pick(p, only);
  chosen.forEach((o, j) => {
    const n = Math.max(0, ...o.tuned.map((r) => r.epochs.trainLoss.length));
    const meanAt = (f: (r: OptimizerResult['tuned'][number]) => number | undefined) => {
      const xs = o.tuned.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    };
    const steps: XY[] = [];
    const time: XY[] = [];
    const start = meanAt((r) => r.initialLoss);
    if (positive(start) !== null) steps.push({ x: 0, y: start });
    const t0 = meanAt((r) => r.epochs.timeMs[0]);
    for (let e = 0; e < n; e++) {
      const loss = meanAt((r) => r.epochs.trainLoss[e]);
      if (positive(loss) === null) continue;
      steps.push({ x: (e + 1) * p.stepsPerEpoch, y: loss });
      const ms = meanAt((r) => r.epochs.timeMs[e]);
      if (warm && e >= 1 && Number.isFinite(ms)) time.push({ x: (ms - t0) / 1000, y: loss });
      if (warm && e === 0) time.push({ x: 0, y: loss });
    }
    if (steps.length === 0) return;
    drawn.push(o.name);
    ys.push(...steps.map((q) => q.y));
    bySteps.push(...series(o.name, steps, markerPoints(steps, j, chosen.length), ctx));
    if (time.length)
      byTime.push(...series(o.name, time, markerPoints(time, j, chosen.length), ctx));
  });
  const y = logScale(ys, 'training-set loss (mean over seeds)');
  const setting = lrSetting(p, ctx, drawn);
  const stepsFig = figure(
    '',
    render({ width: 460, height: 280, x: linearScale('step (epoch ends)'), y, marks: bySteps }),
    drawn,
    ctx,
    `${p.name}: loss over the whole training set at each epoch's end (${p.stepsPerEpoch} steps per epoch), mean over the seeds that did not diverge (${setting}). ` +
      (warm
        ? 'Read: how fast each optimizer lowers the training loss per step.'
        : 'Read: how fast each optimizer lowers the training loss per step; runs were too short (under a second) for wall time to mean anything, so progress is shown in steps only.'),
  );
  if (!warm) return stepsFig;
  const timeFig = figure(
    '',
    render({
      width: 460,
      height: 280,
      x: linearScale('training time after epoch 1 (s)'),
      y,
      marks: byTime,
    }),
    drawn,
    ctx,
    `${p.name}: the same loss against training wall time, counted from the end of the first epoch so that JIT warm-up is left out (${setting}). Read: which optimizer gets furthest per second on this machine.`,
  );
  return stepsFig + timeFig;
}

/** A box [[x1, x2], [y1, y2]]. */
export type Box = readonly [readonly [number, number], readonly [number, number]];

/**
 * The part of the segment p→q inside the box (Liang and Barsky 1984), or null. `enters`: p is
 * outside and the part starts on the boundary; `leaves`: q is outside and it ends there. An
 * endpoint inside the box is returned as given. Finite coordinates of any size are fine.
 */
export function clipSegment(
  p: readonly number[],
  q: readonly number[],
  box: Box,
): { a: number[]; b: number[]; enters: boolean; leaves: boolean } | null {
  const [px, py] = [p[0]!, p[1]!];
  const [qx, qy] = [q[0]!, q[1]!];
  let dx = qx - px;
  let dy = qy - py;
  let end = 1;
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) {
    // q - p overflows: walk half the vector twice as far.
    dx = qx / 2 - px / 2;
    dy = qy / 2 - py / 2;
    end = 2;
  }
  const [[x1, x2], [y1, y2]] = box;
  let t0 = 0;
  let t1 = end;
  for (const [den, num] of [
    [-dx, px - x1],
    [dx, x2 - px],
    [-dy, py - y1],
    [dy, y2 - py],
  ] as const) {
    if (den === 0) {
      if (num < 0) return null;
      continue;
    }
    const t = num / den;
    if (den < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
  }
  if (t0 > t1) return null;
  const at = (t: number) => [px + t * dx, py + t * dy];
  return {
    a: t0 === 0 ? [px, py] : at(t0),
    b: t1 === end ? [qx, qy] : at(t1),
    enters: t0 > 0,
    leaves: t1 < end,
  };
}

/** A path cut to a box: the visible pieces, and how it ended. */
export interface ClippedPath {
  pieces: number[][][];
  /** Where the path left the box for good (null: it ends inside, or diverged inside). */
  exit: number[] | null;
  /** It reached a non-finite point (drawing stops at the last finite one). */
  diverged: boolean;
  /** The last point drawn inside the box when the path ends there (null otherwise). */
  end: number[] | null;
}

const inBox = (p: readonly number[], [[x1, x2], [y1, y2]]: Box) =>
  p[0]! >= x1 && p[0]! <= x2 && p[1]! >= y1 && p[1]! <= y2;

/**
 * Cuts a path to a box: each segment is clipped, a segment that leaves is drawn to the boundary,
 * one that comes back starts a new piece there; a non-finite point ends the path.
 */
export function clipPath(path: readonly (readonly number[])[], box: Box): ClippedPath {
  const pieces: number[][][] = [];
  const finite = (p: readonly number[]) => Number.isFinite(p[0]) && Number.isFinite(p[1]);
  let current: number[][] | null = null;
  let exit: number[] | null = null;
  let last: readonly number[] | null = null;
  for (const q of path) {
    if (!finite(q)) {
      return {
        pieces,
        exit: last && !inBox(last, box) ? exit : null,
        diverged: true,
        end: last && inBox(last, box) ? [...last] : null,
      };
    }
    if (last === null) {
      if (inBox(q, box)) pieces.push((current = [[q[0]!, q[1]!]]));
      last = q;
      continue;
    }
    const seg = clipSegment(last, q, box);
    last = q;
    if (!seg) {
      current = null;
      continue;
    }
    if (current && !seg.enters) current.push(seg.b);
    else pieces.push((current = [seg.a, seg.b]));
    if (seg.leaves) {
      exit = seg.b;
      current = null;
    }
  }
  const inside = last !== null && inBox(last, box);
  return {
    pieces,
    exit: inside ? null : exit,
    diverged: false,
    end: inside ? [last![0]!, last![1]!] : null,
  };
}

/** Margin around the plot window within which paths are drawn, as a fraction of its size. */
export const TRAJECTORY_MARGIN = 0.05;

/**
 * The path of each optimizer (seed 0, tuned lr) over the contour map of a 2-D test function,
 * clipped to the window plus a 5% margin: a path that leaves is drawn to the edge and marked ×.
 */
export function trajectories(p: ProblemResult, ctx: FigureContext, only?: string[]): string {
  const fn = p.fn ? testFunction(p.fn.name) : undefined;
  if (!fn || !p.fn) return '';
  const [[wx1, wx2], [wy1, wy2]] = p.fn.window as [[number, number], [number, number]];
  const mx = TRAJECTORY_MARGIN * (wx2 - wx1);
  const my = TRAJECTORY_MARGIN * (wy2 - wy1);
  const box: Box = [
    [wx1 - mx, wx2 + mx],
    [wy1 - my, wy2 + my],
  ];
  const [[x1, x2], [y1, y2]] = box;
  const shift = Number.isFinite(fn.minValue) ? fn.minValue : 0;
  const log = p.fn.contour === 'log';
  const value = (x: number, y: number) => {
    const v = fn.value([x, y]);
    return log ? Math.log10(Math.max(v - shift, 1e-12)) : v;
  };
  const marks: Plot.Markish[] = [
    Plot.contour({
      x1,
      x2,
      y1,
      y2,
      width: 80,
      height: 80,
      value,
      stroke: '#bbb',
      strokeWidth: 0.6,
      thresholds: 24,
    }),
  ];
  const drawn: string[] = [];
  const left: string[] = [];
  const diverged: string[] = [];
  const starts: number[][] = [];
  for (const o of pick(p, only)) {
    const path = o.tuned[0]?.trajectory;
    if (!path || path.length === 0) continue;
    const c = clipPath(path, box);
    if (c.pieces.length === 0 && !c.exit && !c.end) continue;
    drawn.push(o.name);
    if (path[0] && Number.isFinite(path[0][0]) && Number.isFinite(path[0][1])) {
      if (!starts.some((s) => s[0] === path[0]![0] && s[1] === path[0]![1]))
        starts.push([path[0][0]!, path[0][1]!]);
    }
    const s = ctx.styles.get(o.name)!;
    c.pieces.forEach((piece) => {
      marks.push(
        Plot.line(
          piece.map(([x, y]) => ({ x: x!, y: y! })),
          {
            x: 'x',
            y: 'y',
            stroke: s.color,
            strokeWidth: 1.5,
            strokeDasharray: s.dash,
            className: `series-${o.name}`,
            ariaDescription: s.label,
          },
        ),
      );
    });
    if (c.end && !c.diverged) {
      marks.push(
        Plot.dot([{ x: c.end[0]!, y: c.end[1]! }], {
          x: 'x',
          y: 'y',
          symbol: s.symbol,
          fill: s.color,
          stroke: 'white',
          strokeWidth: 0.5,
          r: 4.5,
          className: `marker-${o.name}`,
        }),
      );
    }
    const cross = c.exit ?? (c.diverged ? c.end : null);
    if (cross) {
      (c.exit ? left : diverged).push(s.label);
      marks.push(
        Plot.dot([{ x: cross[0]!, y: cross[1]! }], {
          x: 'x',
          y: 'y',
          symbol: 'times',
          stroke: s.color,
          strokeWidth: 2.2,
          r: 6,
          className: `exit-${o.name}`,
        }),
      );
    }
  }
  marks.push(
    Plot.dot(
      p.fn.minima.map(([x, y]) => ({ x, y })),
      { x: 'x', y: 'y', symbol: 'star', fill: 'black', r: 5 },
    ),
    Plot.dot(
      starts.map(([x, y]) => ({ x, y })),
      { x: 'x', y: 'y', symbol: 'circle', stroke: 'black', strokeWidth: 1.5, r: 5 },
    ),
  );
  const svg = render({
    width: 460,
    height: 420,
    x: linearScale('x', { domain: [x1, x2] }),
    y: linearScale('y', { domain: [y1, y2] }),
    marks,
  });
  const notes = [
    left.length ? `left the window: ${left.join(', ')}` : '',
    diverged.length ? `diverged (non-finite): ${diverged.join(', ')}` : '',
  ].filter((x) => x);
  const read =
    p.objective === 'escape'
      ? 'Read: which paths leave the saddle point and how directly.'
      : 'Read: which paths head straight for the minimum and which overshoot, zig-zag or stall.';
  return figure(
    '',
    svg,
    drawn,
    ctx,
    `${p.name}: the path of seed 0 over the contour map (${lrSetting(p, ctx, drawn)}); ○ start${p.fn.minima.length ? ', ★ minimum' : ''}, the legend's marker at each path's end, × where a path left the window (drawn to 5% beyond it) or diverged${notes.length ? ` — ${notes.join('; ')}` : ''}. ${read}`,
  );
}

/** The score against learning rate: seed 0 at every lr tried, the chosen lr ringed. */
export function lrSensitivity(p: ProblemResult, ctx: FigureContext, only?: string[]): string {
  const escape = p.objective === 'escape';
  const cap = escape
    ? p.epochs + 1
    : Math.max(
        ...p.optimizers.flatMap((o) => o.tuned.map((r) => r.initialLoss)).filter(Number.isFinite),
      );
  const drawn: string[] = [];
  const marks: Plot.Markish[] = [];
  const lrs: number[] = [];
  const scores: number[] = [];
  const chosen: { x: number; y: number; color: string }[] = [];
  for (const o of pick(p, only)) {
    const rows: XY[] = [];
    for (const s of o.sweep) {
      const score = Number.isFinite(s.score) ? Math.min(s.score, cap) : cap;
      if (positive(score) !== null) rows.push({ x: s.lr, y: score });
    }
    if (rows.length === 0) continue;
    drawn.push(o.name);
    lrs.push(...rows.map((q) => q.x));
    scores.push(...rows.map((q) => q.y));
    marks.push(...series(o.name, rows, rows, ctx, { r: 3 }));
    const best = rows.find((q) => q.x === o.bestLr);
    if (best) chosen.push({ ...best, color: ctx.styles.get(o.name)!.color });
  }
  marks.push(
    Plot.dot(chosen, {
      x: 'x',
      y: 'y',
      r: 7,
      stroke: (d: { color: string }) => d.color,
      strokeWidth: 1.5,
    }),
  );
  const flagged = pick(p, only)
    .filter((o) => drawn.includes(o.name) && o.lrAtEdge)
    .map((o) => `${o.label} (${edgeNote(o)})`);
  const svg = render({
    width: 460,
    height: 280,
    x: logScale(lrs, 'learning rate'),
    y: logScale(
      scores,
      escape ? 'steps to escape (top: never escaped)' : 'final training loss (top: no progress)',
    ),
    marks,
  });
  const what = escape ? 'steps to escape the saddle' : 'final training loss';
  return figure(
    '',
    svg,
    drawn,
    ctx,
    `${p.name}: seed 0's ${what} at every learning rate tried (coarse grid, extensions, refinement); runs that ${escape ? 'never escaped' : 'diverged or ended worse than they started'} are drawn at the top; the ringed point is the lr chosen over all seeds${flagged.length ? `; chosen at an end of the grid: ${flagged.join(', ')}` : ''}. Read: how wide the valley of good learning rates is, and whether its bottom lies inside the grid.`,
  );
}

/** Expected best score of random search with k learning-rate trials (Sivaprasad et al. 2020). */
export function expectedBest(p: ProblemResult, ctx: FigureContext, only?: string[]): string {
  const drawn: string[] = [];
  const marks: Plot.Markish[] = [];
  const ys: number[] = [];
  const chosen = pick(p, only);
  chosen.forEach((o, j) => {
    const rows = o.expectedBest
      .filter((e) => positive(e.score) !== null)
      .map((e) => ({ x: e.trials, y: e.score }));
    if (rows.length === 0) return;
    drawn.push(o.name);
    ys.push(...rows.map((q) => q.y));
    marks.push(...series(o.name, rows, markerPoints(rows, j, chosen.length), ctx));
  });
  const svg = render({
    width: 460,
    height: 280,
    x: linearScale('tuning trials (random lr from the coarse grid)'),
    y: logScale(ys, p.objective === 'escape' ? 'expected best escape step' : 'expected best score'),
    marks,
  });
  return figure(
    '',
    svg,
    drawn,
    ctx,
    `${p.name}: the expected best seed-0 score of k learning rates drawn at random from the coarse grid, k = 1 to the grid's size (Sivaprasad et al. 2020). Read: a curve that starts low needs little tuning; one that falls late needs many trials.`,
  );
}

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
