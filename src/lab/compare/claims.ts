import type { CompareResults, OptimizerResult, ProblemResult } from './results.ts';
import { ALPHA, pairedP } from './ranking.ts';
import { mean, median } from './tuning.ts';

export type Verdict = 'supported' | 'not supported' | 'mixed' | 'not enough evidence';

/** One piece of the usual optimizer guidance, checked against this run. */
export interface ClaimResult {
  id: string;
  claim: string;
  /** What the claim needs before it can be judged (optimizers, problems, protocol). */
  requires: string;
  /** What was measured, with the numbers, in a few sentences. */
  evidence: string;
  verdict: Verdict;
  /** The figure of the report that shows the evidence. */
  figure: string;
}

const SGD_FAMILY = ['sgd', 'momentum', 'nesterov'];
const ADAPTIVE = ['adagrad', 'adadelta', 'rmsprop', 'adam'];
/** Dense logistic-regression problems (Kingma and Ba's MNIST setting, and the digits). */
const DENSE_LOGREG = ['fashion-logreg', 'digits-logreg'];

const fmt = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : Number(x.toPrecision(digits)).toString();

function opt(p: ProblemResult, name: string): OptimizerResult | undefined {
  return p.optimizers.find((o) => o.name === name);
}

function group(p: ProblemResult, names: string[]): OptimizerResult[] {
  return names.map((n) => opt(p, n)).filter((o): o is OptimizerResult => o !== undefined);
}

/** How one comparison came out: the first side clearly better, clearly worse, or a tie. */
type Outcome = 'better' | 'worse' | 'tie';

/**
 * Two per-seed series, lower is better, paired by seed. A side wins only when the paired t-test
 * ({@link pairedP}) separates them at α and the mean difference exceeds `resolution` (a win by one step, or by
 * less than what was measured, is a tie).
 */
export function comparePaired(
  a: readonly number[],
  b: readonly number[],
  resolution = 0,
): { outcome: Outcome; p: number | null } {
  if (a.length < 2) return { outcome: 'tie', p: null };
  const p = pairedP(a, b);
  const meanDiff = mean(a) - mean(b);
  if (p >= ALPHA || Math.abs(meanDiff) <= resolution) return { outcome: 'tie', p };
  return { outcome: meanDiff < 0 ? 'better' : 'worse', p };
}

/** A group's value on each seed: the median over its optimizers. */
function perSeed(os: OptimizerResult[], value: (o: OptimizerResult, seed: number) => number) {
  const seeds = os[0]?.tuned.length ?? 0;
  return Array.from({ length: seeds }, (_, i) => median(os.map((o) => value(o, i))));
}

/** A tuned seed's score with failures as no progress (as the ranking counts it). */
const capped = (p: ProblemResult, o: OptimizerResult, i: number) => {
  const r = o.tuned[i]!;
  const worst = p.objective === 'escape' ? r.steps + 1 : r.initialLoss;
  return Number.isFinite(r.score) ? Math.min(r.score, worst) : worst;
};

const stepsOn = (p: ProblemResult) => (o: OptimizerResult, i: number) =>
  o.summary.stepsToTargetBySeed[i] ?? p.epochs * p.stepsPerEpoch + 1;

/** `supported` when at least 2/3 of the comparisons agree, `not supported` at most 1/3. */
function tally(agree: number, total: number): Verdict {
  if (total === 0) return 'not enough evidence';
  if (agree * 3 >= total * 2) return 'supported';
  if (agree * 3 <= total) return 'not supported';
  return 'mixed';
}

function both(a: Verdict, b: Verdict): Verdict {
  if (a === 'not enough evidence' || b === 'not enough evidence')
    return a === 'not enough evidence' ? b : a;
  return a === b ? a : 'mixed';
}

const count = (xs: Outcome[], o: Outcome) => xs.filter((x) => x === o).length;
const outcomes = (xs: Outcome[], words: [string, string, string]) =>
  `${words[0]} on ${count(xs, 'better')}, ${words[1]} on ${count(xs, 'tie')}, ${words[2]} on ${count(xs, 'worse')}`;

