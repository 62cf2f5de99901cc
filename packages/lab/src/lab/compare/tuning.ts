/**
 * What a learning-rate sweep says beyond its best point: the expected best result of random
 * search with k trials (Sivaprasad et al. 2020), and how wide the band of good learning rates is.
 */

export interface SweepPoint {
  lr: number;
  score: number;
}

/**
 * The expected best score of k learning rates drawn uniformly (with replacement) from the sweep,
 * for k = 1..n: with sorted scores s₁ <= ... <= sₙ, `P(best = sᵢ) = ((n−i+1)/n)ᵏ − ((n−i)/n)ᵏ`.
 * Scores are capped at `worst` (the untrained loss): a diverged run counts as no progress.
 */
export function expectedBestOfK(
  scores: readonly number[],
  worst: number,
): { trials: number; score: number }[] {
  // A run that ends worse than untrained (or diverges) counts as no progress at all.
  const s = scores
    .map((x) => (Number.isFinite(x) ? Math.min(x, worst) : worst))
    .sort((a, b) => a - b);
  const n = s.length;
  const out: { trials: number; score: number }[] = [];
  for (let k = 1; k <= n; k++) {
    let e = 0;
    for (let i = 1; i <= n; i++)
      e += (((n - i + 1) / n) ** k - ((n - i) / n) ** k) * (s[i - 1] as number);
    out.push({ trials: k, score: e });
  }
  return out;
}

/** The best point of a sweep (lowest score; ties to the smaller lr), or null if none is finite. */
export function bestPoint(sweep: readonly SweepPoint[]): SweepPoint | null {
  let best: SweepPoint | null = null;
  for (const p of sweep) if (Number.isFinite(p.score) && (!best || p.score < best.score)) best = p;
  return best;
}

/**
 * The learning rates whose score is "good": within 10% of the possible improvement of the best
 * (`score <= best + 0.1·(reference − best)`, reference = the untrained loss or, for saddles, the
 * run length). Their count times the grid spacing (in decades) measures robustness to the lr.
 */
export function goodLrs(sweep: readonly SweepPoint[], reference: number): number[] {
  const best = bestPoint(sweep);
  if (!best) return [];
  const bar = best.score + 0.1 * Math.abs(reference - best.score);
  return sweep.filter((p) => Number.isFinite(p.score) && p.score <= bar).map((p) => p.lr);
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** The median of the values that were measured (finite), or null when none was. */
export function medianOrNull(xs: readonly (number | null)[]): number | null {
  const got = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return got.length ? median(got) : null;
}
