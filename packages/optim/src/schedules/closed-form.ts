/**
 * Closed-form schedules: pure functions of the step index `k` (0 at construction, +1 per
 * `scheduler.step()`) and of the hyper-parameter's base value. Being pure, a saved step index
 * fully determines the next value; PyTorch's recursive forms agree to rounding.
 */
import { check, checkInteger } from '../core/validate.ts';

export type Schedule = (k: number, base: number) => number;

const isInt = (x: unknown, min: number) => Number.isInteger(x) && (x as number) >= min;
const isNum = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

/** `base · γ^⌊k/stepSize⌋` (PyTorch `StepLR`). */
export function stepDecay(stepSize: number, gamma = 0.1): Schedule {
  checkInteger('StepLR', 'stepSize', stepSize);
  check('StepLR', 'gamma', isNum(gamma) && gamma > 0, 'a finite number > 0', gamma);
  return (k, base) => base * gamma ** Math.floor(k / stepSize);
}

/** `base · γ^(number of milestones <= k)` (PyTorch `MultiStepLR`). */
export function multiStep(milestones: readonly number[], gamma = 0.1): Schedule {
  const ms = [...milestones].sort((a, b) => a - b);
  check(
    'MultiStepLR',
    'milestones',
    ms.every((m) => isInt(m, 0)),
    'integers >= 0',
    milestones,
  );
  check('MultiStepLR', 'gamma', isNum(gamma) && gamma > 0, 'a finite number > 0', gamma);
  return (k, base) => base * gamma ** ms.filter((m) => m <= k).length;
}

/** `base · γ^k` (PyTorch `ExponentialLR`). */
export function exponential(gamma: number): Schedule {
  check('ExponentialLR', 'gamma', isNum(gamma) && gamma > 0, 'a finite number > 0', gamma);
  return (k, base) => base * gamma ** k;
}

/** `base · factor` for `k < totalIters`, then `base` (PyTorch `ConstantLR`). */
export function constantFactor(factor = 1 / 3, totalIters = 5): Schedule {
  check('ConstantLR', 'factor', isNum(factor) && factor >= 0 && factor <= 1, 'in [0, 1]', factor);
  checkInteger('ConstantLR', 'totalIters', totalIters, 0);
  return (k, base) => (k < totalIters ? base * factor : base);
}

/** Linear warm-up: factor from `startFactor` to `endFactor` over `totalIters` (PyTorch `LinearLR`). */
export function linearFactor(startFactor = 1 / 3, endFactor = 1, totalIters = 5): Schedule {
  const owner = 'LinearLR';
  check(
    owner,
    'startFactor',
    isNum(startFactor) && startFactor > 0 && startFactor <= 1,
    'in (0, 1]',
    startFactor,
  );
  check(
    owner,
    'endFactor',
    isNum(endFactor) && endFactor >= 0 && endFactor <= 1,
    'in [0, 1]',
    endFactor,
  );
  checkInteger(owner, 'totalIters', totalIters);
  return (k, base) =>
    base * (startFactor + ((endFactor - startFactor) * Math.min(k, totalIters)) / totalIters);
}

/** `ηmin + (base − ηmin)(1 + cos(πk/Tmax))/2`, periodic past Tmax (PyTorch `CosineAnnealingLR`). */
export function cosineAnnealing(tMax: number, etaMin = 0): Schedule {
  checkInteger('CosineAnnealingLR', 'tMax', tMax);
  check(
    'CosineAnnealingLR',
    'etaMin',
    isNum(etaMin) && etaMin >= 0,
    'a finite number >= 0',
    etaMin,
  );
  return (k, base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * k) / tMax))) / 2;
}

/** SGDR: cosine annealing restarted after T0, T0·Tmult, ... steps (PyTorch `CosineAnnealingWarmRestarts`). */
export function cosineWarmRestarts(t0: number, tMult = 1, etaMin = 0): Schedule {
  const owner = 'CosineAnnealingWarmRestarts';
  checkInteger(owner, 't0', t0);
  checkInteger(owner, 'tMult', tMult);
  check(owner, 'etaMin', isNum(etaMin) && etaMin >= 0, 'a finite number >= 0', etaMin);
  return (k, base) => {
    let tCur: number;
    let tI: number;
    if (tMult === 1) {
      tCur = k % t0;
      tI = t0;
    } else {
      const n = Math.floor(Math.log((k / t0) * (tMult - 1) + 1) / Math.log(tMult));
      tCur = k - (t0 * (tMult ** n - 1)) / (tMult - 1);
      tI = t0 * tMult ** n;
    }
    return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  };
}

/** `base · (1 − min(k, totalIters)/totalIters)^power` (PyTorch `PolynomialLR`). */
export function polynomial(totalIters = 5, power = 1): Schedule {
  checkInteger('PolynomialLR', 'totalIters', totalIters);
  check('PolynomialLR', 'power', isNum(power) && power >= 0, 'a finite number >= 0', power);
  return (k, base) => base * (1 - Math.min(k, totalIters) / totalIters) ** power;
}

/** `base · fn(k)` (PyTorch `LambdaLR`). */
export function lambdaFactor(fn: (k: number) => number): Schedule {
  check('LambdaLR', 'lrLambda', typeof fn === 'function', 'a function', fn);
  return (k, base) => base * fn(k);
}

/** Runs `schedules[i]` from `milestones[i-1]` on, each restarted at 0 (PyTorch `SequentialLR`). */
export function sequential(
  schedules: readonly Schedule[],
  milestones: readonly number[],
): Schedule {
  check(
    'SequentialLR',
    'milestones',
    milestones.length === schedules.length - 1 &&
      milestones.every((m, i) => isInt(m, 1) && (i === 0 || m > (milestones[i - 1] as number))),
    `${schedules.length - 1} increasing integers >= 1 (one fewer than the schedules)`,
    `[${milestones.join(', ')}]`,
  );
  return (k, base) => {
    let i = 0;
    while (i < milestones.length && k >= (milestones[i] as number)) i++;
    const start = i === 0 ? 0 : (milestones[i - 1] as number);
    return (schedules[i] as Schedule)(k - start, base);
  };
}

/** The product of the schedules' factors over the base (PyTorch `ChainedScheduler`). */
export function chained(schedules: readonly Schedule[]): Schedule {
  check(
    'ChainedScheduler',
    'schedulers',
    schedules.length > 0,
    'a non-empty list',
    schedules.length,
  );
  return (k, base) => {
    if (base === 0) return 0;
    let value = base;
    for (const s of schedules) value *= s(k, base) / base;
    return value;
  };
}