/** Why a run cannot judge any claim: untuned learning rates, or one seed (no noise estimate). */
function protocolGap(r: CompareResults): string | null {
  if (!r.config.tuned)
    return `learning rates were not tuned (every optimizer ran at lr ${r.config.lr}), so differences reflect that one lr rather than the methods`;
  if (r.config.seeds < 2)
    return 'one seed: the noise between seeds cannot be measured, so no difference can be told from chance';
  return null;
}

function notEnough(
  base: Omit<ClaimResult, 'verdict' | 'evidence'>,
  why: string,
  measured = '',
): ClaimResult {
  return {
    ...base,
    verdict: 'not enough evidence',
    evidence: `Not judged: ${why}.${measured ? ` Measured anyway (descriptive only): ${measured}` : ''}`,
  };
}

/** The scaffolding every claim shares: the protocol check, then the claim's own conditions. */
function judge(
  r: CompareResults,
  base: Omit<ClaimResult, 'verdict' | 'evidence'>,
  body: () => { missing: string | null; verdict: Verdict; evidence: string },
): ClaimResult {
  const gap = protocolGap(r);
  const out = body();
  if (out.missing) return notEnough(base, out.missing, gap ? '' : out.evidence);
  if (gap) return notEnough(base, gap, out.evidence);
  return { ...base, verdict: out.verdict, evidence: out.evidence };
}

function claimAdaptiveFaster(r: CompareResults): ClaimResult {
  const base = {
    id: 'adaptive-faster',
    claim:
      'Adaptive methods (Adagrad, Adadelta, RMSprop, Adam) converge faster and more stably than SGD, Momentum and Nesterov.',
    requires:
      'tuned learning rates, 2+ seeds, 2+ adaptive and 2+ SGD-family optimizers, on 2+ problems with a minimum',
    figure: 'fig-steps-to-target',
  };
  return judge(r, base, () => {
    const rows: string[] = [];
    const speed: Outcome[] = [];
    const stability: Outcome[] = [];
    const problems = r.problems.filter(
      (q) =>
        q.objective === 'loss' &&
        group(q, ADAPTIVE).length >= 2 &&
        group(q, SGD_FAMILY).length >= 2,
    );
    for (const p of problems) {
      const a = group(p, ADAPTIVE);
      const s = group(p, SGD_FAMILY);
      const resolution = p.targetResolution === 'epoch' ? p.stepsPerEpoch : 1;
      const fast = comparePaired(perSeed(a, stepsOn(p)), perSeed(s, stepsOn(p)), resolution);
      speed.push(fast.outcome);
      // Stability: the band of good learning rates (a difference under one grid step is a tie),
      // then the diverged seeds at the tuned and default lrs.
      const aBand = median(a.map((o) => o.goodDecades));
      const sBand = median(s.map((o) => o.goodDecades));
      const step = Math.max(...[...a, ...s].map((o) => o.grid.spacing));
      const div = (g: OptimizerResult[]) =>
        g.reduce((n, o) => n + o.summary.divergedSeeds + o.defaultSummary.divergedSeeds, 0);
      const [aDiv, sDiv] = [div(a) / a.length, div(s) / s.length];
      stability.push(
        aBand - sBand >= step
          ? 'better'
          : sBand - aBand >= step
            ? 'worse'
            : aDiv < sDiv
              ? 'better'
              : aDiv > sDiv
                ? 'worse'
                : 'tie',
      );
      rows.push(
        `${p.name}: median steps to target ${fmt(median(a.map((o) => o.summary.stepsToTarget ?? Infinity)))} adaptive vs ${fmt(median(s.map((o) => o.summary.stepsToTarget ?? Infinity)))} SGD family (${fast.outcome === 'tie' ? 'a tie' : fast.outcome === 'better' ? 'adaptive faster' : 'SGD family faster'}${fast.p === null ? '' : `, p = ${fmt(fast.p, 2)}`}); good-lr band ${aBand} vs ${sBand} decades; diverged seeds per optimizer ${fmt(aDiv, 2)} vs ${fmt(sDiv, 2)}`,
      );
    }
    return {
      missing:
        problems.length < 2
          ? `it needs 2+ adaptive and 2+ SGD-family optimizers on 2+ problems with a minimum; this run had ${problems.length} such problem(s)`
          : null,
      verdict: both(
        tally(count(speed, 'better'), speed.length),
        tally(count(stability, 'better'), stability.length),
      ),
      evidence: `Steps to the target (the whole-training-set loss reaching 90% of the best improvement), per seed the median of each group, paired t-test over seeds: adaptive ${outcomes(speed, ['faster', 'a tie', 'slower'])} of ${speed.length} problems. Stability (band of good learning rates, then diverged seeds): adaptive ${outcomes(stability, ['more stable', 'a tie', 'less stable'])}. ${rows.join('. ')}.`,
    };
  });
}

