import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lossNoise } from '../packages/lab/src/lab/compare/noise.ts';
import { Rng } from '../packages/lab/src/lab/rng.ts';

describe('lossNoise: the spread of the per-update loss around its trend', () => {
  // A linear trend (which a centred moving mean follows exactly) plus Gaussian noise of known sd:
  // the estimate must recover the sd within its sampling error (relative sd of an sd estimated
  // from m residuals is about 1/√(2m); m ≥ 1800 here, so 5% is over 3 sampling sd).
  const cases: [string, number, number][] = [
    ['no noise', 2000, 0],
    ['sd 0.01', 2000, 0.01],
    ['sd 0.3', 4000, 0.3],
  ];
  for (const [what, n, sd] of cases) {
    test(`${what}, ${n} updates`, () => {
      const rng = new Rng(7);
      const losses = Array.from({ length: n }, (_, i) => 5 - (3 * i) / n + sd * rng.normal());
      const got = lossNoise(losses)!;
      if (sd === 0) assert.ok(got < 1e-12, String(got));
      else assert.ok(Math.abs(got / sd - 1) < 0.05, `${got} vs ${sd}`);
    });
  }

  test('too short to smooth, or not finite: null', () => {
    assert.equal(lossNoise([1, 2, 3]), null);
    assert.equal(lossNoise([...Array.from({ length: 100 }, () => 1), NaN]), null);
  });
});

describe('per-run throughput and loss noise in the race', () => {
  test('mini-batches fluctuate more than the full batch; data sets have a throughput', async () => {
    const { compare } = await import('../packages/lab/src/lab/compare/race.ts');
    const { builtinRaceProblem } = await import('../packages/lab/src/lab/compare/builtin.ts');
    const at = (batchSize: 'full' | number) =>
      builtinRaceProblem('digits-logreg', 'quick', { epochs: 40, batchSize });
    const r = await compare({
      problems: [at('full'), at(8)],
      optimizers: ['sgd'],
      lr: 0.1,
      seeds: 1,
    });
    const [full, small] = r.problems.map((p) => p.optimizers[0]!.summary);
    assert.ok(full!.samplesPerSecond! > 0 && small!.samplesPerSecond! > 0);
    // Full-batch GD on a convex loss descends smoothly: its residual spread is tiny next to the
    // spread of batches of 8.
    assert.ok(full!.lossNoise! < 0.1 * small!.lossNoise!, `${full!.lossNoise} ${small!.lossNoise}`);
    const fn = await compare({
      problems: [builtinRaceProblem('beale', 'quick', { epochs: 100 })],
      optimizers: ['adam'],
      lr: 0.01,
      seeds: 1,
    });
    assert.equal(fn.problems[0]!.optimizers[0]!.summary.samplesPerSecond, null);
  });
});
