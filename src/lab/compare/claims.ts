import type { CompareResults, OptimizerResult, ProblemResult } from './race.ts';
import { median } from './tuning.ts';

export type Verdict = 'supported' | 'not supported' | 'mixed' | 'no evidence';

/** One piece of the usual optimizer guidance, checked against this run. */
export interface ClaimResult {
  id: string;
  claim: string;
  /** What was measured, with the numbers, in a few sentences. */
  evidence: string;
  verdict: Verdict;
  /** The figure of the report that shows the evidence. */
  figure: string;
}

const SGD_FAMILY = ['sgd', 'momentum', 'nesterov'];
const ADAPTIVE = ['adagrad', 'adadelta', 'rmsprop', 'adam'];

const fmt = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? 'never'
    : Number(x.toPrecision(digits)).toString();

function opt(p: ProblemResult, name: string): OptimizerResult | undefined {
  return p.optimizers.find((o) => o.name === name);
}

function group(p: ProblemResult, names: string[]): OptimizerResult[] {
  return names.map((n) => opt(p, n)).filter((o): o is OptimizerResult => o !== undefined);
}

const steps = (o: OptimizerResult) => o.summary.stepsToTarget ?? Infinity;
const finalLoss = (o: OptimizerResult) => o.summary.meanFinalLoss ?? Infinity;

/** `supported` when most problems agree, `not supported` when few do, `mixed` between. */
function tally(agree: number, total: number): Verdict {
  if (total === 0) return 'no evidence';
  if (agree * 3 >= total * 2) return 'supported';
  if (agree * 3 <= total) return 'not supported';
  return 'mixed';
}

function both(a: Verdict, b: Verdict): Verdict {
  if (a === 'no evidence' || b === 'no evidence') return a === 'no evidence' ? b : a;
  if (a === b) return a;
  return 'mixed';
}

function claimAdaptiveFaster(r: CompareResults): ClaimResult {
  const claim =
    'Adaptive methods (Adagrad, Adadelta, RMSprop, Adam) converge faster and more stably than SGD, Momentum and Nesterov.';
  const rows: string[] = [];
  let faster = 0;
  let stabler = 0;
  let total = 0;
  for (const p of r.problems.filter((q) => q.objective === 'loss')) {
    const a = group(p, ADAPTIVE);
    const s = group(p, SGD_FAMILY);
    if (a.length === 0 || s.length === 0) continue;
    total++;
    const aSteps = median(a.map(steps));
    const sSteps = median(s.map(steps));
    // Stability: how wide the band of good learning rates is, and how many seeds diverged.
    const aBand = median(a.map((o) => o.goodDecades));
    const sBand = median(s.map((o) => o.goodDecades));
    const aDiv = a.reduce(
      (n, o) => n + o.summary.divergedSeeds + o.defaultSummary.divergedSeeds,
      0,
    );
    const sDiv = s.reduce(
      (n, o) => n + o.summary.divergedSeeds + o.defaultSummary.divergedSeeds,
      0,
    );
    if (aSteps < sSteps) faster++;
    if (aBand > sBand || (aBand === sBand && aDiv < sDiv)) stabler++;
    rows.push(
      `${p.name}: median steps to target ${fmt(aSteps)} adaptive vs ${fmt(sSteps)} SGD family; good-lr band ${aBand} vs ${sBand} decades`,
    );
  }
  const verdict = both(tally(faster, total), tally(stabler, total));
  return {
    id: 'adaptive-faster',
    claim,
    verdict,
    figure: 'fig-steps-to-target',
    evidence:
      total === 0
        ? 'No problem with a finite minimum raced both groups.'
        : `Faster (median steps to the target, 90% of the best improvement) on ${faster} of ${total} problems; more stable (wider band of good learning rates, then fewer diverged seeds) on ${stabler} of ${total}. ${rows.join('. ')}.`,
  };
}

function claimSgdEscapes(r: CompareResults): ClaimResult {
  const claim = 'SGD, Momentum and Nesterov escape saddle points better than adaptive methods.';
  const saddles = r.problems.filter((p) => p.objective === 'escape');
  let agree = 0;
  let total = 0;
  const rows: string[] = [];
  for (const p of saddles) {
    const a = group(p, ADAPTIVE);
    const s = group(p, SGD_FAMILY);
    if (a.length === 0 || s.length === 0) continue;
    for (const [setting, pick] of [
      ['tuned lr', (o: OptimizerResult) => o.summary.escapeStep ?? Infinity],
      ['default lr', (o: OptimizerResult) => o.defaultSummary.escapeStep ?? Infinity],
    ] as const) {
      total++;
      const aEsc = median(a.map(pick));
      const sEsc = median(s.map(pick));
      if (sEsc < aEsc) agree++;
      rows.push(
        `${p.name} (${setting}): median escape step ${fmt(sEsc)} SGD family vs ${fmt(aEsc)} adaptive`,
      );
    }
  }
  return {
    id: 'sgd-escapes-saddles',
    claim,
    verdict: tally(agree, total),
    figure: 'fig-saddle',
    evidence:
      total === 0
        ? 'No saddle problem was raced.'
        : `A run escapes when its loss falls below -1 (from about 1 at the start, next to the saddle point). The SGD family escaped first in ${agree} of ${total} comparisons. ${rows.join('. ')}.`,
  };
}