function claimSgdEscapes(r: CompareResults): ClaimResult {
  const base = {
    id: 'sgd-escapes-saddles',
    claim: 'SGD, Momentum and Nesterov escape saddle points better than adaptive methods.',
    requires:
      'tuned learning rates, 2+ seeds, a saddle raced with 2+ adaptive and 2+ SGD-family optimizers',
    figure: 'fig-saddle',
  };
  return judge(r, base, () => {
    const results: Outcome[] = [];
    const rows: string[] = [];
    const saddles = r.problems.filter(
      (p) =>
        p.objective === 'escape' &&
        group(p, ADAPTIVE).length >= 2 &&
        group(p, SGD_FAMILY).length >= 2,
    );
    for (const p of saddles) {
      const a = group(p, ADAPTIVE);
      const s = group(p, SGD_FAMILY);
      for (const runs of ['tuned', 'defaults'] as const) {
        const esc = (o: OptimizerResult, i: number) => o[runs][i]!.escapeStep ?? p.epochs + 1;
        const c = comparePaired(perSeed(s, esc), perSeed(a, esc), 1);
        results.push(c.outcome);
        const show = (g: OptimizerResult[]) => fmt(median(perSeed(g, esc)));
        rows.push(
          `${p.name} (${runs === 'tuned' ? 'tuned lr' : 'default lr'}): median escape step ${show(s)} SGD family vs ${show(a)} adaptive (${c.outcome === 'tie' ? 'a tie' : c.outcome === 'better' ? 'SGD family first' : 'adaptive first'}${c.p === null ? '' : `, p = ${fmt(c.p, 2)}`}; ${p.epochs + 1} = never)`,
        );
      }
    }
    return {
      missing: saddles.length === 0 ? 'no saddle was raced with 2+ optimizers of each group' : null,
      verdict: tally(count(results, 'better'), results.length),
      evidence: `A run escapes when its loss falls below -1 (from about 1 at the start, next to the saddle point). The SGD family escaped ${outcomes(results, ['first', 'in a tie', 'later'])} of ${results.length} comparisons. ${rows.join('. ')}.`,
    };
  });
}

