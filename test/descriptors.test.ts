// The generic tests every optimizer gets from its descriptor (packages/optim/src/optimizers.ts):
// a new optimizer in the list is tested here without editing any list in the tests.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  OPTIMIZERS,
  paramKinds,
  paramsAs,
  setFastPaths,
  type FloatBuffer,
  type OptimizerDescriptor,
} from '../packages/optim/src/node.ts';
import { COMPOSED_CONTENDERS, CONTENDERS } from '../packages/lab/src/lab/compare/contenders.ts';
import { BENCH_OPTIMIZERS } from '../packages/lab/src/bench/speed.ts';

// The optimizers of the second-wave reference cases, by each file's "optimizer" field.
const EXTRA_DIR = new URL('./fixtures/extra/', import.meta.url);
const EXTRA_ALGORITHMS = new Set(
  readdirSync(EXTRA_DIR)
    .filter((f) => f.endsWith('.json'))
    .map(
      (f) =>
        (JSON.parse(readFileSync(new URL(f, EXTRA_DIR), 'utf8')) as { optimizer: string })
          .optimizer,
    ),
);
import { hyperSpecs, NAMES, RULES } from '../web/src/optimizers.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const N = 203; // above the fast path's 64-element floor, not a multiple of the SIMD width

/** A deterministic start and gradient sequence (sine waves), the same for every run. */
const start = (Buf: new (n: number) => FloatBuffer) => {
  const x = new Buf(N);
  for (let i = 0; i < N; i++) x[i] = Math.sin(i + 1);
  return x;
};
const grad = (x: FloatBuffer, step: number) => {
  const g = new (x.constructor as new (n: number) => FloatBuffer)(x.length);
  for (let i = 0; i < x.length; i++) g[i] = Math.cos(i * (step + 1)) + 0.5 * x[i]!;
  return g;
};

/**
 * One step at grad(x, s). An optimizer whose step takes a closure (LBFGS) gets one over the loss
 * whose gradient that is, Σ cos(i(s+1))·xᵢ + xᵢ²/4, at whatever x it calls it.
 */
function stepAt(
  d: OptimizerDescriptor,
  opt: { step(grads: FloatBuffer[]): void },
  x: FloatBuffer,
  s: number,
) {
  if (!d.closure) return opt.step([grad(x, s)]);
  (opt as unknown as { step(c: (grads: readonly FloatBuffer[]) => number): number }).step((gs) => {
    gs[0]!.set(grad(x, s));
    let f = 0;
    for (let i = 0; i < x.length; i++) f += Math.cos(i * (s + 1)) * x[i]! + 0.25 * x[i]! * x[i]!;
    return f;
  });
}

// Each run gives the optimizer one buffer of N elements, as the first kind of parameter it takes
// (a vector; Muon, matrices only: a 7×29 matrix) or the kind asked for.
function run(
  d: OptimizerDescriptor,
  options: Record<string, unknown>,
  fast: boolean,
  steps = 4,
  kind = paramKinds(d)[0],
) {
  setFastPaths(fast);
  try {
    const x = start(Float64Array);
    const opt = d.create(paramsAs(d, [x], kind), options);
    for (let s = 0; s < steps; s++) stepAt(d, opt, x, s);
    return { x, opt };
  } finally {
    setFastPaths(true);
  }
}

/** Every variant with every kind of parameter the optimizer tells apart (vector, matrix). */
const kindsAndVariants = (d: OptimizerDescriptor) =>
  paramKinds(d).flatMap((kind) => d.variants.map((v) => [kind, v] as const));

