import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { SUMMARY_WIDTH, summary } from '../packages/lab/src/cli/compare-summary.ts';
import { builtinRaceProblem } from '../packages/lab/src/lab/compare/builtin.ts';
import { evaluateClaims, type ClaimResult } from '../packages/lab/src/lab/compare/claims.ts';
import { compare } from '../packages/lab/src/lab/compare/race.ts';
import type { CompareResults } from '../packages/lab/src/lab/compare/results.ts';
import { formatNumber, formatTick, logTicks } from '../packages/lab/src/lab/compare/report/axes.ts';
import {
  clipPath,
  clipSegment,
  TRAJECTORY_MARGIN,
  type Box,
} from '../packages/lab/src/lab/compare/report/clip.ts';
import { lossCurves } from '../packages/lab/src/lab/compare/report/curves.ts';
import { renderReport } from '../packages/lab/src/lab/compare/report/html.ts';
import { figureContext } from '../packages/lab/src/lab/compare/report/series-style.ts';

// What a tick label may look like: a plain decimal or mantissa·e·exponent, no SI letter.
const ML_NUMBER = /^-?\d+(\.\d+)?(e-?\d+)?$/;

describe('tick labels in the notation ML papers use', () => {
  const cases: [number, string][] = [
    [1e-3, '1e-3'],
    [0.7, '0.7'],
    [3, '3'],
    [1e5, '1e5'],
    [10 ** -3, '1e-3'],
    [0.1 + 0.2, '0.3'],
    [1e-10, '1e-10'],
    [2.5e-7, '2.5e-7'],
    [0.01, '0.01'],
    [250, '250'],
    [1e4, '1e4'],
    [0, '0'],
    [-1e-3, '-1e-3'],
    [1e-24, '1e-24'],
  ];
  for (const [x, want] of cases) {
    test(`${x} → ${want}`, () => assert.equal(formatTick(x), want));
  }

  const missing: [number | null, string][] = [
    [Infinity, '—'],
    [-Infinity, '—'],
    [NaN, '—'],
    [null, '—'],
  ];
  for (const [x, want] of missing) {
    test(`${x} is shown as ${want}`, () => assert.equal(formatNumber(x), want));
  }

  const domains: [number, number, number][] = [
    [1e-12, 10, 10],
    [1e-4, 3.2, 10],
    [0.05, 2, 10],
    [0.1, 0.7, 10],
    [0.12, 0.16, 10],
    [1, 256, 2],
  ];
  for (const [lo, hi, base] of domains) {
    test(`log ticks over [${lo}, ${hi}] (base ${base}) are few, inside, and in ML notation`, () => {
      const ticks = logTicks(lo, hi, base);
      assert.ok(ticks.length >= 2 && ticks.length <= 10, String(ticks));
      for (const t of ticks) {
        assert.ok(t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9), `${t} in [${lo}, ${hi}]`);
        assert.match(formatTick(t), ML_NUMBER);
      }
    });
  }
});