function claimSparse(r: CompareResults): ClaimResult {
  const claim = 'With sparse data, adaptive learning-rate methods are the better choice.';
  const p = r.problems.find((q) => q.name === 'sparse-logreg');
  const a = p ? group(p, ADAPTIVE) : [];
  const s = p ? group(p, SGD_FAMILY) : [];
  if (!p || a.length === 0 || s.length === 0) {
    return {
      id: 'adaptive-sparse',
      claim,
      verdict: 'no evidence',
      figure: 'fig-loss-sparse-logreg',
      evidence: 'sparse-logreg was not raced with both groups.',
    };
  }
  const acc = (o: OptimizerResult) => o.summary.meanTestAccuracy ?? 0;
  const aLoss = median(a.map(finalLoss));
  const sLoss = median(s.map(finalLoss));
  const aAcc = median(a.map(acc));
  const sAcc = median(s.map(acc));
  const bestA = Math.min(...a.map(finalLoss));
  const bestS = Math.min(...s.map(finalLoss));
  const agree = Number(aLoss < sLoss) + Number(aAcc > sAcc) + Number(bestA < bestS);
  return {
    id: 'adaptive-sparse',
    claim,
    verdict: tally(agree, 3),
    figure: 'fig-loss-sparse-logreg',
    evidence: `On sparse logistic regression (Zipf-distributed features, the rare ones informative), at tuned learning rates: median final training loss ${fmt(aLoss)} adaptive vs ${fmt(sLoss)} SGD family; median test accuracy ${fmt(aAcc)} vs ${fmt(sAcc)}; best of each group ${fmt(bestA)} vs ${fmt(bestS)}. Adaptive ahead on ${agree} of these 3.`,
  };
}

function claimPreferAdam(r: CompareResults): ClaimResult {
  const claim = 'Among adaptive methods, prefer Adam.';
  const ranks: number[] = [];
  const rows: string[] = [];
  for (const p of r.problems) {
    const a = group(p, ADAPTIVE);
    if (a.length < 2 || !a.some((o) => o.name === 'adam')) continue;
    const order = p.ranking.filter((n) => ADAPTIVE.includes(n));
    const rank = order.indexOf('adam') + 1;
    ranks.push(rank);
    rows.push(`${p.name} ${rank}/${order.length}`);
  }
  const first = ranks.filter((x) => x === 1).length;
  const top2 = ranks.filter((x) => x <= 2).length;
  const verdict: Verdict =
    ranks.length === 0
      ? 'no evidence'
      : first * 2 >= ranks.length
        ? 'supported'
        : top2 * 2 >= ranks.length
          ? 'mixed'
          : 'not supported';
  return {
    id: 'prefer-adam',
    claim,
    verdict,
    figure: 'fig-ranking',
    evidence:
      ranks.length === 0
        ? 'Adam and another adaptive method were not both raced.'
        : `Adam's rank among Adagrad, Adadelta, RMSprop and Adam (by median tuned score): ${rows.join(', ')}. First on ${first} of ${ranks.length} problems, in the top two on ${top2}.`,
  };
}

function claimRadam(r: CompareResults): ClaimResult {
  const claim = 'RAdam is worth trying: it is robust to the learning rate and needs no warm-up.';
  let wider = 0;
  let luckier = 0;
  let total = 0;
  const rows: string[] = [];
  for (const p of r.problems) {
    const radam = opt(p, 'radam');
    const adam = opt(p, 'adam');
    if (!radam || !adam || radam.sweep.length < 2) continue;
    total++;
    // Robustness: a wider band of good learning rates, and a better expected result when the lr
    // is picked at random from the grid (one trial of random search).
    if (radam.goodDecades > adam.goodDecades) wider++;
    const k1 = (o: OptimizerResult) => o.expectedBest[0]?.score ?? Infinity;
    if (k1(radam) < k1(adam)) luckier++;
    rows.push(
      `${p.name}: good-lr band ${radam.goodDecades} vs ${adam.goodDecades} decades, one-trial expected score ${fmt(k1(radam))} vs ${fmt(k1(adam))}`,
    );
  }
  return {
    id: 'radam-robust',
    claim,
    verdict: both(tally(wider, total), tally(luckier, total)),
    figure: 'fig-lr-sensitivity',
    evidence:
      total === 0
        ? 'RAdam and Adam were not both swept over learning rates.'
        : `RAdam against Adam (neither with warm-up): wider band of good learning rates on ${wider} of ${total} problems, better expected result of a random learning rate on ${luckier} of ${total}. ${rows.join('. ')}.`,
  };
}

