import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  Adam,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  createScheduler,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  ReduceLROnPlateau,
  Scheduler,
  SequentialLR,
  SGD,
  StepLR,
  type Optimizer,
  type PlateauOptions,
} from '../packages/optim/src/node.ts';

// Reference lr (and momentum) sequences recorded from torch.optim.lr_scheduler by
// scripts/gen-torch-extras.py (Debian's python3-torch 1.13).
const REF = JSON.parse(
  readFileSync(new URL('./fixtures/torch-extras.json', import.meta.url), 'utf8'),
);

interface Series {
  optimizer: 'SGD' | 'Adam';
  baseLr: number;
  options?: Record<string, unknown> & { type: string };
  lr: number[];
  momentum?: number[];
}

function makeOptimizer(kind: 'SGD' | 'Adam', lr: number): Optimizer<never> {
  const p = [new Float64Array(1)];
  return (kind === 'SGD' ? new SGD(p, { lr, momentum: 0.9 }) : new Adam(p, { lr })) as never;
}

/** Runs PyTorch's loop: read lr, optimizer.step(), scheduler.step(). */
function record(
  opt: Optimizer<never>,
  sched: { step(m?: number): void },
  steps: number,
  metrics?: number[],
) {
  const group = opt.paramGroups[0] as unknown as {
    lr: number;
    momentum?: number;
    betas?: number[];
  };
  const lr: number[] = [];
  const momentum: number[] = [];
  for (let k = 0; k < steps; k++) {
    lr.push(group.lr);
    momentum.push(group.betas ? (group.betas[0] as number) : (group.momentum as number));
    opt.step([new Float64Array(1)]);
    sched.step(metrics?.[k]);
  }
  return { lr, momentum };
}

function assertClose(got: number[], want: number[], what: string) {
  assert.equal(got.length, want.length);
  got.forEach((x, i) => {
    const w = want[i] as number;
    assert.ok(Math.abs(x - w) <= 1e-12 * Math.max(1, Math.abs(w)), `${what}[${i}]: ${x} vs ${w}`);
  });
}

describe('schedulers match torch.optim.lr_scheduler step by step', () => {
  for (const [name, s] of Object.entries(REF.schedulers as Record<string, Series>)) {
    if (!s.options) continue;
    test(name, () => {
      const opt = makeOptimizer(s.optimizer, s.baseLr);
      const { type, ...options } = s.options!;
      const got = record(opt, createScheduler(type, opt, options), s.lr.length);
      assertClose(got.lr, s.lr, 'lr');
      if (s.momentum) assertClose(got.momentum, s.momentum, 'momentum');
    });
  }

  test('SequentialLR: linear warm-up then cosine', () => {
    const s = REF.schedulers.SequentialLR_warmup_cosine as Series;
    const opt = makeOptimizer('SGD', s.baseLr);
    const warm = new LinearLR(opt, { startFactor: 0.2, totalIters: 5 });
    const cos = new CosineAnnealingLR(opt, { tMax: 30 });
    const seq = new SequentialLR(opt, { schedulers: [warm, cos], milestones: [5] });
    assertClose(record(opt, seq, s.lr.length).lr, s.lr, 'lr');
  });

  test('ChainedScheduler: constant factor times exponential decay', () => {
    const s = REF.schedulers.ChainedScheduler_constant_exponential as Series;
    const opt = makeOptimizer('SGD', s.baseLr);
    const a = new ConstantLR(opt, { factor: 0.5, totalIters: 6 });
    const b = new ExponentialLR(opt, { gamma: 0.9 });
    assertClose(
      record(opt, new ChainedScheduler(opt, { schedulers: [a, b] }), s.lr.length).lr,
      s.lr,
      'lr',
    );
  });

  test('LambdaLR', () => {
    const s = REF.schedulers.LambdaLR_inverse as Series;
    const opt = makeOptimizer('SGD', s.baseLr);
    const sched = new LambdaLR(opt, { lrLambda: (k) => 1 / (1 + 0.3 * k) });
    assertClose(record(opt, sched, s.lr.length).lr, s.lr, 'lr');
  });

  for (const key of ['plateau', 'plateau_abs_max']) {
    test(`ReduceLROnPlateau (${key})`, () => {
      const s = REF[key] as Omit<Series, 'options'> & {
        metrics: number[];
        options: PlateauOptions;
      };
      const opt = makeOptimizer('SGD', 0.1);
      const sched = new ReduceLROnPlateau(opt, s.options);
      assertClose(record(opt, sched, s.lr.length, s.metrics).lr, s.lr, 'lr');
    });
  }
});

