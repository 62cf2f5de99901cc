import type { Contender } from './contenders.ts';

/**
 * The learning-rate grid of a sweep, held as base-10 exponents so that extending it past an end
 * and refining it around the best point stay on one lattice. A learning rate is the exponent's
 * power of ten to two significant digits (10^-3.5 = 3.2e-4).
 */
export interface LrGrid {
  /** Exponents of the coarse grid, ascending (the base grid plus any extension). */
  exponents: number[];
  /** Spacing of the coarse grid, in decades (0.5 or 1). */
  spacing: number;
  /** The base grid's ends, before any extension. */
  base: [number, number];
}

/** How far past the base grid an edge may be extended, in decades. */
export const EXTEND_DECADES = 2;

/** The learning rate of an exponent: 10^e to two significant digits. */
export const lrOf = (e: number): number => Number((10 ** e).toPrecision(2));

/**
 * The base grid: half-decade steps over the contender's range (its descriptor's `lrDecades`:
 * [1e-4, 3.2] for most; Adadelta, whose lr multiplies a self-scaled step, [1e-2, 32]). A budget
 * of fewer `points` keeps whole decades, centred in the range, then trimmed: 4 points are 1e-3,
 * 1e-2, 0.1, 1 (Adadelta 0.01 to 10), enough to find the decade.
 */
export function baseGrid(c: Contender, points?: number): LrGrid {
  const [lo, hi] = c.lrDecades;
  const all: number[] = [];
  for (let e = lo; e <= hi + 1e-9; e += 0.5) all.push(e);
  let exponents = all;
  let spacing = 0.5;
  if (points && points < all.length) {
    const decades = all.filter((_, i) => i % 2 === 0);
    const skip = Math.max(0, Math.ceil((decades.length - points) / 2));
    exponents = decades.slice(skip, skip + points);
    spacing = 1;
  }
  return { exponents, spacing, base: [exponents[0]!, exponents.at(-1)!] };
}

/** The learning rates of a grid's coarse points. */
export function lrGrid(c: Contender, points?: number): number[] {
  return baseGrid(c, points).exponents.map(lrOf);
}

/**
 * One decade more at the end where the best point sits, within {@link EXTEND_DECADES} of the base
 * grid and at most `maxLr`: the new exponents (none when the end may not move).
 */
export function extension(grid: LrGrid, side: 'low' | 'high', maxLr = Infinity): number[] {
  const steps = Math.round(1 / grid.spacing);
  const out: number[] = [];
  for (let i = 1; i <= steps; i++) {
    const e =
      side === 'low'
        ? grid.exponents[0]! - i * grid.spacing
        : grid.exponents.at(-1)! + i * grid.spacing;
    const limit = side === 'low' ? grid.base[0] - EXTEND_DECADES : grid.base[1] + EXTEND_DECADES;
    if (side === 'low' ? e < limit - 1e-9 : e > limit + 1e-9 || lrOf(e) > maxLr) break;
    out.push(e);
  }
  return out;
}

/** The two points half a grid step either side of `best`, inside the coarse grid's span. */
export function refinement(grid: LrGrid, best: number): number[] {
  const half = grid.spacing / 2;
  const [lo, hi] = [grid.exponents[0]!, grid.exponents.at(-1)!];
  return [best - half, best + half].filter((e) => e > lo - 1e-9 && e < hi + 1e-9);
}
