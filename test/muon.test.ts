// Muon's quirks, each asserted from the update rule of the reference set's README (shared/
// reference/extra, section "Muon"; torch/optim/_muon.py, commit b5ee4d7a), and the plain matrix
// product it runs on (packages/optim/src/linalg/matmul.ts), against a direct sum.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matmul, Muon, setFastPaths, type FloatBuffer } from '../packages/optim/src/node.ts';
import { installFastMatmul, type MatmulEngine } from '../packages/optim/src/kernels/matmul.ts';
import { runMatmul } from '../packages/optim/src/kernels/matmul-wasm.ts';
import { mulberry32 } from './helpers/rng.ts';

const random = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
};

/** Muon over one matrix of the given shape, starting at x0; the optimizer and the parameter. */
function muon(shape: [number, number], x0: ArrayLike<number>, options: Record<string, unknown>) {
  const p = Float64Array.from(x0);
  return { p, opt: new Muon([{ params: [p], shapes: [shape] }], options) };
}

/** The m×m product `X·Xᵀ` of a row-major m×n matrix, summed directly. */
function gram(x: ArrayLike<number>, m: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += x[i * n + k]! * x[j * n + k]!;
      out.push(s);
    }
  }
  return out;
}
const identity = (m: number) =>
  Array.from({ length: m * m }, (_, k) => (Math.floor(k / m) === k % m ? 1 : 0));
const transpose = (x: ArrayLike<number>, r: number, c: number) =>
  Array.from({ length: r * c }, (_, k) => x[(k % r) * c + Math.floor(k / r)]!);
const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what = '') => {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
};

// Cubic Newton–Schulz (a, b, c) = (1.5, −0.5, 0) converges to the orthogonal polar factor UVᵀ:
// with enough steps Muon's O is exactly orthogonal, so its scale can be read off the step.
const POLAR = { nsCoefficients: [1.5, -0.5, 0], nsSteps: 60, momentum: 0, weightDecay: 0, lr: 1 };

describe('Muon: shapes', () => {
  test('refuses a parameter that is not a matrix, naming it and its shape', () => {
    assert.throws(
      () => new Muon([new Float64Array(6)]),
      /^RangeError: Muon: parameter 0 of param group 0 has shape \[6\]; Muon takes 2-D parameters only/,
    );
    const w = new Float64Array(6);
    assert.throws(
      () =>
        new Muon([
          { params: [w], shapes: [[2, 3]] },
          { params: [new Float64Array(8), new Float64Array(4)], shapes: [[2, 2, 2], [4]] },
        ]),
      /^RangeError: Muon: parameter 0 of param group 1 has shape \[2, 2, 2\]/,
    );
    const opt = new Muon([{ params: [w], shapes: [[2, 3]] }]);
    assert.throws(
      () => opt.addParamGroup({ params: [new Float64Array(3)] }),
      /^RangeError: Muon: parameter 0 of param group 1 has shape \[3\]/,
    );
    assert.equal(opt.paramGroups.length, 1, 'a refused group does not join');
    opt.addParamGroup({ params: [new Float64Array(3)], shapes: [[3, 1]] });
    assert.deepEqual(opt.paramShapes, [
      [2, 3],
      [3, 1],
    ]);
  });

  for (const [shape, scale] of [
    [[2, 3], 1],
    [[3, 2], Math.sqrt(3 / 2)],
  ] as [[number, number], number][]) {
    test(`${shape.join('×')}: O is orthogonal along its short side, and the step is lr·√max(1, rows/cols)·O`, () => {
      const [r, c] = shape;
      const { p, opt } = muon(shape, new Float64Array(r * c), POLAR);
      opt.step([random(r * c, 1)]);
      // p = −s·O from 0; a wide O has O·Oᵀ = I, a tall one Oᵀ·O = I.
      const o = Array.from(p, (v) => -v / scale);
      const wide = r <= c;
      const g = wide ? gram(o, r, c) : gram(transpose(o, r, c), c, r);
      close(g, identity(Math.min(r, c)), 1e-12, shape.join('×'));
    });
  }

  test("adjustLrFn 'match_rms_adamw' scales the step by 0.2·√max(rows, cols)", () => {
    // An orthogonal 4×2 O has ‖O‖_F = √2.
    for (const [adjustLrFn, scale] of [
      [null, Math.sqrt(2)],
      ['original', Math.sqrt(2)],
      ['match_rms_adamw', 0.2 * 2],
    ] as const) {
      const { p, opt } = muon([4, 2], new Float64Array(8), { ...POLAR, adjustLrFn });
      opt.step([random(8, 2)]);
      const norm = Math.sqrt(p.reduce((a, v) => a + v * v, 0));
      assert.ok(Math.abs(norm - scale * Math.SQRT2) < 1e-12, `${adjustLrFn}: ${norm}`);
    }
  });
});

