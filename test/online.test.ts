import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Adam, SGD, type Stepper } from '../packages/optim/src/node.ts';
import { Rng } from '../packages/lab/src/lab/browser.ts';

// The README's online-learning example, checked: a line y = a·x + c fitted one sample at a time
// from an async stream whose rule drifts halfway, from y = 3x − 1 to y = −2x + 1.
const PHASE = 2000; // samples per rule
const RULES = [
  { a: 3, c: -1 },
  { a: -2, c: 1 },
] as const;
const SIGMA = 0.1; // standard deviation of the Gaussian noise on y

interface Sample {
  x: number;
  y: number;
}

/** x uniform in [−1, 1); y from the current rule plus N(0, SIGMA²) noise. Lazy, like a socket. */
async function* samples(seed: number): AsyncGenerator<Sample> {
  const rng = new Rng(seed);
  for (let t = 0; t < 2 * PHASE; t++) {
    const { a, c } = RULES[t < PHASE ? 0 : 1];
    const x = 2 * rng.next() - 1;
    yield { x, y: a * x + c + SIGMA * rng.normal() };
  }
}

interface OnlineRun {
  /** (w, b) after the last sample of each phase. */
  fits: [number, number][];
  /** Per phase, the mean squared error of predictions made before stepping on the last 500 samples. */
  prequential: number[];
  steps: number;
}

/** One optimizer step per sample on ½(w·x + b − y)², predicting each sample before learning it. */
async function fitOnline(
  optimizer: (params: Float64Array[]) => Stepper,
  stream: AsyncIterable<Sample>,
): Promise<OnlineRun> {
  const w = new Float64Array(1);
  const b = new Float64Array(1);
  const opt = optimizer([w, b]);
  const gw = new Float64Array(1);
  const gb = new Float64Array(1);
  const run: OnlineRun = { fits: [], prequential: [0, 0], steps: 0 };
  for await (const { x, y } of stream) {
    const r = w[0] * x + b[0] - y;
    const t = run.steps;
    if (t % PHASE >= PHASE - 500) run.prequential[Math.floor(t / PHASE)] += (r * r) / 500;
    gw[0] = r * x;
    gb[0] = r;
    opt.step([gw, gb]);
    run.steps++;
    if (run.steps % PHASE === 0) run.fits.push([w[0], b[0]]);
  }
  return run;
}

// Tolerances, from the problem. Plain SGD with rate η on this least-squares stream contracts the
// error in w by (1 − η·E[x²]) = (1 − η/3) per sample and in b by (1 − η), and settles with a
// per-parameter variance of about η·σ²/2 (the LMS steady state). At η = 0.02 the time constant
// for w is 150 samples, so the drift of 5 decays below 1e-3 in 150·ln(5000) ≈ 1300 of the 2000
// samples, and the jitter has standard deviation √(0.02·0.01/2) = 0.01: TOL = 0.05 is 5 of them.
// Adam moves each parameter by about lr per step (Kingma and Ba 2015, §2.1), so it needs at least
// 5 / 0.01 = 500 samples to cross the drift, and near the fit the noise flips the sign of its
// first moment, so it hovers within a few lr of it: TOL = 5·lr.
const TOL = 0.05;
// Predicting a sample before learning it cannot beat the noise (σ² = 0.01); a model within TOL of
// the rule adds at most (TOL·|x| + TOL)² ≤ 0.01, and the mean of 500 squared errors has standard
// deviation σ²·√(2/500) ≈ 6e-4, so a mean below 0.02 says the model has tracked the current rule,
// and one below σ²/2 would mean the errors were not measured on unseen samples.
const PREQUENTIAL_MAX = 2 * SIGMA * SIGMA;

const OPTIMIZERS: [string, (params: Float64Array[]) => Stepper][] = [
  ['SGD (lr 0.02)', (p) => new SGD(p, { lr: 0.02 })],
  ['Adam (lr 0.01)', (p) => new Adam(p, { lr: 0.01 })],
];
const SEEDS = [1, 2, 3];

describe('online learning: one update per sample from an async stream, tracking a drift', () => {
  for (const [name, optimizer] of OPTIMIZERS) {
    for (const seed of SEEDS) {
      test(`${name}, seed ${seed}`, async () => {
        const run = await fitOnline(optimizer, samples(seed));
        assert.equal(run.steps, 2 * PHASE, 'one step per sample');
        RULES.forEach(({ a, c }, phase) => {
          const [w, b] = run.fits[phase] as [number, number];
          assert.ok(Math.abs(w - a) < TOL, `phase ${phase}: w = ${w}, rule ${a}`);
          assert.ok(Math.abs(b - c) < TOL, `phase ${phase}: b = ${b}, rule ${c}`);
          const mse = run.prequential[phase] as number;
          assert.ok(mse < PREQUENTIAL_MAX, `phase ${phase}: prequential MSE ${mse}`);
          assert.ok(mse > (SIGMA * SIGMA) / 2, `phase ${phase}: below the noise floor: ${mse}`);
        });
      });
    }
  }

  test('a batch fit of the whole stream mixes the two rules instead', async () => {
    // Least squares over all 4000 samples (where batch gradient descent converges): with equal
    // halves and the same x distribution, the normal equations average the rules, giving
    // w = (3 − 2)/2 = 0.5 and b = 0; sampling shifts the moments by O(1/√2000) ≈ 0.02, times a
    // rule gap of 5, so 0.25 is a wide bound, and the fit stays 2.5 away from the current w = −2.
    let n = 0;
    let sx = 0;
    let sxx = 0;
    let sy = 0;
    let sxy = 0;
    for await (const { x, y } of samples(1)) {
      n++;
      sx += x;
      sxx += x * x;
      sy += y;
      sxy += x * y;
    }
    const w = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const b = (sy - w * sx) / n;
    assert.ok(Math.abs(w - 0.5) < 0.25, `batch w = ${w}`);
    assert.ok(Math.abs(b) < 0.25, `batch b = ${b}`);
    assert.ok(Math.abs(w - RULES[1].a) > 2, 'the batch fit does not follow the drift');
  });
});
