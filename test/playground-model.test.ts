import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeQuadratic } from '../packages/lab/src/lab/browser.ts';
import { decodeConfig, defaultConfig, encodeConfig, type Config } from '../web/src/config.ts';
import { contourSegments } from '../web/src/draw/contours.ts';
import type { Field } from '../web/src/draw/field.ts';
import {
  defaultsOf,
  fromSlider,
  hyperSpecs,
  NAMES,
  RULES,
  toOptions,
  toSlider,
} from '../web/src/optimizers.ts';
import { Race } from '../web/src/race.ts';
import { customSurface, parseWindow, SURFACES } from '../web/src/surface.ts';

describe('playground optimizers', () => {
  // PyTorch's documented defaults (torch.optim), which the sliders mark.
  const cases: [string, Record<string, number>][] = [
    ['sgd', { lr: 1e-3 }],
    ['momentum', { lr: 1e-3, momentum: 0.9 }],
    ['adagrad', { lr: 1e-2, lrDecay: 0, eps: 1e-10 }],
    ['adadelta', { lr: 1, rho: 0.9, eps: 1e-6 }],
    ['rmsprop', { lr: 1e-2, alpha: 0.99, momentum: 0, eps: 1e-8 }],
    ['adam', { lr: 1e-3, 'betas.0': 0.9, 'betas.1': 0.999, eps: 1e-8 }],
    ['adamw', { lr: 1e-3, 'betas.0': 0.9, 'betas.1': 0.999, eps: 1e-8, weightDecay: 1e-2 }],
    ['nadam', { lr: 2e-3, 'betas.0': 0.9, 'betas.1': 0.999, eps: 1e-8 }],
  ];
  for (const [name, want] of cases) {
    test(`${name}: slider defaults are the library's (PyTorch's) defaults`, () => {
      assert.deepEqual(defaultsOf(name), want);
    });
  }

  test('every library optimizer has sliders within range of its defaults and a rule line', () => {
    for (const name of NAMES) {
      assert.ok(RULES[name], `${name} has a rule line`);
      const d = defaultsOf(name);
      for (const s of hyperSpecs(name)) {
        const v = d[s.key]!;
        assert.ok(
          v >= s.min && v <= s.max,
          `${name}.${s.key} default ${v} in [${s.min}, ${s.max}]`,
        );
        // The default sits on the slider: its position maps back to the value (3 digits).
        assert.equal(
          Number(fromSlider(s, toSlider(s, v)).toPrecision(3)),
          Number(v.toPrecision(3)),
        );
      }
    }
  });

  test('flat keys become the library shape: betas.1 alone keeps the default betas[0]', () => {
    assert.deepEqual(toOptions('adam', { lr: 0.1, 'betas.1': 0.99 }), {
      lr: 0.1,
      betas: [0.9, 0.99],
    });
  });

  test('the learning-rate slider is logarithmic: its midpoint is the geometric mean', () => {
    const lr = hyperSpecs('adam')[0]!;
    assert.equal(fromSlider(lr, 0.5), Number(Math.sqrt(lr.min * lr.max).toPrecision(3)));
  });
});

describe('playground race', () => {
  // On ½(x² + κy²), SGD multiplies x by (1 − lr) and y by (1 − lr·κ) at every step.
  const kappa = 100;
  const quad = makeQuadratic(2, kappa);

  test('SGD on the quadratic follows the closed form (1 − lr·λ)^t', () => {
    const lr = 0.015;
    const race = new Race(quad, [-1.8, 1], [{ name: 'sgd', options: { lr } }], 0, 1);
    race.advance(20);
    const r = race.racers[0]!;
    assert.equal(r.steps, 20);
    for (let t = 0; t <= 20; t++) {
      const x = -1.8 * (1 - lr) ** t;
      const y = (1 - lr * kappa) ** t;
      assert.ok(Math.abs(r.path[2 * t]! - x) < 1e-12, `x at step ${t}`);
      assert.ok(Math.abs(r.path[2 * t + 1]! - y) < 1e-12, `y at step ${t}`);
      assert.ok(
        Math.abs(r.losses[t]! - 0.5 * (x * x + kappa * y * y)) < 1e-12,
        `loss at step ${t}`,
      );
    }
    // The effective step on x is the learning rate itself for plain SGD.
    assert.ok(Math.abs(r.effectiveStep - lr) < 1e-12);
  });

  test('past lr = 2/κ SGD diverges along y and the race stops it', () => {
    const race = new Race(quad, [-1.8, 1], [{ name: 'sgd', options: { lr: 2.2 / kappa } }], 0, 1);
    race.advance(2000);
    assert.equal(race.racers[0]!.status, 'diverged');
    assert.equal(race.live, false);
    assert.ok(race.step < 2000);
  });

  test('a refused hyper-parameter shows the library error and does not stop the others', () => {
    const race = new Race(
      quad,
      [-1.8, 1],
      [
        { name: 'nesterov', options: { lr: 0.01, momentum: 0 } },
        { name: 'adam', options: { lr: 0.1 } },
      ],
      0,
      1,
    );
    race.advance(10);
    const [bad, good] = race.racers;
    assert.equal(bad!.status, 'error');
    assert.match(bad!.error, /nesterov needs momentum > 0/);
    assert.equal(good!.steps, 10);
  });

  test('noise: racers see the same seeded noise, and it changes the path', () => {
    const spec = { name: 'sgd', options: { lr: 0.01 } };
    const noisy = new Race(quad, [-1.8, 1], [spec, spec], 0.5, 7);
    const exact = new Race(quad, [-1.8, 1], [spec], 0, 7);
    noisy.advance(30);
    exact.advance(30);
    assert.deepEqual(noisy.racers[0]!.path, noisy.racers[1]!.path);
    assert.notDeepEqual(noisy.racers[0]!.path, exact.racers[0]!.path);
    noisy.reset();
    noisy.advance(30);
    const again = new Race(quad, [-1.8, 1], [spec], 0.5, 7);
    again.advance(30);
    assert.deepEqual(noisy.racers[0]!.path, again.racers[0]!.path);
  });

  test('Adam reaches Rosenbrock’s minimum (1, 1) from the default start', () => {
    const rosen = SURFACES.find((s) => s.name === 'rosenbrock')!;
    const race = new Race(rosen, rosen.start, [{ name: 'adam', options: { lr: 0.05 } }], 0, 1);
    race.advance(3000);
    const p = race.racers[0]!.p;
    assert.ok(Math.hypot(p[0]! - 1, p[1]! - 1) < 1e-2, `ended at ${p[0]}, ${p[1]}`);
  });

  test('a custom surface starts inside its window, off-centre', () => {
    const s = customSurface('x^2', parseWindow('10, 20, -4, 0'));
    assert.deepEqual(s.window, [
      [10, 20],
      [-4, 0],
    ]);
    assert.ok(s.start[0]! > 10 && s.start[0]! < 20 && s.start[1]! > -4 && s.start[1]! < 0);
    assert.notDeepEqual(s.start, [15, -2]);
  });

  test('a custom surface races with exact gradients: SGD on x² + y² halves x at lr 0.25', () => {
    const s = customSurface('x^2 + y^2');
    const race = new Race(s, [1, -2], [{ name: 'sgd', options: { lr: 0.25 } }], 0, 1);
    race.advance(3);
    // x ← x − lr·2x = x/2.
    assert.deepEqual(race.racers[0]!.path, [1, -2, 0.5, -1, 0.25, -0.5, 0.125, -0.25]);
  });
});

