import { check, checkInteger } from '../core/validate.ts';
import type { Schedule } from './closed-form.ts';

const isNum = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
}

/** The learning-rate and momentum schedules of a one-cycle policy (both ignore the base). */
export interface CycleSchedules {
  lr: Schedule;
  momentum: Schedule;
}

const annealCos = (start: number, end: number, pct: number) =>
  end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
const annealLinear = (start: number, end: number, pct: number) => (end - start) * pct + start;

/**
 * One-cycle policy (Smith and Topin 2017): lr warms up from `maxLr/divFactor` to `maxLr`, then
 * anneals to `initial/finalDivFactor`; momentum moves inversely. Phase ends are PyTorch's
 * (`pctStart·totalSteps − 1`, `totalSteps − 1`), so values match `OneCycleLR` literally.
 */
export function oneCycle(o: OneCycleOptions): CycleSchedules {
  const owner = 'OneCycleLR';
  const pctStart = o.pctStart ?? 0.3;
  const divFactor = o.divFactor ?? 25;
  const finalDivFactor = o.finalDivFactor ?? 1e4;
  const baseM = o.baseMomentum ?? 0.85;
  const maxM = o.maxMomentum ?? 0.95;
  check(owner, 'maxLr', isNum(o.maxLr) && o.maxLr >= 0, 'a finite number >= 0', o.maxLr);
  checkInteger(owner, 'totalSteps', o.totalSteps);
  check(
    owner,
    'pctStart',
    isNum(pctStart) && pctStart >= 0 && pctStart <= 1,
    'in [0, 1]',
    pctStart,
  );
  check(
    owner,
    'annealStrategy',
    ['cos', 'linear', undefined].includes(o.annealStrategy),
    '"cos" or "linear"',
    o.annealStrategy,
  );
  check(owner, 'divFactor', isNum(divFactor) && divFactor > 0, 'a finite number > 0', divFactor);
  check(
    owner,
    'finalDivFactor',
    isNum(finalDivFactor) && finalDivFactor > 0,
    'a finite number > 0',
    finalDivFactor,
  );
  const anneal = o.annealStrategy === 'linear' ? annealLinear : annealCos;
  const initial = o.maxLr / divFactor;
  const min = initial / finalDivFactor;
  const total = o.totalSteps;
  const up = pctStart * total - 1;
  // [end step, lr from, lr to, momentum from, momentum to]
  const phases: [number, number, number, number, number][] = o.threePhase
    ? [
        [up, initial, o.maxLr, maxM, baseM],
        [2 * pctStart * total - 2, o.maxLr, initial, baseM, maxM],
        [total - 1, initial, min, maxM, maxM],
      ]
    : [
        [up, initial, o.maxLr, maxM, baseM],
        [total - 1, o.maxLr, min, baseM, maxM],
      ];
  const at = (k: number, which: 'lr' | 'momentum'): number => {
    if (k > total) {
      throw new RangeError(`${owner}: stepped ${k} times, beyond totalSteps ${total}`);
    }
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, lr0, lr1, m0, m1] = phases[i] as [number, number, number, number, number];
      if (k <= end || i === phases.length - 1) {
        const pct = (k - start) / (end - start);
        return which === 'lr' ? anneal(lr0, lr1, pct) : anneal(m0, m1, pct);
      }
      start = end;
    }
    return NaN; // unreachable: the last phase always answers
  };
  return { lr: (k) => at(k, 'lr'), momentum: (k) => at(k, 'momentum') };
}

export interface CyclicOptions {
  baseLr: number;
  maxLr: number;
  stepSizeUp?: number;
  stepSizeDown?: number;
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  gamma?: number;
  baseMomentum?: number;
  maxMomentum?: number;
}

/**
 * Cyclical learning rates (Smith 2017): lr oscillates between `baseLr` and `maxLr`, momentum
 * inversely between `maxMomentum` and `baseMomentum`, as PyTorch's `CyclicLR`.
 */
export function cyclic(o: CyclicOptions): CycleSchedules {
  const owner = 'CyclicLR';
  const up = o.stepSizeUp ?? 2000;
  const down = o.stepSizeDown ?? up;
  const mode = o.mode ?? 'triangular';
  const gamma = o.gamma ?? 1;
  const baseM = o.baseMomentum ?? 0.8;
  const maxM = o.maxMomentum ?? 0.9;
  check(owner, 'baseLr', isNum(o.baseLr) && o.baseLr >= 0, 'a finite number >= 0', o.baseLr);
  check(owner, 'maxLr', isNum(o.maxLr) && o.maxLr >= 0, 'a finite number >= 0', o.maxLr);
  check(owner, 'stepSizeUp', isNum(up) && up > 0, 'a number > 0', up);
  check(owner, 'stepSizeDown', isNum(down) && down > 0, 'a number > 0', down);
  check(
    owner,
    'mode',
    ['triangular', 'triangular2', 'exp_range'].includes(mode),
    '"triangular", "triangular2" or "exp_range"',
    mode,
  );
  const size = up + down;
  const ratio = up / size;
  const place = (k: number) => {
    const cycle = Math.floor(1 + k / size);
    const x = 1 + k / size - cycle;
    const factor = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const scale =
      mode === 'triangular' ? 1 : mode === 'triangular2' ? 1 / 2 ** (cycle - 1) : gamma ** k;
    return factor * scale;
  };
  return {
    lr: (k) => o.baseLr + (o.maxLr - o.baseLr) * place(k),
    momentum: (k) => maxM - (maxM - baseM) * place(k),
  };
}
