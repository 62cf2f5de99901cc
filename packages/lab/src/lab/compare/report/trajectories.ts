import * as Plot from '@observablehq/plot';
import { testFunction } from '../../functions.ts';
import type { ProblemResult } from '../results.ts';
import { linearScale } from './axes.ts';
import { clipPath, TRAJECTORY_MARGIN, type Box } from './clip.ts';
import { figure, lrSetting, pick, render } from './figure.ts';
import type { FigureContext } from './series-style.ts';

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
