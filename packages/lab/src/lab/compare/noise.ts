/**
 * How much the per-update loss fluctuates: the standard deviation of each update's loss around a
 * centred moving mean of its neighbours (a window of about 5% of the run, at least 5 updates),
 * in loss units. Mini-batch and stochastic gradients make the loss of each update jump around its
 * trend; full-batch descent on a smooth loss shows almost none. The moving mean includes the
 * point itself, which shrinks an iid residual's variance by (1 − 1/w); the estimate undoes that,
 * so on a linear trend plus noise of sd σ it estimates σ. Null for runs too short to smooth
 * (fewer than 3 windows) or with a non-finite loss.
 */
export function lossNoise(losses: readonly number[]): number | null {
  const n = losses.length;
  let w = Math.max(5, Math.round(n / 20));
  if (w % 2 === 0) w++;
  if (n < 3 * w || !losses.every(Number.isFinite)) return null;
  const half = (w - 1) / 2;
  // Prefix sums give each window's mean in O(1).
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + losses[i]!;
  let ss = 0;
  let count = 0;
  for (let i = half; i < n - half; i++) {
    const m = (prefix[i + half + 1]! - prefix[i - half]!) / w;
    ss += (losses[i]! - m) ** 2;
    count++;
  }
  return Math.sqrt(ss / count / (1 - 1 / w));
}