function claimSwitch(r: CompareResults): ClaimResult {
  const claim = 'Switching from Adam to SGD late in training improves the final result.';
  let better = 0;
  let total = 0;
  const rows: string[] = [];
  for (const p of r.problems.filter((q) => q.objective === 'loss')) {
    const sw = opt(p, 'adam-sgd');
    const adam = opt(p, 'adam');
    if (!sw || !adam) continue;
    total++;
    const metric = (o: OptimizerResult) =>
      o.summary.meanTestAccuracy !== null ? -o.summary.meanTestAccuracy : finalLoss(o);
    if (metric(sw) < metric(adam)) better++;
    rows.push(
      adam.summary.meanTestAccuracy !== null
        ? `${p.name}: test accuracy ${fmt(sw.summary.meanTestAccuracy)} switched vs ${fmt(adam.summary.meanTestAccuracy)} Adam`
        : `${p.name}: final loss ${fmt(finalLoss(sw))} switched vs ${fmt(finalLoss(adam))} Adam`,
    );
  }
  return {
    id: 'adam-then-sgd',
    claim,
    verdict: tally(better, total),
    figure: 'fig-switch',
    evidence:
      total === 0
        ? 'Adam and Adam→SGD were not both raced.'
        : `Adam→SGD (Adam for the first half, then SGD with momentum 0.9 from the SWATS learning-rate estimate, cosine-decayed) against Adam, each at its tuned learning rate: better on ${better} of ${total} problems (test accuracy where there is a test set, else final training loss). ${rows.join('. ')}.`,
  };
}

/**
 * Kingma and Ba 2015, Sec. 6.1, in direction: on dense features Adam is about as fast as SGD
 * with Nesterov momentum and faster than Adagrad; on sparse features Adagrad is about as good as
 * Adam and both are well ahead of Nesterov.
 */
function claimKingmaBa(r: CompareResults): ClaimResult {
  const claim =
    'Kingma and Ba (2015, Sec. 6.1), logistic regression: dense features, Adam ≈ SGD+Nesterov and faster than Adagrad; sparse features, Adagrad ≈ Adam, both well ahead of SGD+Nesterov.';
  const dense = r.problems.find((p) => p.name === 'digits-logreg');
  const sparse = r.problems.find((p) => p.name === 'sparse-logreg');
  const pick = (p: ProblemResult | undefined, n: string) => (p ? opt(p, n) : undefined);
  const [da, dn, dg] = ['adam', 'nesterov', 'adagrad'].map((n) => pick(dense, n));
  const [sa, sn, sg] = ['adam', 'nesterov', 'adagrad'].map((n) => pick(sparse, n));
  if (!da || !dn || !dg || !sa || !sn || !sg) {
    return {
      id: 'kingma-ba',
      claim,
      verdict: 'no evidence',
      figure: 'fig-kingma-ba',
      evidence:
        'digits-logreg and sparse-logreg were not both raced with Adam, Nesterov and Adagrad.',
    };
  }
  // "≈": final training losses within 25% of each other; "ahead"/"faster": 25% lower loss, or
  // fewer epochs to the target.
  const close = (a: number, b: number) => Math.abs(a - b) <= 0.25 * Math.max(a, b);
  const ahead = (a: number, b: number) => a < 0.8 * b;
  const fasterThan = (a: OptimizerResult, b: OptimizerResult) =>
    (a.summary.epochsToTarget ?? Infinity) < (b.summary.epochsToTarget ?? Infinity) ||
    ahead(finalLoss(a), finalLoss(b));
  const checks = [
    close(finalLoss(da), finalLoss(dn)),
    fasterThan(da, dg),
    close(finalLoss(sg), finalLoss(sa)),
    ahead(finalLoss(sa), finalLoss(sn)) && ahead(finalLoss(sg), finalLoss(sn)),
  ];
  const agree = checks.filter(Boolean).length;
  return {
    id: 'kingma-ba',
    claim,
    verdict: tally(agree, checks.length),
    figure: 'fig-kingma-ba',
    evidence: `Dense (digits, softmax regression): final loss Adam ${fmt(finalLoss(da))}, Nesterov ${fmt(finalLoss(dn))}, Adagrad ${fmt(finalLoss(dg))}; epochs to target ${fmt(da.summary.epochsToTarget)}, ${fmt(dn.summary.epochsToTarget)}, ${fmt(dg.summary.epochsToTarget)}. Sparse (synthetic Zipf features): Adam ${fmt(finalLoss(sa))}, Adagrad ${fmt(finalLoss(sg))}, Nesterov ${fmt(finalLoss(sn))}. Of the four statements (Adam ≈ Nesterov dense, Adam faster than Adagrad dense, Adagrad ≈ Adam sparse, both ahead of Nesterov sparse; ≈ means within 25%), ${agree} hold here: ${checks.map((c) => (c ? 'yes' : 'no')).join(', ')}.`,
  };
}

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
  ];
}