function claimSparse(r: CompareResults): ClaimResult {
  const base = {
    id: 'adaptive-sparse',
    claim: 'With sparse data, adaptive learning-rate methods are the better choice.',
    requires:
      'tuned learning rates, 2+ seeds, sparse-logreg raced with 2+ adaptive and 2+ SGD-family optimizers',
    figure: 'fig-loss-sparse-logreg',
  };
  return judge(r, base, () => {
    const p = r.problems.find((q) => q.name === 'sparse-logreg');
    const a = p ? group(p, ADAPTIVE) : [];
    const s = p ? group(p, SGD_FAMILY) : [];
    if (!p || a.length < 2 || s.length < 2) {
      return {
        missing: 'sparse-logreg was not raced with 2+ optimizers of each group',
        verdict: 'not enough evidence',
        evidence: '',
      };
    }
    const loss = (o: OptimizerResult, i: number) => capped(p, o, i);
    const err = (o: OptimizerResult, i: number) => 1 - (o.tuned[i]!.testAccuracy ?? 0);
    const bestOf = (g: OptimizerResult[]) =>
      g.reduce((x, y) => (y.summary.meanScore < x.summary.meanScore ? y : x));
    const [bestA, bestS] = [bestOf(a), bestOf(s)];
    const checks = [
      comparePaired(perSeed(a, loss), perSeed(s, loss)),
      comparePaired(perSeed(a, err), perSeed(s, err)),
      comparePaired(
        bestA.tuned.map((_, i) => loss(bestA, i)),
        bestS.tuned.map((_, i) => loss(bestS, i)),
      ),
    ].map((c) => c.outcome);
    const m = (g: OptimizerResult[], f: (o: OptimizerResult, i: number) => number) =>
      fmt(median(perSeed(g, f)));
    return {
      missing: null,
      verdict: tally(count(checks, 'better'), 3),
      evidence: `On sparse logistic regression (Zipf-distributed features, the rare ones informative), at tuned learning rates, paired over seeds: median final training loss ${m(a, loss)} adaptive vs ${m(s, loss)} SGD family (${checks[0]}); median test error ${m(a, err)} vs ${m(s, err)} (${checks[1]}); best of each group, ${bestA.label} ${fmt(bestA.summary.meanScore)} vs ${bestS.label} ${fmt(bestS.summary.meanScore)} (${checks[2]}). Adaptive clearly ahead on ${count(checks, 'better')} of these 3 (a tie is not a win).`,
    };
  });
}

function claimPreferAdam(r: CompareResults): ClaimResult {
  const base = {
    id: 'prefer-adam',
    claim: 'Among adaptive methods, prefer Adam.',
    requires: 'tuned learning rates, 2+ seeds, Adam and another adaptive method on 2+ problems',
    figure: 'fig-ranking',
  };
  return judge(r, base, () => {
    const rows: string[] = [];
    const results: Outcome[] = [];
    for (const p of r.problems) {
      const a = group(p, ADAPTIVE);
      const adam = opt(p, 'adam');
      if (a.length < 2 || !adam) continue;
      // Adam against the best other adaptive method by the race's own order.
      const rival = a.filter((o) => o !== adam).reduce((x, y) => (y.rank < x.rank ? y : x));
      const c = comparePaired(
        adam.tuned.map((_, i) => capped(p, adam, i)),
        rival.tuned.map((_, i) => capped(p, rival, i)),
      );
      results.push(c.outcome);
      const place = 1 + a.filter((o) => o.rank < adam.rank).length;
      rows.push(
        `${p.name}: Adam ${place}/${a.length}, against ${rival.label} ${c.outcome === 'tie' ? 'a tie' : c.outcome === 'better' ? 'ahead' : 'behind'}${c.p === null ? '' : ` (p = ${fmt(c.p, 2)})`}`,
      );
    }
    return {
      missing:
        results.length < 2
          ? `Adam and another adaptive method raced on ${results.length} problem(s)`
          : null,
      verdict: tally(count(results, 'better'), results.length),
      evidence: `Adam against the best other adaptive method (Adagrad, Adadelta, RMSprop) on each problem, paired over seeds: ${outcomes(results, ['ahead', 'a tie', 'behind'])} of ${results.length}. ${rows.join(', ')}.`,
    };
  });
}

