import type { Race } from '../race.ts';
import type { Window } from '../surface.ts';
import { contourSegments } from './contours.ts';
import { heatImage, type Field } from './field.ts';

/** Distinct racer colours, readable on the dark-to-light ramp. */
export const COLORS = [
  '#ff4d6d',
  '#ffb703',
  '#4cc9f0',
  '#c77dff',
  '#e9ff70',
  '#fb8500',
  '#80ffdb',
  '#f72585',
];

/** Maps between the surface's coordinates and a canvas of `w` × `h` pixels. */
export class Viewport {
  constructor(
    readonly window: Window,
    readonly w: number,
    readonly h: number,
  ) {}
  px(x: number): number {
    const [[x0, x1]] = this.window;
    return ((x - x0) / (x1 - x0)) * this.w;
  }
  py(y: number): number {
    const [, [y0, y1]] = this.window;
    return ((y1 - y) / (y1 - y0)) * this.h;
  }
  /** The surface point under a canvas pixel. */
  toWorld(px: number, py: number): [number, number] {
    const [[x0, x1], [y0, y1]] = this.window;
    return [x0 + (px / this.w) * (x1 - x0), y1 - (py / this.h) * (y1 - y0)];
  }
}

/** Paints the heat map and the contour lines (done once per surface and size). */
export function drawField(ctx: CanvasRenderingContext2D, f: Field, w: number, h: number): void {
  const tile = document.createElement('canvas');
  tile.width = f.nx;
  tile.height = f.ny;
  tile.getContext('2d')!.putImageData(heatImage(f), 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tile, 0, 0, w, h);
  const sx = w / (f.nx - 1);
  const sy = h / (f.ny - 1);
  ctx.lineWidth = 1;
  ctx.strokeStyle = 'rgba(255,255,255,0.28)';
  ctx.beginPath();
  for (const level of f.levels) {
    const s = contourSegments(f, level);
    for (let k = 0; k < s.length; k += 4) {
      ctx.moveTo(s[k]! * sx, s[k + 1]! * sy);
      ctx.lineTo(s[k + 2]! * sx, s[k + 3]! * sy);
    }
  }
  ctx.stroke();
}

/** Paints the minima, the start and every racer's trajectory; returns the vertices drawn. */
export function drawRace(
  ctx: CanvasRenderingContext2D,
  v: Viewport,
  race: Race,
  minima: readonly (readonly number[])[],
  dpr: number,
): number {
  ctx.clearRect(0, 0, v.w, v.h);
  ctx.lineWidth = 2 * dpr;
  ctx.strokeStyle = '#fff';
  for (const m of minima) {
    const x = v.px(m[0]!);
    const y = v.py(m[1]!);
    const r = 5 * dpr;
    ctx.beginPath();
    ctx.moveTo(x - r, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.moveTo(x + r, y - r);
    ctx.lineTo(x - r, y + r);
    ctx.stroke();
  }
  let vertices = 0;
  race.racers.forEach((r, k) => {
    const color = COLORS[k % COLORS.length]!;
    const path = r.path;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    for (let i = 0; i < path.length; i += 2) {
      // Clamp far-away points so that a diverging run still draws a line off the edge.
      const x = Math.max(-v.w, Math.min(2 * v.w, v.px(path[i]!)));
      const y = Math.max(-v.h, Math.min(2 * v.h, v.py(path[i + 1]!)));
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    vertices += path.length / 2;
    const n = path.length;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(v.px(path[n - 2]!), v.py(path[n - 1]!), 4.5 * dpr, 0, 2 * Math.PI);
    ctx.fill();
  });
  const [sx, sy] = race.start;
  ctx.fillStyle = '#fff';
  ctx.strokeStyle = '#000';
  ctx.lineWidth = 1.5 * dpr;
  ctx.beginPath();
  ctx.arc(v.px(sx!), v.py(sy!), 5 * dpr, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
  return vertices;
}
