import type { Gradients, Optimizer } from '../core/optimizer.ts';
import { gradValues } from '../core/gradients.ts';
import type { CommonOptions, FloatBuffer } from '../core/types.ts';

/** The running state of the SWATS criterion. */
export interface SwatsState {
  /** Exponential average of the per-step SGD learning-rate estimates γₖ. */
  lambda: number;
  /** The last γₖ (NaN before the first step that produced one). */
  gamma: number;
  /** The last bias-corrected estimate λₖ/(1−β₂ᵏ) (NaN before the first). */
  estimate: number;
}

/**
 * One step of the SWATS criterion (Keskar and Socher 2017, arXiv 1712.07628, Algorithm 1), read
 * after an Adam step from Adam's own state, so it costs one read pass over m, v and g and no
 * write. The Adam step is `pₖ = −lr/(1−β₁ᵏ) · m / (√v/√(1−β₂ᵏ) + eps)`; the SGD learning rate
 * whose step projects onto it is `γₖ = pₖᵀpₖ / (−pₖᵀgₖ)`; `λₖ = β₂λₖ₋₁ + (1−β₂)γₖ`. Returns
 * the bias-corrected estimate `λₖ/(1−β₂ᵏ)` when it has converged (`|λₖ/(1−β₂ᵏ) − γₖ| < tol`,
 * k > 1), else null.
 */
export function swatsStep(
  adam: Optimizer<CommonOptions>,
  grads: Gradients,
  gradScale: number,
  s: SwatsState,
  tolerance: number,
): number | null {
  let pp = 0;
  let pg = 0;
  let k = 0;
  let beta2 = 0;
  let index = 0;
  for (const group of adam.paramGroups) {
    // Adam's options, read by name (the caller checked that `adam` has Adam's moments, and Adam
    // validates them every step); plain reads: this runs on every step of the Adam phase.
    const [b1, b2] = Reflect.get(group, 'betas') as readonly [number, number];
    const eps = Reflect.get(group, 'eps') as number;
    const amsgrad = Reflect.get(group, 'amsgrad') === true;
    beta2 = b2;
    for (let j = 0; j < group.params.length; j++, index++) {
      const g = grads[index];
      const st = adam.paramState(index);
      if (!g || !st) continue;
      k = st.step;
      const m = st.slots.exp_avg as FloatBuffer;
      const v = (amsgrad ? st.slots.max_exp_avg_sq : st.slots.exp_avg_sq) as FloatBuffer;
      const stepSize = group.lr / (1 - b1 ** k);
      const bc2Sqrt = Math.sqrt(1 - b2 ** k);
      // Adam and AdamW refuse sparse gradients, so g is dense here.
      const values = gradValues(g);
      const scale = group.maximize ? -gradScale : gradScale;
      for (let i = 0; i < values.length; i++) {
        const p = (-stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
        pp += p * p;
        pg += p * values[i] * scale;
      }
    }
  }
  if (pg === 0 || k === 0) return null;
  const gamma = pp / -pg;
  s.gamma = gamma;
  s.lambda = beta2 * s.lambda + (1 - beta2) * gamma;
  const estimate = s.lambda / (1 - beta2 ** k);
  s.estimate = estimate;
  return k > 1 && Math.abs(estimate - gamma) < tolerance ? estimate : null;
}