function claimRadam(r: CompareResults): ClaimResult {
  const base = {
    id: 'radam-robust',
    claim: 'RAdam is worth trying: it is robust to the learning rate and needs no warm-up.',
    requires: 'tuned learning rates (a sweep), 2+ seeds, RAdam and Adam on 2+ problems',
    figure: 'fig-lr-sensitivity',
  };
  return judge(r, base, () => {
    const wider: Outcome[] = [];
    const luckier: Outcome[] = [];
    const rows: string[] = [];
    for (const p of r.problems) {
      const radam = opt(p, 'radam');
      const adam = opt(p, 'adam');
      if (!radam || !adam || radam.sweep.length < 2) continue;
      // Robustness: a band of good lrs wider by a grid step or more, and a better expected
      // result of one lr drawn at random from the grid (by more than 1% of the untrained score).
      const band = radam.goodDecades - adam.goodDecades;
      const step = Math.max(radam.grid.spacing, adam.grid.spacing);
      wider.push(band >= step ? 'better' : -band >= step ? 'worse' : 'tie');
      const k1 = (o: OptimizerResult) => o.expectedBest[0]?.score ?? Infinity;
      const untrained = Math.max(
        ...[radam, adam].flatMap((o) => o.tuned.map((x) => x.initialLoss)),
      );
      const tol = 0.01 * Math.abs(p.objective === 'escape' ? p.epochs + 1 : untrained);
      const d = k1(radam) - k1(adam);
      luckier.push(d < -tol ? 'better' : d > tol ? 'worse' : 'tie');
      rows.push(
        `${p.name}: good-lr band ${radam.goodDecades} vs ${adam.goodDecades} decades, one-trial expected score ${fmt(k1(radam))} vs ${fmt(k1(adam))}`,
      );
    }
    return {
      missing:
        wider.length < 2 ? `RAdam and Adam were both swept on ${wider.length} problem(s)` : null,
      verdict: both(
        tally(count(wider, 'better'), wider.length),
        tally(count(luckier, 'better'), luckier.length),
      ),
      evidence: `RAdam against Adam (neither with warm-up): band of good learning rates ${outcomes(wider, ['wider', 'the same within a grid step', 'narrower'])} of ${wider.length} problems; expected result of a random learning rate ${outcomes(luckier, ['better', 'within 1%', 'worse'])}. ${rows.join('. ')}.`,
    };
  });
}

function claimSwitch(r: CompareResults): ClaimResult {
  const base = {
    id: 'adam-then-sgd',
    claim: 'Switching from Adam to SGD late in training improves the final result.',
    requires: 'tuned learning rates, 2+ seeds, Adam and Adam→SGD on 2+ problems with a minimum',
    figure: 'fig-switch',
  };
  return judge(r, base, () => {
    const results: Outcome[] = [];
    const rows: string[] = [];
    for (const p of r.problems.filter((q) => q.objective === 'loss')) {
      const sw = opt(p, 'adam-sgd');
      const adam = opt(p, 'adam');
      if (!sw || !adam) continue;
      const acc = adam.summary.meanTestAccuracy !== null && sw.summary.meanTestAccuracy !== null;
      const metric = (o: OptimizerResult, i: number) =>
        acc ? 1 - (o.tuned[i]!.testAccuracy ?? 0) : capped(p, o, i);
      const c = comparePaired(
        sw.tuned.map((_, i) => metric(sw, i)),
        adam.tuned.map((_, i) => metric(adam, i)),
      );
      results.push(c.outcome);
      const word =
        c.outcome === 'tie' ? 'a tie' : c.outcome === 'better' ? 'switch better' : 'Adam better';
      rows.push(
        acc
          ? `${p.name}: test accuracy ${fmt(sw.summary.meanTestAccuracy)} switched vs ${fmt(adam.summary.meanTestAccuracy)} Adam (${word})`
          : `${p.name}: final loss ${fmt(sw.summary.meanScore)} switched vs ${fmt(adam.summary.meanScore)} Adam (${word})`,
      );
    }
    return {
      missing:
        results.length < 2
          ? `Adam and Adam→SGD raced on ${results.length} problem(s) with a minimum`
          : null,
      verdict: tally(count(results, 'better'), results.length),
      evidence: `Adam→SGD (Adam for the first half, then SGD with momentum 0.9 from the SWATS learning-rate estimate, cosine-decayed) against Adam, each at its tuned learning rate, paired over seeds (test accuracy where there is a test set, else final training loss): ${outcomes(results, ['better', 'a tie', 'worse'])} of ${results.length} problems. ${rows.join('. ')}.`,
    };
  });
}