describe('clipping a path to the plot window', () => {
  const box: Box = [
    [-1, 1],
    [-2, 2],
  ];
  // Where the line through p and q meets x = X, or y = Y.
  const atX = (p: number[], q: number[], X: number) => [
    X,
    p[1]! + ((X - p[0]!) * (q[1]! - p[1]!)) / (q[0]! - p[0]!),
  ];
  const atY = (p: number[], q: number[], Y: number) => [
    p[0]! + ((Y - p[1]!) * (q[0]! - p[0]!)) / (q[1]! - p[1]!),
    Y,
  ];
  const segments: [string, number[], number[], number[][] | null][] = [
    [
      'inside: unchanged',
      [0, 0],
      [0.5, 1],
      [
        [0, 0],
        [0.5, 1],
      ],
    ],
    [
      'leaves through the right edge',
      [0.5, 0.2],
      [3, 1.2],
      [[0.5, 0.2], atX([0.5, 0.2], [3, 1.2], 1)],
    ],
    ['leaves through the top', [0.2, 1], [0.6, 7], [[0.2, 1], atY([0.2, 1], [0.6, 7], 2)]],
    ['enters through the left', [-4, 0], [0, 1], [atX([-4, 0], [0, 1], -1), [0, 1]]],
    [
      'crosses from outside to outside',
      [-3, -1],
      [3, 1],
      [atX([-3, -1], [3, 1], -1), atX([-3, -1], [3, 1], 1)],
    ],
    ['passes by outside', [2, -5], [5, 5], null],
    // SGD off a saddle: 1e36 away in one step.
    [
      'flies off to 1e36',
      [0.3, 0.5],
      [0.3 + 1e-30, 1e36],
      [[0.3, 0.5], atY([0.3, 0.5], [0.3 + 1e-30, 1e36], 2)],
    ],
  ];
  for (const [what, p, q, want] of segments) {
    test(`segment ${what}`, () => {
      const got = clipSegment(p, q, box);
      if (want === null) return assert.equal(got, null);
      assert.ok(got);
      for (const [g, w] of [
        [got.a, want[0]!],
        [got.b, want[1]!],
      ] as const) {
        assert.ok(
          Math.abs(g[0]! - w[0]!) < 1e-12 && Math.abs(g[1]! - w[1]!) < 1e-12,
          `${g} vs ${w}`,
        );
      }
    });
  }

  test('a segment whose difference overflows still meets the boundary on its line', () => {
    const p = [0, -1e308];
    const q = [1e-300, 1.5e308];
    const got = clipSegment(p, q, box)!;
    assert.ok(got.enters && got.leaves);
    for (const point of [got.a, got.b]) {
      assert.ok(Math.abs(point[1]!) <= 2 && point.every(Number.isFinite));
      assert.ok(Math.abs(point[0]!) < 1e-299);
    }
  });

  const paths: [
    string,
    number[][],
    { pieces: number; exit: number[] | null; diverged: boolean },
  ][] = [
    [
      'stays inside',
      [
        [0, 0],
        [0.5, 0.5],
        [0.2, 0.1],
      ],
      { pieces: 1, exit: null, diverged: false },
    ],
    [
      'leaves for good',
      [
        [0, 0],
        [0.5, 1],
        [0.9, 1e36],
        [1, 1e203],
      ],
      { pieces: 1, exit: atY([0.5, 1], [0.9, 1e36], 2), diverged: false },
    ],
    [
      'leaves and comes back',
      [
        [0, 0],
        [3, 0],
        [0, 0.5],
      ],
      { pieces: 2, exit: null, diverged: false },
    ],
    [
      'reaches NaN',
      [
        [0, 0],
        [0.5, 0.5],
        [NaN, NaN],
        [0, 0],
      ],
      { pieces: 1, exit: null, diverged: true },
    ],
  ];
  for (const [what, path, want] of paths) {
    test(`path that ${what}`, () => {
      const got = clipPath(path, box);
      assert.equal(got.pieces.length, want.pieces);
      assert.equal(got.diverged, want.diverged);
      if (want.exit === null) assert.equal(got.exit, null);
      else assert.ok(Math.abs(got.exit![0]! - want.exit[0]!) < 1e-12 && got.exit![1] === 2);
      for (const piece of got.pieces) {
        for (const [x, y] of piece) assert.ok(x! >= -1 && x! <= 1 && y! >= -2 && y! <= 2);
      }
    });
  }
});

/** The figures of a page, each with its inner HTML. */
const figures = (html: string) =>
  [...html.matchAll(/<figure\b[^>]*>([\s\S]*?)<\/figure>/g)].map((m) => m[1]!);
