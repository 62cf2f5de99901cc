import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { testFunction } from '../../functions.ts';
import type { OptimizerResult, ProblemResult } from '../race.ts';

/**
 * The report's figures, drawn with Observable Plot and rendered to static SVG on a linkedom
 * document, so the report is one self-contained file that opens offline without scripts.
 */

const { document } = parseHTML('<!doctype html><html><body></body></html>');

// 13 distinguishable colours (Tableau 10 plus three), fixed per optimizer across all figures.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#17becf',
  '#8c564b',
  '#000000',
];

export interface ColorScale {
  domain: string[];
  range: string[];
}

export function colorScale(labels: string[]): ColorScale {
  return { domain: labels, range: labels.map((_, i) => PALETTE[i % PALETTE.length] as string) };
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

const positive = (x: number) => (Number.isFinite(x) && x > 0 ? x : null);

/**
 * Loss against steps (seed 0 at the tuned lr): log scale above the known minimum; for saddles,
 * which are unbounded below, a linear scale clipped at -5.
 */
export function lossCurves(p: ProblemResult, color: ColorScale, only?: string[]): string {
  const fn = p.fn ? testFunction(p.fn.name) : undefined;
  const escape = p.objective === 'escape';
  const shift = fn && Number.isFinite(fn.minValue) ? fn.minValue : 0;
  const rows: { step: number; loss: number; optimizer: string }[] = [];
  for (const o of pick(p, only)) {
    const r = o.tuned[0];
    if (!r) continue;
    r.curve.step.forEach((s, i) => {
      const raw = r.curve.loss[i]!;
      const v = escape ? (Number.isNaN(raw) ? null : Math.max(raw, -5)) : positive(raw - shift);
      if (v !== null) rows.push({ step: s, loss: v, optimizer: o.label });
    });
  }
  return render({
    width: 560,
    height: 300,
    x: { label: 'step', type: 'linear' },
    y: escape
      ? { label: 'loss (clipped at -5)', type: 'linear', grid: true }
      : {
          label: shift !== 0 ? `loss − ${shift}` : 'loss (best of each bucket)',
          type: 'log',
          grid: true,
        },
    color: { ...color, legend: true },
    marks: [
      Plot.line(rows, {
        x: 'step',
        y: 'loss',
        stroke: 'optimizer',
        z: 'optimizer',
        strokeWidth: 1.5,
      }),
    ],
  });
}

/** Data sets: mean training loss per epoch over seeds, against epochs and against wall time. */
export function epochCurves(p: ProblemResult, color: ColorScale, only?: string[]): string {
  const rows: { epoch: number; seconds: number; loss: number; optimizer: string }[] = [];
  for (const o of pick(p, only)) {
    const n = Math.min(...o.tuned.map((r) => r.epochs.trainLoss.length));
    for (let e = 0; e < n; e++) {
      const loss = o.tuned.reduce((s, r) => s + r.epochs.trainLoss[e]!, 0) / o.tuned.length;
      const ms = o.tuned.reduce((s, r) => s + r.epochs.timeMs[e]!, 0) / o.tuned.length;
      if (positive(loss) !== null)
        rows.push({ epoch: e + 1, seconds: ms / 1000, loss, optimizer: o.label });
    }
  }
  const common = {
    height: 280,
    y: { label: 'train loss (mean over seeds)', type: 'log' as const, grid: true },
    color: { ...color, legend: true },
  };
  return (
    render({
      ...common,
      width: 460,
      x: { label: 'epoch' },
      marks: [
        Plot.line(rows, {
          x: 'epoch',
          y: 'loss',
          stroke: 'optimizer',
          z: 'optimizer',
          marker: 'dot',
        }),
      ],
    }) +
    render({
      ...common,
      width: 460,
      color: color,
      x: { label: 'training time (s)' },
      marks: [
        Plot.line(rows, {
          x: 'seconds',
          y: 'loss',
          stroke: 'optimizer',
          z: 'optimizer',
          marker: 'dot',
        }),
      ],
    })
  );
}

/** The path of each optimizer (seed 0, tuned lr) over the contour map of a 2-D test function. */
export function trajectories(p: ProblemResult, color: ColorScale, only?: string[]): string {
  const fn = p.fn ? testFunction(p.fn.name) : undefined;
  if (!fn || !p.fn) return '';
  const [[x1, x2], [y1, y2]] = p.fn.window as [[number, number], [number, number]];
  const shift = Number.isFinite(fn.minValue) ? fn.minValue : 0;
  const value = (x: number, y: number) => {
    const v = fn.value([x, y]);
    return p.fn!.contour === 'log' ? Math.log10(Math.max(v - shift, 1e-12)) : v;
  };
  const paths: { x: number; y: number; optimizer: string }[] = [];
  for (const o of pick(p, only)) {
    for (const [x, y] of o.tuned[0]?.trajectory ?? []) {
      if (Number.isFinite(x) && Number.isFinite(y))
        paths.push({ x: x!, y: y!, optimizer: o.label });
    }
  }
  const starts = pick(p, only)
    .slice(0, 1)
    .map((o) => o.tuned[0]?.trajectory?.[0])
    .filter((s) => s) as number[][];
  return render({
    width: 460,
    height: 420,
    x: { domain: [x1, x2], label: 'x' },
    y: { domain: [y1, y2], label: 'y' },
    color: { ...color, legend: true },
    marks: [
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
      Plot.line(paths, {
        x: 'x',
        y: 'y',
        stroke: 'optimizer',
        z: 'optimizer',
        strokeWidth: 1.4,
        clip: true,
      }),
      Plot.dot(
        p.fn.minima.map(([x, y]) => ({ x, y })),
        { x: 'x', y: 'y', symbol: 'star', fill: 'black', r: 4 },
      ),
      Plot.dot(
        starts.map(([x, y]) => ({ x, y })),
        { x: 'x', y: 'y', symbol: 'circle', stroke: 'black', r: 4 },
      ),
    ],
  });
}

/** Final score against learning rate (the sweep on seed 0). */
export function lrSensitivity(p: ProblemResult, color: ColorScale, only?: string[]): string {
  const rows: { lr: number; score: number; optimizer: string }[] = [];
  const cap =
    p.objective === 'escape'
      ? p.epochs + 1
      : Math.max(
          ...p.optimizers.flatMap((o) => o.tuned.map((r) => r.initialLoss)).filter(Number.isFinite),
        );
  for (const o of pick(p, only)) {
    for (const s of o.sweep) {
      const score = Number.isFinite(s.score) ? Math.min(s.score, cap) : cap;
      if (positive(score) !== null) rows.push({ lr: s.lr, score, optimizer: o.label });
    }
  }
  return render({
    width: 460,
    height: 280,
    x: { label: 'learning rate', type: 'log' },
    y: {
      label:
        p.objective === 'escape'
          ? 'steps to escape (capped: never)'
          : 'final train loss (capped at the start)',
      type: 'log',
      grid: true,
    },
    color: { ...color, legend: true },
    marks: [
      Plot.line(rows, { x: 'lr', y: 'score', stroke: 'optimizer', z: 'optimizer', marker: 'dot' }),
    ],
  });
}

/** Expected best score of random search with k learning-rate trials (Sivaprasad et al. 2020). */
export function expectedBest(p: ProblemResult, color: ColorScale, only?: string[]): string {
  const rows = pick(p, only).flatMap((o) =>
    o.expectedBest
      .filter((e) => positive(e.score) !== null)
      .map((e) => ({ trials: e.trials, score: e.score, optimizer: o.label })),
  );
  return render({
    width: 460,
    height: 280,
    x: { label: 'tuning trials (random lr from the grid)' },
    y: { label: 'expected best score', type: 'log', grid: true },
    color: { ...color, legend: true },
    marks: [
      Plot.line(rows, {
        x: 'trials',
        y: 'score',
        stroke: 'optimizer',
        z: 'optimizer',
        marker: 'dot',
      }),
    ],
  });
}

/** Steps to each problem's target, per optimizer (median over seeds; missing: never reached). */
export function stepsToTarget(problems: ProblemResult[], color: ColorScale): string {
  const rows = problems
    .filter((p) => p.objective === 'loss')
    .flatMap((p) =>
      p.optimizers
        .filter((o) => o.summary.stepsToTarget !== null && Number.isFinite(o.summary.stepsToTarget))
        .map((o) => ({
          problem: p.name,
          steps: o.summary.stepsToTarget as number,
          optimizer: o.label,
        })),
    );
  return render({
    width: 640,
    height: 60 + 34 * new Set(rows.map((r) => r.problem)).size,
    marginLeft: 110,
    x: { label: 'steps to the target (median over seeds)', type: 'log', grid: true },
    y: { label: null },
    color: { ...color, legend: true },
    marks: [
      Plot.dot(rows, { x: 'steps', y: 'problem', fill: 'optimizer', r: 5, fillOpacity: 0.85 }),
    ],
  });
}

function pick(p: ProblemResult, only?: string[]): OptimizerResult[] {
  return only ? p.optimizers.filter((o) => only.includes(o.name)) : p.optimizers;
}
