/** Creates an element with attributes and children (a few lines instead of a framework). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** Short, fixed-width-ish display of a number. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  // Four significant digits, trailing zeros dropped (0.001, not 0.001000).
  return a >= 1e4 || a < 1e-3
    ? v.toExponential(3).replace(/\.?0+e/, 'e')
    : String(Number(v.toPrecision(4)));
}