describe('every descriptor', () => {
  test('names are unique and lower case; the list is not empty', () => {
    const names = OPTIMIZERS.map((d) => d.name);
    assert.ok(names.length > 0);
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.equal(n, n.toLowerCase());
  });

  for (const d of OPTIMIZERS) {
    describe(d.name, () => {
      test('builds its algorithm with its preset', () => {
        const opt = d.create(paramsAs(d, [new Float64Array(2)]));
        assert.equal(opt.name, d.algorithm);
        const group = opt.paramGroups[0] as unknown as Record<string, unknown>;
        for (const [k, v] of Object.entries(d.preset)) assert.deepEqual(group[k], v, k);
      });

      test('refuses its refused options, naming them', () => {
        assert.ok(d.refused.length > 0, 'at least one refusal is described');
        for (const { options, error } of d.refused) {
          assert.throws(
            () => d.create(paramsAs(d, [new Float64Array(2)]), options),
            (e: Error) => error.test(e.message),
          );
        }
      });

      test('its variants reach every slot it declares, and only those', () => {
        const seen = new Set<string>();
        // Slots may depend on the shape (Adafactor factors a matrix's): every kind it takes.
        for (const [kind, v] of kindsAndVariants(d)) {
          const { opt } = run(d, v, true, 1, kind);
          for (const name of Object.keys(opt.paramState(0)?.slots ?? {})) seen.add(name);
        }
        assert.deepEqual([...seen].sort(), [...d.slots].sort());
      });

      test('fast path equals the plain loop bit for bit in float64, for every variant', () => {
        for (const v of d.variants) {
          const fast = run(d, v, true);
          const plain = run(d, v, false);
          assert.deepEqual(Array.from(fast.x), Array.from(plain.x), JSON.stringify(v));
        }
      });

      test('its state dict, copied, continues the run bit for bit', () => {
        for (const [kind, v] of kindsAndVariants(d)) {
          const whole = run(d, v, true, 6, kind);
          const half = run(d, v, true, 3, kind);
          const saved = structuredClone(half.opt.stateDict()); // a deep copy, typed arrays kept
          const x = Float64Array.from(half.x);
          const resumed = d.create(paramsAs(d, [x], kind), v);
          resumed.loadStateDict(saved);
          for (let s = 3; s < 6; s++) stepAt(d, resumed, x, s);
          assert.deepEqual(Array.from(x), Array.from(whole.x), `${kind} ${JSON.stringify(v)}`);
        }
      });

      test('has reference trajectories of its algorithm (test/fixtures/torch*)', () => {
        const torch = readFileSync(new URL('./fixtures/torch/README.md', import.meta.url), 'utf8');
        const extras = readFileSync(
          new URL('./fixtures/torch-extras.json', import.meta.url),
          'utf8',
        );
        assert.ok(
          torch.includes(d.algorithm) ||
            extras.includes(`"${d.algorithm}"`) ||
            EXTRA_ALGORITHMS.has(d.algorithm),
          `${d.algorithm} in the fixtures`,
        );
      });

      test('has a row in the README table, whose defaults are the class defaults', () => {
        const row = README.split('\n').find((l) => l.startsWith(`| \`${d.algorithm}\``));
        assert.ok(row, `README row for ${d.algorithm}`);
        const group = d.create(
          paramsAs(d, [new Float64Array(1)]),
          Object.fromEntries(Object.keys(d.preset).map((k) => [k, undefined])),
        );
        const values = group.paramGroups[0] as unknown as Record<string, unknown>;
        // The defaults are the cell's `option (value)` pairs, before any `;` remark.
        for (const m of row
          .split('|')[2]!
          .split(';')[0]!
          .matchAll(/(\w+) \(([^)]+)\)/g)) {
          assert.deepEqual(values[m[1]!], JSON.parse(m[2]!), `${d.algorithm}: ${m[1]} (${m[2]})`);
        }
      });

      test('the playground offers it with sliders for real options and its formula', () => {
        assert.ok(NAMES.includes(d.name));
        assert.equal(RULES[d.name], d.formula);
        const group = d.create(paramsAs(d, [new Float64Array(1)]))
          .paramGroups[0] as unknown as Record<string, unknown>;
        assert.equal(hyperSpecs(d.name)[0]!.key, 'lr');
        for (const s of hyperSpecs(d.name)) {
          const [head] = s.key.split('.');
          assert.ok(head! in group, `${d.name}: slider ${s.key} is an option`);
        }
      });

      test('the lab races it where it has a lab entry; the benchmark times it where it has a row', () => {
        // A composed contender may take the name of the optimizer it is built around (Muon+AdamW
        // is `muon`): the raw optimizer then has no lab entry of its own.
        const composed = COMPOSED_CONTENDERS.some((c) => c.name === d.name);
        assert.equal(
          CONTENDERS.some((c) => c.name === d.name),
          d.lab !== undefined || composed,
        );
        assert.ok(!(composed && d.lab !== undefined), `${d.name}: one contender per name`);
        assert.equal(
          BENCH_OPTIMIZERS.some((b) => b.name === d.name),
          d.bench !== undefined,
        );
      });
    });
  }
});
