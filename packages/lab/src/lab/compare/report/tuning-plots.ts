import * as Plot from '@observablehq/plot';
import type { ProblemResult } from '../results.ts';
import { linearScale, logScale } from './axes.ts';
import {
  edgeNote,
  figure,
  markerPoints,
  pick,
  positive,
  render,
  series,
  type XY,
} from './figure.ts';
import type { FigureContext } from './series-style.ts';

// What tuning the learning rate takes: the score against lr, and the best of k random trials.

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