describe('playground config in the URL', () => {
  test('round trip, including an expression with URL-special characters', () => {
    const c: Config = {
      surface: 'custom',
      expr: 'x^2 + 3y^2 - sin(x)/(1 + y^2) # & , | = %',
      window: [
        [-1, 2.5],
        [-0.5, 4],
      ],
      start: [0.25, -1.5],
      racers: [
        { name: 'adamw', options: { ...defaultsOf('adamw'), lr: 0.03, weightDecay: 0.1 } },
        { name: 'nesterov', options: { lr: 0.002, momentum: 0.8 } },
      ],
      noise: 0.3,
      seed: 42,
      speed: 0.25,
    };
    const back = decodeConfig(encodeConfig(c));
    assert.deepEqual(back.problems, []);
    assert.deepEqual(back.config, c);
  });

  test('the default config round-trips', () => {
    assert.deepEqual(decodeConfig(encodeConfig(defaultConfig())).config, defaultConfig());
  });

  const bad: [string, RegExp][] = [
    ['f=nowhere', /f: unknown surface "nowhere"/],
    ['o=adam,lr=fast', /o: adam\.lr: "fast" is not a finite number/],
    ['o=adamm', /o: unknown optimizer "adamm"/],
    ['o=adam,rho=0.5', /o: adam has no slider "rho"/],
    ['start=1', /start: expected "x,y"/],
    ['speed=3', /speed must be one of 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, got 3/],
    ['noise=-1', /noise must be in \[0, 100\], got -1/],
    ['seed=1.5', /seed must be an integer/],
    ['win=1,0,0,1', /win: window must be four numbers xmin,xmax,ymin,ymax with xmin < xmax/],
    ['win=0,1,0', /got "0,1,0"/],
  ];
  for (const [hash, message] of bad) {
    test(`#${hash} is reported and the rest still opens`, () => {
      const { config, problems } = decodeConfig(`#${hash}`);
      assert.equal(problems.length, 1, problems.join('; '));
      assert.match(problems[0]!, message);
      assert.equal(config.surface, hash.startsWith('f=') ? 'rosenbrock' : config.surface);
    });
  }
});

describe('contours (marching squares)', () => {
  const field = (nx: number, ny: number, f: (i: number, j: number) => number): Field => {
    const z = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) z[j * nx + i] = f(i, j);
    return { nx, ny, z, lo: 0, hi: 1, levels: [], scale: 'linear' };
  };

  test('a linear ramp z = i gives one vertical segment per row at the interpolated i', () => {
    const s = contourSegments(
      field(5, 4, (i) => i),
      1.5,
    );
    assert.equal(s.length, 4 * 3);
    for (let k = 0; k < s.length; k += 4) {
      assert.equal(s[k], 1.5);
      assert.equal(s[k + 2], 1.5);
      assert.equal(Math.abs(s[k + 3]! - s[k + 1]!), 1);
    }
  });

  test('a cone z = distance from the centre gives a closed ring at radius r', () => {
    const c = 20;
    const r = 7.3;
    const s = contourSegments(
      field(41, 41, (i, j) => Math.hypot(i - c, j - c)),
      r,
    );
    assert.ok(s.length > 40);
    for (let k = 0; k < s.length; k += 2) {
      // Linear interpolation along a grid edge of a cone errs by well under a tenth of a cell.
      assert.ok(Math.abs(Math.hypot(s[k]! - c, s[k + 1]! - c) - r) < 0.1);
    }
  });

  test('cells touching a non-finite value are skipped', () => {
    const s = contourSegments(
      field(3, 3, (i, j) => (i === 1 && j === 1 ? NaN : i)),
      0.5,
    );
    assert.deepEqual(s, []);
  });
});

test('flat keys keep every element of a longer array: AdEMAMix betas.2 alone keeps betas 0 and 1', () => {
  assert.deepEqual(toOptions('ademamix', { 'betas.2': 0.99 }), { betas: [0.9, 0.999, 0.99] });
});
