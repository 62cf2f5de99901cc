// How the lab writes a number in text, tables and ticks: one notation everywhere.

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
