import type { CompareResults } from './results.ts';
import { claimAdaptiveFaster } from './claims/adaptive-faster.ts';
import { claimSgdEscapes } from './claims/sgd-escapes-saddles.ts';
import { claimSparse } from './claims/adaptive-sparse.ts';
import { claimPreferAdam } from './claims/prefer-adam.ts';
import { claimRadam } from './claims/radam-robust.ts';
import { claimSwitch } from './claims/adam-then-sgd.ts';
import { claimKingmaBa } from './claims/kingma-ba.ts';
import { claimNewBeatAdamW } from './claims/new-vs-adamw.ts';
import type { ClaimResult } from './claims/judge.ts';

export { comparePaired, type ClaimResult, type Verdict } from './claims/judge.ts';

/** Every claim of the usual guidance, with this run's evidence and a verdict. */
export function evaluateClaims(r: CompareResults): ClaimResult[] {
  return [
    claimAdaptiveFaster(r),
    claimSgdEscapes(r),
    claimSparse(r),
    claimPreferAdam(r),
    claimRadam(r),
    claimSwitch(r),
    claimKingmaBa(r),
    claimNewBeatAdamW(r),
  ];
}