describe('scheduler state', () => {
  test('stateDict / loadStateDict into a fresh scheduler continues the same values', () => {
    const a = makeOptimizer('SGD', 0.1);
    const sa = new CosineAnnealingLR(a, { tMax: 10, etaMin: 0.001 });
    for (let k = 0; k < 4; k++) sa.step();
    const saved = structuredClone({ opt: a.stateDict(), sched: sa.stateDict() });
    sa.step();
    const b = makeOptimizer('SGD', 0.5);
    b.loadStateDict(saved.opt);
    const sb = new CosineAnnealingLR(b, { tMax: 10, etaMin: 0.001 });
    sb.loadStateDict(saved.sched);
    sb.step();
    assert.deepEqual(sb.getLastLr(), sa.getLastLr());
  });

  test('ReduceLROnPlateau state round-trips', () => {
    const a = makeOptimizer('SGD', 0.1);
    const pa = new ReduceLROnPlateau(a, { patience: 1 });
    [3, 3, 3, 2].forEach((m) => pa.step(m));
    const pb = new ReduceLROnPlateau(makeOptimizer('SGD', 0.1), { patience: 1 });
    pb.loadStateDict(structuredClone(pa.stateDict()));
    assert.deepEqual(pb.stateDict(), pa.stateDict());
  });

  test('any numeric hyper-parameter can be scheduled: weightDecay and Adam beta1', () => {
    const opt = new Adam([new Float64Array(1)], { weightDecay: 0.1 });
    const wd = new StepLR(opt, { stepSize: 2, gamma: 0.5, key: 'weightDecay' });
    const beta = new LinearLR(opt, { startFactor: 0.5, totalIters: 2, key: 'betas.0' });
    wd.step();
    wd.step();
    beta.step();
    assert.equal(opt.paramGroups[0]!.weightDecay, 0.05);
    assert.equal(opt.paramGroups[0]!.betas[0], 0.9 * 0.75);
  });

  test('a scheduler over a generic Scheduler track writes each group from its own base', () => {
    const opt = new SGD(
      [{ params: [new Float64Array(1)] }, { params: [new Float64Array(1)], lr: 1 }],
      { lr: 0.1 },
    );
    const s = new Scheduler(opt, [{ key: 'lr', schedule: (k, base) => base / (k + 1) }]);
    s.step();
    assert.deepEqual(s.getLastLr(), [0.05, 0.5]);
  });

  const bad: [string, () => unknown, RegExp][] = [
    [
      'StepLR stepSize 0',
      () => new StepLR(makeOptimizer('SGD', 0.1), { stepSize: 0 }),
      /StepLR: stepSize must be an integer >= 1, got 0$/,
    ],
    [
      'an unknown key',
      () => new StepLR(makeOptimizer('SGD', 0.1), { stepSize: 2, key: 'lrr' }),
      /StepLR: key "lrr" is not a numeric hyper-parameter/,
    ],
    [
      'OneCycleLR past totalSteps',
      () => {
        const s = createScheduler('OneCycleLR', makeOptimizer('SGD', 0.1), {
          maxLr: 1,
          totalSteps: 2,
        }) as Scheduler;
        s.step();
        s.step();
        s.step();
      },
      /OneCycleLR: stepped 3 times, beyond totalSteps 2/,
    ],
    [
      'an unknown scheduler',
      () => createScheduler('WarmupLR', makeOptimizer('SGD', 0.1)),
      /unknown scheduler "WarmupLR"; known: StepLR/,
    ],
    [
      'plateau factor 1',
      () => new ReduceLROnPlateau(makeOptimizer('SGD', 0.1), { factor: 1 }),
      /ReduceLROnPlateau: factor must be in \[0, 1\), got 1/,
    ],
    [
      'a state of another type',
      () =>
        new StepLR(makeOptimizer('SGD', 0.1), { stepSize: 2 }).loadStateDict({
          type: 'CosineAnnealingLR',
          lastEpoch: 1,
          bases: [[0.1]],
        }),
      /StepLR: cannot load scheduler state: it is a CosineAnnealingLR state/,
    ],
  ];
  for (const [what, make, message] of bad) {
    test(`refuses ${what}`, () => assert.throws(make, message));
  }

  test('OneCycleLR stepping past the end changes nothing', () => {
    const opt = makeOptimizer('SGD', 0.1);
    const s = createScheduler('OneCycleLR', opt, { maxLr: 1, totalSteps: 1 }) as Scheduler;
    s.step();
    const lr = s.getLastLr();
    assert.throws(() => s.step());
    assert.equal(s.lastEpoch, 1);
    assert.deepEqual(s.getLastLr(), lr);
  });
});
