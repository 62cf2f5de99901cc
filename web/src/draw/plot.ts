import type { Race } from '../race.ts';
import { COLORS } from './map.ts';

/**
 * The loss-vs-step plot. With a known minimum f* it shows log₁₀(f − f*), which turns linear
 * convergence into a straight line; otherwise f itself. Returns the number of points drawn.
 */
export function drawPlot(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  race: Race,
  minValue: number,
  dpr: number,
): number {
  const logScale = Number.isFinite(minValue);
  const t = (f: number) => (logScale ? Math.log10(Math.max(f - minValue, 1e-16)) : f);
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of race.racers) {
    for (const f of r.losses) {
      const v = t(f);
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = '#11161f';
  ctx.fillRect(0, 0, w, h);
  const padL = 44 * dpr;
  const padB = 18 * dpr;
  const pw = w - padL - 8 * dpr;
  const ph = h - padB - 8 * dpr;
  if (!Number.isFinite(lo)) return 0;
  if (hi - lo < 1e-12) {
    hi += 0.5;
    lo -= 0.5;
  }
  const steps = Math.max(50, race.step);
  const X = (s: number) => padL + (s / steps) * pw;
  const Y = (v: number) => 8 * dpr + ((hi - v) / (hi - lo)) * ph;
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.fillStyle = '#9aa4b2';
  ctx.textAlign = 'right';
  ctx.fillText(hi.toPrecision(3), padL - 4 * dpr, Y(hi) + 8 * dpr);
  ctx.fillText(lo.toPrecision(3), padL - 4 * dpr, Y(lo));
  ctx.fillText(`step ${steps}`, w - 4 * dpr, h - 4 * dpr);
  ctx.textAlign = 'left';
  ctx.fillText(logScale ? 'log₁₀(f − f*)' : 'f', padL, h - 4 * dpr);
  // A legend in the top-right corner, in the racers' colours.
  ctx.textAlign = 'right';
  race.racers.forEach((r, k) => {
    ctx.fillStyle = COLORS[k % COLORS.length]!;
    ctx.fillText(r.spec.name, padL + pw - 6 * dpr, 8 * dpr + (14 * k + 14) * dpr);
  });
  ctx.strokeStyle = '#3a4250';
  ctx.lineWidth = 1;
  ctx.strokeRect(padL, 8 * dpr, pw, ph);
  let points = 0;
  race.racers.forEach((r, k) => {
    ctx.strokeStyle = COLORS[k % COLORS.length]!;
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    let pen = false;
    r.losses.forEach((f, s) => {
      const v = t(f);
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(X(s), Y(v));
      else ctx.moveTo(X(s), Y(v));
      pen = true;
      points++;
    });
    ctx.stroke();
  });
  return points;
}