const legendOf = (fig: string) =>
  new Set([...fig.matchAll(/<span class="key" data-series="([^"]+)"/g)].map((m) => m[1]!));
const drawnIn = (fig: string) =>
  new Set([...fig.matchAll(/class="(?:series|marker|exit)-([\w-]+)"/g)].map((m) => m[1]!));

describe('the report of a tiny saddle race (sgd, nesterov, adam; 1 seed)', () => {
  const asked = ['sgd', 'nesterov', 'adam'];
  let r: CompareResults;
  let html: string;
  before(async () => {
    r = await compare({
      problems: [builtinRaceProblem('saddle', 'quick', { epochs: 60 })],
      optimizers: asked,
      seeds: 1,
    });
    html = renderReport(r, evaluateClaims(r), { command: 'test', machine: 'test' });
  });

  test('every trajectory figure draws a path for every optimizer asked', () => {
    const paths = figures(html).filter((f) => f.includes('the path of seed 0'));
    assert.ok(paths.length >= 2, 'the problem section and the claim both draw the saddle');
    for (const fig of paths) {
      for (const name of asked) {
        const d = new RegExp(
          `<g[^>]*class="series-${name}"[^>]*>\\s*<path[^>]*\\sd="(M[^"]+)"`,
        ).exec(fig);
        assert.ok(d, `${name} has a line`);
        assert.doesNotMatch(d[1]!, /NaN|Infinity/);
      }
    }
  });

  test('paths that leave the window are marked where they leave and named in the caption', () => {
    const p = r.problems[0]!;
    const [[x1, x2], [y1, y2]] = p.fn!.window as [[number, number], [number, number]];
    const [mx, my] = [TRAJECTORY_MARGIN * (x2 - x1), TRAJECTORY_MARGIN * (y2 - y1)];
    const fig = figures(html).find((f) => f.includes('the path of seed 0'))!;
    const caption = /<figcaption>([\s\S]*?)<\/figcaption>/.exec(fig)![1]!;
    let left = 0;
    for (const o of p.optimizers) {
      const end = o.tuned[0]!.trajectory!.at(-1)!;
      const out = !(
        end[0]! >= x1 - mx &&
        end[0]! <= x2 + mx &&
        end[1]! >= y1 - my &&
        end[1]! <= y2 + my
      );
      assert.equal(fig.includes(`class="exit-${o.name}"`), out, o.name);
      if (out) {
        left++;
        assert.match(caption, new RegExp(`left the window: [^;.]*${o.label}`));
      }
    }
    assert.ok(left > 0, 'at this lr something escapes the saddle far beyond the window');
  });

  test('legends list exactly the series drawn in their figure', () => {
    for (const fig of figures(html)) {
      assert.deepEqual([...legendOf(fig)].sort(), [...drawnIn(fig)].sort());
    }
    const only = lossCurves(r.problems[0]!, figureContext(r), ['adam']);
    assert.deepEqual([...legendOf(only)], ['adam']);
  });

  test('every figure has a caption naming its problem or problems', () => {
    const all = [...html.matchAll(/<figure\b/g)].length;
    const figs = figures(html);
    assert.equal(figs.length, all);
    for (const fig of figs) {
      const caption = /<figcaption>([\s\S]+?)<\/figcaption>/.exec(fig);
      assert.ok(caption && caption[1]!.length > 40, fig.slice(0, 80));
      assert.ok(caption[1]!.includes('saddle') || caption[1]!.includes('problem'), caption[1]);
    }
  });

  test('tick labels carry no SI prefix', () => {
    const labels = [
      ...html.matchAll(/aria-label="[xy]-axis tick label"[^>]*>([\s\S]*?)<\/g>/g),
    ].flatMap((m) => [...m[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!));
    assert.ok(labels.length > 20);
    for (const l of labels) assert.match(l.replace('−', '-'), ML_NUMBER);
  });

  test('every table scrolls sideways on a narrow screen', () => {
    const tables = [...html.matchAll(/<table\b/g)].length;
    assert.ok(tables >= 2);
    assert.equal([...html.matchAll(/<div class="scroll"[^>]*><table\b/g)].length, tables);
    assert.match(html, /\.scroll\{overflow-x:auto/);
  });

  test('the header states the protocol that was run', () => {
    assert.ok(html.includes(r.config.protocol));
  });

  test('a row with a diverged seed is marked and never shaded as a winner', () => {
    const copy: CompareResults = structuredClone(r);
    const p = copy.problems[0]!;
    const o = p.optimizers.find((x) => x.name === p.ranking[0])!;
    o.summary = { ...o.summary, failedSeeds: 1, divergedSeeds: 1 };
    const page = renderReport(copy, [], { command: 'test', machine: 'test' });
    const row = new RegExp(
      `<tr([^>]*)><td>[^<]*</td><td class="name">${o.label} <span class="warn">⚠ 1/1 diverged`,
    ).exec(page);
    assert.ok(row, 'the row carries the warning');
    assert.doesNotMatch(row[1]!, /lead/);
  });

  const verdicts: [string, string][] = [
    ['not enough evidence', 'none'],
    ['no evidence', 'none'],
    ['supported', 'ok'],
  ];
  for (const [verdict, cls] of verdicts) {
    test(`the verdict "${verdict}" is drawn as ${cls}`, () => {
      const claim = {
        id: 'x',
        claim: 'A claim.',
        requires: 'nothing',
        evidence: 'Some evidence, at length.',
        verdict,
        figure: '',
      } as unknown as ClaimResult;
      const page = renderReport(r, [claim], { command: 'test', machine: 'test' });
      assert.ok(page.includes(`<span class="verdict ${cls}">${verdict}</span>`));
    });
  }
});

test('an untuned race says in every caption that its lr was fixed', async () => {
  const r = await compare({
    problems: [builtinRaceProblem('beale', 'quick', { epochs: 50 })],
    optimizers: ['sgd', 'adam'],
    lr: 0.01,
    seeds: 1,
  });
  const html = renderReport(r, [], { command: 'test', machine: 'test' });
  const captions = [...html.matchAll(/<figcaption>([\s\S]*?)<\/figcaption>/g)].map((m) => m[1]!);
  assert.ok(captions.length >= 3);
  for (const c of captions) assert.match(c, /fixed lr 0\.01 \(untuned\)/);
  assert.doesNotMatch(html, /tuned lr:/);
});

/** A results object with just what the terminal summary reads. */
function synthetic(optimizers: number, problems: number): CompareResults {
  const names = Array.from({ length: optimizers }, (_, i) => `opt${i}`);
  const base = ['digits-logreg', 'fashion-logreg', 'sparse-logreg', 'rosenbrock', 'monkey-saddle'];
  const problemNames = Array.from({ length: problems }, (_, i) =>
    i < base.length ? base[i]! : `a-rather-long-problem-name-${i}`,
  );
  // Shared ranks: the first two tie everywhere.
  const rankOf = (j: number) => (j < 2 ? 1.5 : j + 1);
  return {
    problems: problemNames.map((name) => ({
      name,
      optimizers: names.map((n, j) => ({
        name: n,
        label: j === 3 ? 'Adam→SGD' : `Optimizer${j}`,
        rank: rankOf(j),
        withinNoiseOfBest: j < 3,
        summary: { failedSeeds: j === optimizers - 1 ? 1 : 0 },
      })),
    })),
    overall: names.map((n, j) => ({
      optimizer: n,
      label: j === 3 ? 'Adam→SGD' : `Optimizer${j}`,
      meanRank: rankOf(j),
      rank: rankOf(j),
      ranks: Object.fromEntries(problemNames.map((p) => [p, rankOf(j) + 0.5])),
      failedOn: j === optimizers - 1 ? problemNames : [],
    })),
    overallTest: {
      problems,
      friedman: { chi2: 40.1, df: optimizers - 1, p: 1.234e-5 },
      criticalDifference: 5.3123,
      alpha: 0.05,
    },
  } as unknown as CompareResults;
}

describe('terminal summary', () => {
  const claims = [
    { verdict: 'not enough evidence', claim: 'Adaptive methods converge faster. '.repeat(8) },
    {
      verdict: 'supported',
      claim: 'SGD, Momentum and Nesterov escape saddle points better than adaptive methods.',
    },
  ] as ClaimResult[];
  const sizes: [number, number][] = [
    [11, 9],
    [13, 3],
    [11, 20],
    [2, 1],
  ];
  for (const [k, n] of sizes) {
    test(`${k} optimizers on ${n} problems fit ${SUMMARY_WIDTH} columns`, () => {
      const text = summary(synthetic(k, n), claims);
      for (const line of text.split('\n')) {
        assert.ok([...line].length <= SUMMARY_WIDTH, `${[...line].length}: ${line}`);
      }
      assert.match(text, /rank\s+optimizer/);
      assert.match(text, /^1\.5\s+Optimizer0/m);
      assert.match(text, /\d!/);
      assert.match(text, /CD = 5\.3/);
      assert.match(text, /\[supported\] SGD, Momentum and Nesterov escape/);
    });
  }
});