describe('Muon: momentum and decay', () => {
  test('the buffer is an EMA, B = μB + (1 − μ)g (not the docstring’s μB + g)', () => {
    const { opt } = muon([2, 2], [1, 2, 3, 4], { momentum: 0.9 });
    const g1 = [1, -2, 0.5, 4];
    const g2 = [3, 1, -1, 2];
    opt.step([Float64Array.from(g1)]);
    const w = 1 - 0.9;
    close(
      opt.paramState(0)!.slots.momentum_buffer!,
      g1.map((g) => w * g),
      1e-16,
    );
    opt.step([Float64Array.from(g2)]);
    close(
      opt.paramState(0)!.slots.momentum_buffer!,
      g1.map((g, i) => w * g + w * (g2[i]! - w * g)),
      1e-15,
    );
  });

  test('nesterov orthogonalises μB + (1 − μ)g, plain momentum B: they differ from step 2', () => {
    // Step 1: B = (1 − μ)g and the nesterov M = (1 − μ²)g are parallel: the same direction after
    // the normalisation. Step 2 mixes two gradients differently.
    const g = [random(6, 3), random(6, 4)];
    const run = (nesterov: boolean) => {
      const { p, opt } = muon([2, 3], new Float64Array(6), { nesterov, lr: 0.1 });
      opt.step([g[0]!]);
      const first = Array.from(p);
      opt.step([g[1]!]);
      return { first, second: Array.from(p) };
    };
    const a = run(true);
    const b = run(false);
    close(a.first, b.first, 1e-15);
    assert.ok(a.second.some((v, i) => Math.abs(v - b.second[i]!) > 1e-6));
  });

  test('weight decay is decoupled and uses lr without the shape factor', () => {
    // A zero gradient: B = 0 and NS(0/eps) = 0, so only the decay moves p.
    const { p, opt } = muon([3, 2], [1, 2, 3, 4, 5, 6], { lr: 0.1, weightDecay: 0.5 });
    opt.step([new Float64Array(6)]);
    close(
      p,
      [1, 2, 3, 4, 5, 6].map((x) => x * (1 - 0.1 * 0.5)),
      0,
    );
  });

  test('float32 and float64 matrices of one shape in one optimizer each step as if alone', () => {
    // The Newton–Schulz scratch is kept per shape and float type.
    const x = [random(6, 5), random(6, 6), random(6, 7)];
    const shapes: [number, number][] = [
      [2, 3],
      [2, 3],
      [3, 2],
    ];
    const types = [Float64Array, Float32Array, Float64Array] as const;
    const make = (i: number) => types[i]!.from(x[i]!) as FloatBuffer;
    const together = x.map((_, i) => make(i));
    const opt = new Muon([{ params: together, shapes }], { lr: 0.05 });
    const alone = x.map((_, i) => {
      const p = make(i);
      return { p, opt: new Muon([{ params: [p], shapes: [shapes[i]!] }], { lr: 0.05 }) };
    });
    for (let s = 0; s < 3; s++) {
      const grads = x.map((_, i) => types[i]!.from(random(6, 10 * s + i)) as FloatBuffer);
      opt.step(grads);
      alone.forEach((a, i) => a.opt.step([grads[i]!]));
    }
    together.forEach((p, i) => assert.deepEqual(p, alone[i]!.p, `parameter ${i}`));
  });
});

