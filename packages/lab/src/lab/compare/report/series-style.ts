import { CONTENDERS } from '../contenders.ts';
import type { CompareResults, OptimizerResult } from '../results.ts';
import { esc } from './escape.ts';

// How each optimizer's series looks (colour, dash, marker) wherever it is drawn, and the legend
// that names them.

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
