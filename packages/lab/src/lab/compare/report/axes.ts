import type * as Plot from '@observablehq/plot';
import { formatNumber } from '../format.ts';

export { formatNumber };

// How the report's axes read: numbers in the notation ML papers use, ticks and rounded domains.

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
export function logScale(values: readonly number[], label: string, base = 10): Plot.ScaleOptions {
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

/** Linear-scale options with the report's tick notation. */
export function linearScale(label: string, extra: Plot.ScaleOptions = {}): Plot.ScaleOptions {
  return { type: 'linear', label, tickFormat: formatTick, ...extra };
}