describe('matmul: the plain loop', () => {
  /** op(A)·op(B) summed directly, with op(X) = Xᵀ where asked. */
  function direct(
    a: ArrayLike<number>,
    b: ArrayLike<number>,
    m: number,
    k: number,
    n: number,
    ta: boolean,
    tb: boolean,
  ) {
    const out: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++)
          s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
        out.push(s);
      }
    }
    return out;
  }

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    test(`transA ${ta}, transB ${tb}: float64 equals the direct sum, float32 its rounding`, () => {
      const [m, k, n] = [3, 5, 4];
      const a = random(m * k, 11);
      const b = random(k * n, 12);
      const want = direct(a, b, m, k, n, ta!, tb!);
      const out = new Float64Array(m * n);
      matmul(a, b, out, m, k, n, ta, tb);
      assert.deepEqual(Array.from(out), want);
      const out32 = new Float32Array(m * n);
      matmul(a, b, out32, m, k, n, ta, tb);
      assert.deepEqual(Array.from(out32), want.map(Math.fround));
    });
  }

  test('a Gram matrix from one buffer; out may not overlap an input; sizes are checked', () => {
    const x = random(6, 13);
    const g = new Float64Array(4);
    matmul(x, x, g, 2, 3, 2, false, true);
    assert.deepEqual(Array.from(g), gram(x, 2, 3));
    const buf = new Float64Array(12);
    assert.throws(
      () => matmul(buf.subarray(0, 6), x, buf.subarray(4, 8), 2, 3, 2, false, true),
      /^RangeError: matmul: out must not overlap a or b$/,
    );
    assert.throws(
      () => matmul(x, x, g, 2, 3, 3),
      /^RangeError: matmul: b has 6 elements, needs 9$/,
    );
    assert.throws(
      () => matmul(x, x, g, 0, 3, 2),
      /^RangeError: matmul: m must be an integer >= 1, got 0$/,
    );
  });
});

describe('Muon on the wasm matrix product', () => {
  test('float64: its products run on the wasm kernel and every step equals the plain loops bit for bit', () => {
    // Shapes whose products (m·k·n >= 216 multiply-adds) take the fast path, tall and wide, and
    // with edge tiles in every dimension.
    for (const shape of [
      [37, 22],
      [22, 37],
    ] as [number, number][]) {
      const size = shape[0] * shape[1];
      const x0 = random(size, 31);
      const steps = (fast: boolean): { p: Float64Array; products: number } => {
        let products = 0;
        const spy: MatmulEngine = (...args) => {
          products++;
          return runMatmul(...args);
        };
        installFastMatmul(spy);
        setFastPaths(fast);
        try {
          const { p, opt } = muon(shape, x0, { lr: 0.02 });
          for (let s = 0; s < 4; s++) {
            const g = random(size, 40 + s).map((v, i) => v + p[i]!);
            opt.step([g]);
          }
          return { p, products };
        } finally {
          setFastPaths(true);
          installFastMatmul(runMatmul);
        }
      };
      const fast = steps(true);
      const plain = steps(false);
      // 4 steps of 5 Newton–Schulz iterations of 3 products each.
      assert.equal(fast.products, 60, `${shape}: products on the wasm kernel`);
      assert.equal(plain.products, 0, `${shape}: fast paths off`);
      for (let i = 0; i < size; i++) {
        if (!Object.is(fast.p[i], plain.p[i]))
          assert.fail(`${shape} element ${i}: wasm ${fast.p[i]}, plain ${plain.p[i]}`);
      }
    }
  });
});
