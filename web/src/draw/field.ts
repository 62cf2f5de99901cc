import type { Surface } from '../surface.ts';

/** The surface sampled on a grid, transformed for display (log or linear), with contour levels. */
export interface Field {
  readonly nx: number;
  readonly ny: number;
  /** Row-major, row 0 at the top (largest y); NaN where the value is not finite. */
  readonly z: Float64Array;
  readonly lo: number;
  readonly hi: number;
  readonly levels: readonly number[];
  readonly scale: 'log' | 'linear';
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))]!;
}

/**
 * Samples `surface` on an nx × ny grid over its window. Log scale shows valleys that span many
 * decades (Rosenbrock's floor is ~1e-3 of its walls); 'auto' picks it when the values are very
 * skewed.
 */
export function sampleField(surface: Surface, nx = 160, ny = 160, nLevels = 18): Field {
  const [[x0, x1], [y0, y1]] = surface.window;
  const raw = new Float64Array(nx * ny);
  const p = [0, 0];
  for (let j = 0; j < ny; j++) {
    p[1] = y1 - ((y1 - y0) * j) / (ny - 1);
    for (let i = 0; i < nx; i++) {
      p[0] = x0 + ((x1 - x0) * i) / (nx - 1);
      const v = surface.value(p);
      raw[j * nx + i] = Number.isFinite(v) ? v : NaN;
    }
  }
  const finite = Float64Array.from(raw.filter((v) => !Number.isNaN(v))).sort();
  if (finite.length === 0) {
    return { nx, ny, z: raw, lo: 0, hi: 1, levels: [], scale: 'linear' };
  }
  const min = finite[0]!;
  const med = quantile(finite, 0.5);
  const max = finite[finite.length - 1]!;
  let scale: 'log' | 'linear' = surface.contour === 'auto' ? 'linear' : surface.contour;
  if (surface.contour === 'auto' && max - min > 50 * (med - min)) scale = 'log';
  let z = raw;
  if (scale === 'log') {
    const base = Number.isFinite(surface.minValue) ? Math.min(surface.minValue, min) : min;
    // An offset keeps log finite at the minimum itself; tied to the spread so it is scale-free.
    const delta = Math.max(1e-12, 1e-4 * (med - base));
    z = raw.map((v) => Math.log10(v - base + delta));
  }
  const sorted = Float64Array.from(z.filter((v) => !Number.isNaN(v))).sort();
  const lo = quantile(sorted, 0.005);
  let hi = quantile(sorted, 0.995);
  if (hi <= lo) hi = lo + 1;
  const levels = Array.from({ length: nLevels }, (_, k) => lo + ((k + 0.5) * (hi - lo)) / nLevels);
  return { nx, ny, z, lo, hi, levels, scale };
}

// A perceptually ordered ramp, dark (low) to light (high).
const STOPS: readonly (readonly [number, number, number])[] = [
  [13, 27, 62],
  [31, 95, 139],
  [42, 157, 143],
  [167, 201, 87],
  [242, 232, 207],
];

/** The colour of t in [0, 1]. */
export function ramp(t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const k = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - k;
  const a = STOPS[k]!;
  const b = STOPS[k + 1]!;
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/** The heat map as pixels, one per grid point (the canvas scales it up smoothly). */
export function heatImage(f: Field): ImageData {
  const img = new ImageData(f.nx, f.ny);
  for (let k = 0; k < f.z.length; k++) {
    const v = f.z[k]!;
    const [r, g, b] = Number.isNaN(v) ? [90, 90, 90] : ramp((v - f.lo) / (f.hi - f.lo));
    img.data[4 * k] = r;
    img.data[4 * k + 1] = g;
    img.data[4 * k + 2] = b;
    img.data[4 * k + 3] = 255;
  }
  return img;
}
