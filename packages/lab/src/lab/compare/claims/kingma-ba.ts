import { formatNumber } from '../format.ts';
import type { CompareResults, OptimizerResult, ProblemResult } from '../results.ts';
import { DENSE_LOGREG, opt, judge, type ClaimResult } from './judge.ts';

/**
 * Kingma and Ba 2015, Sec. 6.1, in direction: on dense features (their MNIST logistic regression)
 * Adam is about as fast as SGD with Nesterov momentum and faster than Adagrad; on sparse features
 * Adagrad is about as good as Adam and both are well ahead of Nesterov. Each statement is judged
 * on every raced problem of its kind.
 */
export function claimKingmaBa(r: CompareResults): ClaimResult {
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
    // "≈": mean final training losses within 25% of the smaller; "ahead": 25% lower loss;
    // "faster": fewer epochs to the target by more than one epoch, or a 25% lower loss.
    const loss = (o: OptimizerResult) => o.summary.meanScore;
    const close = (x: OptimizerResult, y: OptimizerResult) =>
      Math.abs(loss(x) - loss(y)) <= 0.25 * Math.min(loss(x), loss(y));
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
          text: `${name}: Adam ${formatNumber(loss(t.a))} ≈ Nesterov ${formatNumber(loss(t.n))}`,
          holds: close(t.a, t.n),
        },
        {
          text: `${name}: Adam faster than Adagrad (epochs to target ${formatNumber(t.a.summary.epochsToTarget)} vs ${formatNumber(t.g.summary.epochsToTarget)}, loss ${formatNumber(loss(t.a))} vs ${formatNumber(loss(t.g))})`,
          holds: faster(t.a, t.g),
        },
      );
    }
    const sp = r.problems.find((q) => q.name === 'sparse-logreg');
    const st = sp && trio(sp);
    if (st) {
      checks.push(
        {
          text: `sparse-logreg: Adagrad ${formatNumber(loss(st.g))} ≈ Adam ${formatNumber(loss(st.a))}`,
          holds: close(st.g, st.a),
        },
        {
          text: `sparse-logreg: both ahead of Nesterov ${formatNumber(loss(st.n))}`,
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
      // Each statement is part of one finding: it is supported only when every part holds.
      verdict: agree === checks.length ? 'supported' : agree === 0 ? 'not supported' : 'mixed',
      evidence: `Mean final training loss at tuned learning rates (≈ means within 25% of the smaller, "ahead" 25% lower; supported only if every statement holds). Of the ${checks.length} statements this run can check, ${agree} hold${agree === 1 ? 's' : ''}: ${checks.map((c) => `${c.text}: ${c.holds ? 'yes' : 'no'}`).join('; ')}.`,
    };
  });
}