/**
 * Kingma and Ba 2015, Sec. 6.1, in direction: on dense features (their MNIST logistic regression)
 * Adam is about as fast as SGD with Nesterov momentum and faster than Adagrad; on sparse features
 * Adagrad is about as good as Adam and both are well ahead of Nesterov. Each statement is judged
 * on every raced problem of its kind.
 */
function claimKingmaBa(r: CompareResults): ClaimResult {
  const base = {
    id: 'kingma-ba',
    claim:
      'Kingma and Ba (2015, Sec. 6.1), logistic regression: dense features, Adam ≈ SGD+Nesterov and faster than Adagrad; sparse features, Adagrad ≈ Adam, both well ahead of SGD+Nesterov.',
    requires:
      'tuned learning rates, 2+ seeds, Adam, Nesterov and Adagrad on a dense (fashion-logreg, digits-logreg) or the sparse (sparse-logreg) logistic regression',
    figure: 'fig-kingma-ba',
  };
  return judge(r, base, () => {
    const trio = (p: ProblemResult) => {
      const [a, n, g] = ['adam', 'nesterov', 'adagrad'].map((x) => opt(p, x));
      return a && n && g ? { a, n, g } : null;
    };
    // "≈": mean final training losses within 25% of each other; "ahead": 25% lower loss;
    // "faster": fewer epochs to the target by more than one epoch, or a 25% lower loss.
    const loss = (o: OptimizerResult) => o.summary.meanScore;
    const close = (x: OptimizerResult, y: OptimizerResult) =>
      Math.abs(loss(x) - loss(y)) <= 0.25 * Math.max(loss(x), loss(y));
    const ahead = (x: OptimizerResult, y: OptimizerResult) => loss(x) < 0.8 * loss(y);
    const faster = (x: OptimizerResult, y: OptimizerResult) =>
      (x.summary.epochsToTarget ?? Infinity) + 1 <= (y.summary.epochsToTarget ?? Infinity) ||
      ahead(x, y);
    const checks: { text: string; holds: boolean }[] = [];
    for (const name of DENSE_LOGREG) {
      const p = r.problems.find((q) => q.name === name);
      const t = p && trio(p);
      if (!p || !t) continue;
      checks.push(
        {
          text: `${name}: Adam ${fmt(loss(t.a))} ≈ Nesterov ${fmt(loss(t.n))}`,
          holds: close(t.a, t.n),
        },
        {
          text: `${name}: Adam faster than Adagrad (epochs to target ${fmt(t.a.summary.epochsToTarget)} vs ${fmt(t.g.summary.epochsToTarget)}, loss ${fmt(loss(t.a))} vs ${fmt(loss(t.g))})`,
          holds: faster(t.a, t.g),
        },
      );
    }
    const sp = r.problems.find((q) => q.name === 'sparse-logreg');
    const st = sp && trio(sp);
    if (st) {
      checks.push(
        {
          text: `sparse-logreg: Adagrad ${fmt(loss(st.g))} ≈ Adam ${fmt(loss(st.a))}`,
          holds: close(st.g, st.a),
        },
        {
          text: `sparse-logreg: both ahead of Nesterov ${fmt(loss(st.n))}`,
          holds: ahead(st.a, st.n) && ahead(st.g, st.n),
        },
      );
    }
    const agree = checks.filter((c) => c.holds).length;
    return {
      missing:
        checks.length === 0
          ? 'no dense or sparse logistic regression was raced with Adam, Nesterov and Adagrad'
          : null,
      verdict: tally(agree, checks.length),
      evidence: `Mean final training loss at tuned learning rates (≈ means within 25%, "ahead" 25% lower). Of the ${checks.length} statements this run can check, ${agree} hold: ${checks.map((c) => `${c.text}: ${c.holds ? 'yes' : 'no'}`).join('; ')}.`,
    };
  });
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
