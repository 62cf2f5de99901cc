/**
 * The PyTorch bridge (python/descent_torch.py) against the installed torch, both ways, for every
 * optimizer descent has that torch.optim has (from the descriptors and their variants: one added
 * later joins here; those torch lacks are listed by name) and every scheduler both have. Per
 * case, on a 2-layer MLP's parameters (named matrices and biases) in two param groups (the second
 * with its own lr and weight decay), float64 and float32:
 * - descent k steps -> torch n steps equals descent n + k steps;
 * - torch k steps -> descent n steps equals torch n + k steps;
 * - descent's state -> torch -> descent again is the same state (and `extra`, `sampler`), also
 *   through the bridge's version 1 writer and reader;
 * - what does not map (wrappers, composite schedulers, options torch lacks) is refused by name.
 * And a `descent train` checkpoint goes through torch and resumes bit for bit.
 * One python process runs every case's torch side from a JSON plan
 * (test/helpers/torch_bridge_cases.py). Gradients: g = c·(p − t) + e(s), in float64 with
 * +, −, · and powers of two only, so both languages compute the same bits.
 *
 * Bounds: float64, 1e-12 relative (to each tensor's largest magnitude). float32: N·4·2⁻²⁴ with N
 * the steps taken: the two libraries run the same float32 operations, but torch's kernels may
 * round an intermediate (a fused multiply-add, a vectorised sqrt) differently; each step can put
 * a few ulps between them and later steps carry them on without growing them. (L-BFGS: see
 * `bound`.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import {
  ChainedScheduler,
  createScheduler,
  LambdaLR,
  OPTIMIZERS,
  ReduceLROnPlateau,
  SCHEDULER_TYPES,
  SequentialLR,
  StepLR,
  LinearLR,
  Lookahead,
} from '../packages/optim/src/index.ts';
import {
  CHECKPOINT_VERSION,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreCheckpoint,
  type CheckpointContent,
} from '../packages/optim/src/checkpoint/index.ts';
import type { OptimizerDescriptor } from '../packages/optim/src/core/descriptor.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HARNESS = join(ROOT, 'test', 'helpers', 'torch_bridge_cases.py');

type Buf = Float32Array | Float64Array;
type Dtype = 'float64' | 'float32';

// ---------------------------------------------------------------------------------------------
// Which python has torch
// ---------------------------------------------------------------------------------------------

interface TorchPython {
  python: string;
  torch: string;
  optim: string[];
  schedulers: string[];
}

const PROBE = `
import json, torch, torch.optim as o, numpy
cls = lambda m, base: [n for n in dir(m) if isinstance(getattr(m, n), type) and issubclass(getattr(m, n), base) and not n.startswith('_')]
print(json.dumps({'torch': torch.__version__, 'optim': cls(o, o.Optimizer),
  'schedulers': cls(o.lr_scheduler, object)}))
`;

/** The first interpreter that imports torch and numpy: $DESCENT_PYTHON, else python3, /usr/bin/python3. */
function findTorchPython(): TorchPython | { reason: string; required: boolean } {
  const forced = process.env.DESCENT_PYTHON;
  const candidates = forced ? [forced] : ['python3', '/usr/bin/python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8' });
    if (r.status === 0) return { python, ...JSON.parse(r.stdout) };
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? '');
    tried.push(`${python}: ${why}`);
  }
  return { reason: tried.join('; '), required: forced !== undefined };
}

// ---------------------------------------------------------------------------------------------
// The problem: an MLP's parameters, its gradients, a loss for L-BFGS
// ---------------------------------------------------------------------------------------------

const MLP: [string, number[]][] = [
  ['fc1.weight', [4, 3]],
  ['fc1.bias', [4]],
  ['fc2.weight', [2, 4]],
  ['fc2.bias', [2]],
];
const NAMES = MLP.map(([n]) => n);
const SIZE = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const OFFSET: Record<string, number> = {};
{
  let off = 0;
  for (const [n, s] of MLP) {
    OFFSET[n] = off;
    off += SIZE(s);
  }
}
const coefficient = (i: number) => 0.5 + (i % 7) / 4;
const target = (i: number) => ((i % 5) - 2) / 4;
const noise = (i: number, s: number) => (((i * 7 + s * 13) % 17) - 8) / 64;

function gradient(name: string, p: Buf, s: number, withNoise: boolean): Buf {
  const out = new (p.constructor as new (n: number) => Buf)(p.length);
  const off = OFFSET[name]!;
  for (let j = 0; j < p.length; j++) {
    const i = off + j;
    let g = coefficient(i) * (p[j]! - target(i));
    if (withNoise) g = g + noise(i, s);
    out[j] = g;
  }
  return out;
}

function loss(params: Record<string, Buf>): number {
  let total = 0;
  for (const name of NAMES) {
    const p = params[name]!;
    for (let j = 0; j < p.length; j++) {
      const i = OFFSET[name]! + j;
      const d = p[j]! - target(i);
      total += 0.5 * coefficient(i) * d * d;
    }
  }
  return total;
}

/** SparseAdam's gradients: the rows r of each parameter with (r + s) % 3 != 0. */
function sparseGradient(name: string, p: Buf, shape: number[], s: number) {
  const dense = gradient(name, p, s, true);
  const rowSize = SIZE(shape.slice(1));
  const rows = Array.from({ length: shape[0]! }, (_, r) => r).filter((r) => (r + s) % 3 !== 0);
  const values = new (p.constructor as new (n: number) => Buf)(rows.length * rowSize);
  rows.forEach((r, k) => values.set(dense.subarray(r * rowSize, (r + 1) * rowSize), k * rowSize));
  return { indices: Int32Array.from(rows), values, rowSize };
}

const metric = (s: number) => 1 / (1 + (s % 4));
const lrLambda = (k: number) => 1 / (1 + 0.5 * k);

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

interface SchedulerSpec {
  type: string;
  options: Record<string, unknown>;
}

interface Case {
  id: string;
  descriptor: string;
  algorithm: string;
  dtype: Dtype;
  k: number;
  n: number;
  /** Options of the whole optimizer (the descriptor's variant). */
  options: Record<string, unknown>;
  /** The second group's own options (absent: one group). */
  group1: Record<string, unknown> | null;
  sparse: boolean;
  closure: boolean;
  scheduler: SchedulerSpec | null;
  /** Wrapped in this descent wrapper (whose state torch.optim has no counterpart of). */
  wrap?: 'Lookahead';
  /** The part of the state the bridge must refuse, naming it (composites, wrappers). */
  refused?: 'scheduler' | 'optimizer';
}

/** One scheduler case per type descent has; a type missing here fails the test, naming it. */
const SCHEDULER_CASES: Record<string, { options: Record<string, unknown>; algorithm?: string }[]> =
  {
    StepLR: [{ options: { stepSize: 2, gamma: 0.5 } }],
    MultiStepLR: [{ options: { milestones: [2, 5], gamma: 0.3 } }],
    ExponentialLR: [{ options: { gamma: 0.9 } }],
    ConstantLR: [{ options: { factor: 0.5, totalIters: 4 } }],
    LinearLR: [{ options: { startFactor: 0.25, endFactor: 1, totalIters: 5 } }],
    PolynomialLR: [{ options: { totalIters: 6, power: 2 } }],
    CosineAnnealingLR: [{ options: { tMax: 6, etaMin: 0.001 } }],
    CosineAnnealingWarmRestarts: [{ options: { t0: 2, tMult: 2, etaMin: 0.001 } }],
    CyclicLR: [{ options: { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, mode: 'triangular2' } }],
    OneCycleLR: [
      { options: { maxLr: 0.1, totalSteps: 10 } },
      { options: { maxLr: 0.01, totalSteps: 10, threePhase: true }, algorithm: 'adam' },
    ],
    LambdaLR: [{ options: {} }],
    ReduceLROnPlateau: [{ options: { factor: 0.5, patience: 1 } }],
  };
/** descent's schedulers that combine others: torch keeps each inner state, descent one form. */
const COMPOSITE = ['SequentialLR', 'ChainedScheduler'];

const K = 3;
const N = 5;

function optimizerCases(d: OptimizerDescriptor): Case[] {
  const closure = d.closure === true;
  const out: Case[] = [];
  d.variants.forEach((v, vi) => {
    for (const dtype of ['float64', 'float32'] as const) {
      const lr = (v.lr ?? d.defaults.lr) as number;
      const group1: Record<string, unknown> = { lr: lr * 0.5 };
      if ('weightDecay' in d.defaults) group1.weightDecay = 0.03;
      out.push({
        id: `${d.name}-${vi}-${dtype}`,
        descriptor: d.name,
        algorithm: d.algorithm,
        dtype,
        k: closure ? 2 : K,
        n: closure ? 2 : N,
        options: { ...v },
        // torch's LBFGS takes one group (descent's too).
        group1: closure ? null : group1,
        // torch's SparseAdam refuses dense gradients.
        sparse: d.algorithm === 'SparseAdam',
        closure,
        scheduler: null,
      });
    }
  });
  return out;
}

function schedulerCases(types: readonly string[]): Case[] {
  const out: Case[] = [];
  for (const type of types) {
    (SCHEDULER_CASES[type] ?? []).forEach((spec, i) => {
      const descriptor = spec.algorithm ?? 'momentum';
      const d = OPTIMIZERS.find((x) => x.name === descriptor)!;
      out.push({
        id: `sched-${type}-${i}`,
        descriptor,
        algorithm: d.algorithm,
        dtype: 'float64',
        k: K,
        n: N,
        options: { lr: 0.05 },
        group1: { lr: 0.02, weightDecay: 0.03 },
        sparse: false,
        closure: false,
        scheduler: { type, options: spec.options },
      });
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// descent's side
// ---------------------------------------------------------------------------------------------

interface Live {
  params: Record<string, Buf>;
  optimizer: {
    step(g: unknown): unknown;
    stateDict(): unknown;
    loadStateDict(s: never): void;
    params: readonly Buf[];
  };
  scheduler: { step(m?: number): void; stateDict(): unknown; loadStateDict(s: never): void } | null;
}

function makeScheduler(spec: SchedulerSpec, opt: Live['optimizer']): Live['scheduler'] {
  const o = opt as never;
  if (spec.type === 'LambdaLR') return new LambdaLR(o, { lrLambda });
  if (spec.type === 'SequentialLR') {
    const a = new LinearLR(o, { startFactor: 0.5, totalIters: 2 });
    const b = new StepLR(o, { stepSize: 2 });
    return new SequentialLR(o, { schedulers: [a, b], milestones: [2] });
  }
  if (spec.type === 'ChainedScheduler') {
    const a = new LinearLR(o, { startFactor: 0.5, totalIters: 2 });
    const b = new StepLR(o, { stepSize: 2 });
    return new ChainedScheduler(o, { schedulers: [a, b] });
  }
  return createScheduler(spec.type, o, spec.options) as Live['scheduler'];
}

function build(c: Case): Live {
  const Arr = c.dtype === 'float64' ? Float64Array : Float32Array;
  const params: Record<string, Buf> = {};
  for (const [name, shape] of MLP) {
    const p: Buf = new Arr(SIZE(shape));
    for (let j = 0; j < p.length; j++) p[j] = ((((OFFSET[name]! + j) * 37) % 23) - 11) / 10;
    params[name] = p;
  }
  const group = (names: string[], extra: Record<string, unknown> = {}) => ({
    params: names.map((n) => params[n]!),
    shapes: names.map((n) => MLP.find(([m]) => m === n)![1]),
    ...extra,
  });
  const d = OPTIMIZERS.find((x) => x.name === c.descriptor)!;
  const groups = c.group1
    ? [group(NAMES.slice(0, 2)), group(NAMES.slice(2), c.group1)]
    : [group(NAMES)];
  const optimizer = d.create(groups as never, c.options) as unknown as Live['optimizer'];
  const stepped = c.wrap
    ? (new Lookahead(optimizer as never, { k: 2 }) as unknown as Live['optimizer'])
    : optimizer;
  const scheduler = c.scheduler ? makeScheduler(c.scheduler, optimizer) : null;
  return { params, optimizer: stepped, scheduler };
}

function step(run: Live, c: Case, s: number): void {
  const { params } = run;
  if (c.closure) {
    run.optimizer.step((grads: Buf[]) => {
      NAMES.forEach((n, i) => grads[i]!.set(gradient(n, params[n]!, s, false)));
      return loss(params);
    });
  } else {
    run.optimizer.step(
      NAMES.map((n, i) =>
        c.sparse ? sparseGradient(n, params[n]!, MLP[i]![1], s) : gradient(n, params[n]!, s, true),
      ),
    );
  }
  if (run.scheduler instanceof ReduceLROnPlateau) run.scheduler.step(metric(s));
  else run.scheduler?.step();
}

/** What the bridge must carry untouched (a `descent train` checkpoint keeps its run here). */
const EXTRA = {
  config: { problem: 'mlp', optimizer: 'x', lr: null, batchSize: 'full', seed: 7 },
  trainer: {
    epoch: 2,
    curve: Float64Array.of(1.5, NaN, -0, Infinity, 0.25),
    counts: Int32Array.of(3, -1, 7),
    flags: Uint8Array.of(1, 0, 1),
  },
  notes: { 'a.b': [1, 2.5, -0, null, true, 'x', -Infinity], empty: {} },
};
const SAMPLER = { type: 'shuffle', position: 3, order: Uint32Array.of(2, 0, 1) };

function content(run: Live): CheckpointContent {
  return {
    params: run.params,
    optimizer: run.optimizer,
    ...(run.scheduler ? { scheduler: run.scheduler.stateDict() } : {}),
    sampler: SAMPLER,
    extra: EXTRA,
  };
}

interface Snapshot {
  params: Record<string, Buf>;
  optimizer: unknown;
  scheduler?: unknown;
}

function snapshot(run: Live): Snapshot {
  return {
    params: Object.fromEntries(Object.entries(run.params).map(([n, p]) => [n, p.slice()])),
    optimizer: run.optimizer.stateDict(),
    ...(run.scheduler ? { scheduler: run.scheduler.stateDict() } : {}),
  };
}

/**
 * A checkpoint file as descent reads it. (A Node Buffer from readFileSync handed straight to
 * decodeCheckpoint reads tensors from the wrong offset: the decoder's `slice` of a Buffer is a
 * view, not a copy; a plain Uint8Array is what it expects.)
 */
const readCheckpoint = (file: string) => decodeCheckpoint(readFileSync(file));

function restored(c: Case, file: string): Live {
  const run = build(c);
  const ck = readCheckpoint(file);
  restoreCheckpoint(ck, {
    params: run.params,
    optimizer: run.optimizer,
    ...(run.scheduler ? { scheduler: run.scheduler } : {}),
  });
  return run;
}

// ---------------------------------------------------------------------------------------------
// Comparing states
// ---------------------------------------------------------------------------------------------

interface Worst {
  error: number;
  at: string;
}

/**
 * The largest relative error between two states (each tensor against its largest magnitude,
 * each number against itself), with where it is; strings, booleans, nulls and the structure
 * must be equal. `skip` leaves out keys (a cycle scheduler's ignored bases).
 */
function compare(
  actual: unknown,
  expected: unknown,
  path: string,
  worst: Worst,
  skip: Set<string>,
  floor: (path: string) => number,
): void {
  const note = (e: number) => {
    if (!(e <= worst.error)) Object.assign(worst, { error: e, at: path });
  };
  if (ArrayBuffer.isView(expected)) {
    const e = expected as unknown as ArrayLike<number>;
    assert.ok(ArrayBuffer.isView(actual), `${path}: expected a tensor, got ${String(actual)}`);
    const a = actual as unknown as ArrayLike<number>;
    assert.equal(a.length, e.length, `${path}: length`);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < e.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - e[i]!));
      scale = Math.max(scale, Math.abs(e[i]!));
      if (Number.isNaN(a[i]!) !== Number.isNaN(e[i]!)) diff = Infinity;
    }
    scale = Math.max(scale, floor(path));
    note(scale > 0 ? diff / scale : diff);
    return;
  }
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${path}: expected a number, got ${String(actual)}`);
    const a = actual as number;
    if (Number.isNaN(expected) || !Number.isFinite(expected)) assert.equal(a, expected, path);
    else note(expected === 0 ? Math.abs(a) : Math.abs(a - expected) / Math.abs(expected));
    return;
  }
  if (expected === null || typeof expected !== 'object') {
    assert.equal(actual, expected, path);
    return;
  }
  assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object`);
  const keys = Object.keys(expected).filter((k) => !skip.has(k));
  assert.deepEqual(
    Object.keys(actual as object)
      .filter((k) => !skip.has(k))
      .sort(),
    [...keys].sort(),
    `${path}: keys`,
  );
  for (const k of keys) {
    compare(
      (actual as Record<string, unknown>)[k],
      (expected as Record<string, unknown>)[k],
      `${path}.${k}`,
      worst,
      skip,
      floor,
    );
  }
}

/** The largest gradient at the start: the scale of L-BFGS's gradient-sized vectors. */
function gradientScale(c: Case): number {
  const { params } = build(c);
  let m = 0;
  for (const n of NAMES)
    for (const g of gradient(n, params[n]!, 1, false)) m = Math.max(m, Math.abs(g));
  return m;
}

function errorOf(actual: Snapshot, expected: Snapshot, c: Case): Worst {
  const worst = { error: 0, at: '(nothing)' };
  // descent's cycle schedules ignore their bases; torch's have none to give back.
  const skip = new Set(
    c.scheduler && ['CyclicLR', 'OneCycleLR'].includes(c.scheduler.type) ? ['bases'] : [],
  );
  // L-BFGS ends near a minimum, where its gradients (prev_flat_grad, d, the pairs) are near 0
  // and a vector's own magnitude is no scale for the ulps between two float32 runs: its scale
  // is then the gradient's at the start. (float64 needs no floor: 1e-12 of the vector holds.)
  const lbfgsFloor = c.closure && c.dtype === 'float32' ? gradientScale(c) : 0;
  const floor = (path: string) => (path.includes('.lbfgs.') ? lbfgsFloor : 0);
  compare(actual, expected, 'state', worst, skip, floor);
  return worst;
}

/**
 * float64: 1e-12. float32: N·4·2⁻²⁴, N the steps. L-BFGS: N its closure evaluations (each an
 * update of its own) in the expected run, times √n for the n parameters: every update rests on
 * dot products over all n (y·s, y·y, the two-loop recursion), which torch (BLAS, float32
 * partial sums) and descent add in other orders; rounding errors of n terms in different
 * orders part like a random walk, by about √n ulps of the terms.
 */
function bound(c: Case, expected: Snapshot): number {
  if (c.dtype === 'float64') return 1e-12;
  if (!c.closure) return (c.k + c.n) * 4 * 2 ** -24;
  const evals = (expected.optimizer as { groupState: { func_evals: number }[] }).groupState[0]!
    .func_evals;
  const n = MLP.reduce((a, [, s]) => a + SIZE(s), 0);
  return evals * 4 * 2 ** -24 * Math.sqrt(n);
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/** `descent train` (from the sources) on a small problem; its stdout's JSON, or the failure. */
function descentTrain(args: string[]) {
  const cli = join(ROOT, 'packages', 'lab', 'src', 'cli', 'main.ts');
  const base = ['train', '--problem', 'digits-logreg', '--optimizer', 'adam', '--lr', '0.01'];
  return spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', cli, ...base, ...args, '--quiet', '--json'],
    { encoding: 'utf8', cwd: ROOT },
  );
}

interface Report {
  torch: string;
  numpy: string;
  nadamFormula: 'torch<2.0' | 'torch>=2.0' | 'unknown';
  classes: Record<string, string[] | null>;
  schedulers: Record<string, boolean>;
  optionTable: Record<string, string>;
  cases: Record<string, { status: 'ok' | 'refused' | 'error'; message?: string }>;
  train?: { status: 'ok' | 'error'; message?: string; optimizer?: string };
}

const found = findTorchPython();

if ('reason' in found) {
  const title = `PyTorch bridge skipped: no python3 with torch (CI installs python3-torch; set DESCENT_PYTHON to choose one)`;
  test(title, (t) => {
    t.diagnostic(found.reason);
    // Said, never silent; an interpreter asked for by name that lacks torch is an error.
    assert.equal(
      found.required,
      false,
      `DESCENT_PYTHON=${process.env.DESCENT_PYTHON}: ${found.reason}`,
    );
    assert.match(found.reason, /.+/);
  });
} else {
  const py = found;
  const dir = mkdtempSync(join(tmpdir(), 'descent-torch-bridge-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const torchOptim = new Set(py.optim);
  const inTorch = OPTIMIZERS.filter((d) => torchOptim.has(d.algorithm));
  const lacking = OPTIMIZERS.filter((d) => !torchOptim.has(d.algorithm));
  const descentSchedulers = [...SCHEDULER_TYPES, 'LambdaLR'];
  const sharedSchedulers = descentSchedulers.filter((t) => py.schedulers.includes(t));
  const cases = [...inTorch.flatMap(optimizerCases), ...schedulerCases(sharedSchedulers)];
  const refusals: Case[] = [
    ...COMPOSITE.map((type) => ({
      ...schedulerCases(['StepLR'])[0]!,
      id: `composite-${type}`,
      scheduler: { type, options: {} },
      refused: 'scheduler' as const,
    })),
    {
      ...optimizerCases(OPTIMIZERS.find((d) => d.name === 'adam')!)[0]!,
      id: 'wrapper-Lookahead',
      wrap: 'Lookahead',
      refused: 'optimizer',
    },
  ];

  // descent's side, first half: init and k steps written, n + k steps kept.
  const file = (id: string, tag: string) => join(dir, `${id}.${tag}.safetensors`);
  const straight = new Map<string, Snapshot>();
  const atK = new Map<string, CheckpointContent>();
  for (const c of [...cases, ...refusals]) {
    const run = build(c);
    writeFileSync(file(c.id, 'init'), encodeCheckpoint(content(run)));
    for (let s = 1; s <= c.k; s++) step(run, c, s);
    writeFileSync(file(c.id, 'A'), encodeCheckpoint(content(run)));
    atK.set(c.id, readCheckpoint(file(c.id, 'A')));
    for (let s = c.k + 1; s <= c.k + c.n; s++) step(run, c, s);
    straight.set(c.id, snapshot(run));
  }
  const descentDefaults: Record<string, Record<string, unknown>> = {};
  for (const d of inTorch) {
    if (Object.keys(d.preset).length === 0) descentDefaults[d.algorithm] = { ...d.defaults };
  }
  // A `descent train` run: checkpointed after 2 epochs (to go through torch), and straight to 3.
  const train = {
    from: join(dir, 'train.safetensors'),
    to: join(dir, 'train-via-torch.safetensors'),
  };
  const straightTrain = descentTrain(['--epochs', '3']);
  const firstTrain = descentTrain(['--epochs', '2', '--checkpoint', train.from]);
  const plan = {
    checkpointVersion: CHECKPOINT_VERSION,
    train,
    mlp: Object.fromEntries(MLP),
    algorithms: [...new Set(inTorch.map((d) => d.algorithm))],
    schedulerTypes: sharedSchedulers,
    descentDefaults,
    cases,
    refusals: refusals.map((c) => ({ id: c.id, what: c.refused })),
  };
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
  const started = Date.now();
  const r = spawnSync(py.python, ['-B', HARNESS, join(dir, 'plan.json')], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = (Date.now() - started) / 1000;
  const report: Report | null = r.status === 0 ? JSON.parse(r.stdout) : null;

  describe(`PyTorch bridge: descent <-> torch ${py.torch} (${py.python})`, () => {
    test('the torch side ran', (t) => {
      assert.equal(r.status, 0, `${py.python} ${HARNESS} failed:\n${r.stderr}\n${r.stdout}`);
      t.diagnostic(`${cases.length} cases in one python process, ${seconds.toFixed(1)} s`);
    });

    test(`optimizers torch ${py.torch} lacks are listed by name`, (t) => {
      t.diagnostic(
        `torch.optim lacks: ${lacking.map((d) => `${d.label} (${d.algorithm})`).join(', ') || 'none'}`,
      );
      for (const d of lacking) assert.ok(!torchOptim.has(d.algorithm));
      const noSched = descentSchedulers.filter((s) => !py.schedulers.includes(s));
      t.diagnostic(`torch.optim.lr_scheduler lacks: ${noSched.join(', ') || 'none'}`);
    });

    test("the bridge's table of descent's options is descent's (names and defaults)", () => {
      assert.ok(report);
      for (const [name, verdict] of Object.entries(report.optionTable))
        assert.equal(
          verdict,
          'ok',
          `${name}: descent's defaults are ${JSON.stringify(descentDefaults[name])}, ${verdict}`,
        );
    });

    test('every scheduler type descent has has a bridge case', () => {
      for (const type of descentSchedulers) {
        assert.ok(type in SCHEDULER_CASES, `add a case for ${type} to SCHEDULER_CASES`);
      }
    });

    test('NAdam: the formula torch uses is named, and compared against', (t) => {
      assert.ok(report);
      assert.notEqual(report.nadamFormula, 'unknown', 'torch NAdam matches neither known formula');
      t.diagnostic(
        report.nadamFormula === 'torch<2.0'
          ? `torch ${report.torch} runs NAdam's pre-2.0 formula (mu_product_next = mu_product·mu·mu_next); descent runs torch >= 2.0's (mu_product·mu_next, the paper's): torch's steps from descent's state are checked against the pre-2.0 formula, descent's from torch's against 2.0's`
          : `torch ${report.torch} runs NAdam's 2.0 formula, as descent does: compared directly`,
      );
    });

    for (const c of cases) {
      test(`${c.id}${c.scheduler ? ` (${c.scheduler.type})` : ''}`, (t) => {
        assert.ok(report, 'no report from the torch side');
        const res = report.cases[c.id];
        assert.ok(res, 'no result');
        if (res.status === 'error') assert.fail(res.message);
        // Refused exactly when an option is off its default and the installed torch lacks it.
        const accepted = report.classes[c.algorithm] ?? [];
        const d = OPTIMIZERS.find((x) => x.name === c.descriptor)!;
        const options = { ...d.defaults, ...c.options };
        const missing = Object.entries(options).filter(([k, v]) => {
          const snake = k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
          return (
            !accepted.includes(snake) &&
            JSON.stringify(v) !==
              JSON.stringify(
                descentDefaults[c.algorithm]?.[k] ?? (k === 'maximize' ? false : undefined),
              )
          );
        });
        if (res.status === 'refused') {
          assert.ok(missing.length > 0, `refused, but torch takes every option: ${res.message}`);
          assert.match(res.message!, new RegExp(`${missing[0]![0]} = .*no counterpart in torch`));
          t.diagnostic(`refused: ${res.message}`);
          return;
        }
        assert.deepEqual(
          missing.map(([k]) => k),
          [],
          'torch lacks these options, yet the bridge mapped them',
        );
        const oldNadam = c.algorithm === 'NAdam' && report.nadamFormula === 'torch<2.0';

        // descent -> torch -> descent, no step: the same state, extra and sampler.
        const a = atK.get(c.id)!;
        const back = readCheckpoint(file(c.id, 'R'));
        assert.deepEqual(back.extra, a.extra);
        assert.deepEqual(back.sampler, a.sampler);
        assert.deepEqual(back.shapes, a.shapes);
        assert.deepEqual(back.optimizerParams, a.optimizerParams);
        const trip = errorOf(
          {
            params: back.params as Record<string, Buf>,
            optimizer: back.optimizer,
            ...(a.scheduler ? { scheduler: back.scheduler } : {}),
          },
          {
            params: a.params as Record<string, Buf>,
            optimizer: a.optimizer,
            ...(a.scheduler ? { scheduler: a.scheduler } : {}),
          },
          c,
        );
        // Format version 1 (1-D, unnamed) written by the bridge: descent reads it as it was;
        // read by the bridge (shapes from the optimizer, names from the order) and written again,
        // it is the version 2 file.
        const v1 = readCheckpoint(file(c.id, 'R1'));
        assert.deepEqual(v1.optimizer, back.optimizer);
        assert.deepEqual(v1.params, back.params);
        assert.deepEqual(v1.extra, back.extra);
        const v1v2 = readCheckpoint(file(c.id, 'R1R'));
        assert.deepEqual({ ...v1v2 }, { ...back });
        // Exact, but for the per-parameter scalars (NAdam's mu_product, ASGD's eta and mu),
        // numbers in descent and tensors of the parameter's dtype in torch: float32 rounds them.
        assert.ok(
          trip.error === 0 ||
            (c.dtype === 'float32' && trip.error <= 2 ** -24 && /scalars|H_diag|ro/.test(trip.at)),
          `round trip: ${trip.error} at ${trip.at}`,
        );

        // descent k -> torch n == descent n + k (or the formula torch uses, for an old NAdam).
        const b = snapshot(restored(c, file(c.id, 'B')));
        const wantB = oldNadam ? snapshot(restored(c, file(c.id, 'EB'))) : straight.get(c.id)!;
        const eB = errorOf(b, wantB, c);
        const tolB = bound(c, wantB);
        assert.ok(
          eB.error <= tolB,
          `descent ${c.k} -> torch ${c.n}: ${eB.error} at ${eB.at} (bound ${tolB})`,
        );

        // torch k -> descent n == torch n + k.
        const run = restored(c, file(c.id, 'C'));
        for (let s = c.k + 1; s <= c.k + c.n; s++) step(run, c, s);
        const wantC = snapshot(restored(c, file(c.id, 'T')));
        const eC = errorOf(snapshot(run), wantC, c);
        const tolC = bound(c, wantC);
        assert.ok(
          eC.error <= tolC,
          `torch ${c.k} -> descent ${c.n}: ${eC.error} at ${eC.at} (bound ${tolC})`,
        );

        const line = `descent ${c.k}->torch ${c.n}: ${eB.error.toExponential(1)}; torch ${c.k}->descent ${c.n}: ${eC.error.toExponential(1)}; round trip ${trip.error === 0 ? 'exact' : trip.error.toExponential(1)}${oldNadam ? ' (NAdam: torch<2.0 formula)' : ''}`;
        t.diagnostic(line);
      });
    }

    test('a `descent train` checkpoint through torch and back: --resume continues bit for bit', (t) => {
      assert.equal(straightTrain.status, 0, straightTrain.stderr);
      assert.equal(firstTrain.status, 0, firstTrain.stderr);
      assert.ok(report?.train, 'no train result');
      if (report.train.status !== 'ok') assert.fail(report.train.message);
      const resumed = descentTrain(['--epochs', '3', '--resume', train.to]);
      assert.equal(resumed.status, 0, resumed.stderr);
      const final = (r: { stdout: string }) => JSON.parse(r.stdout).final;
      assert.deepEqual(final(resumed), final(straightTrain));
      t.diagnostic(
        `${report.train.optimizer}: 2 epochs, through torch, 1 more: the same final state as 3 straight`,
      );
    });

    for (const c of refusals) {
      const what = c.wrap ?? c.scheduler!.type;
      test(`${what}: refused, by name`, (t) => {
        assert.ok(report);
        const res = report.cases[c.id];
        assert.equal(res?.status, 'refused', JSON.stringify(res));
        assert.match(
          res!.message!,
          c.wrap
            ? new RegExp(`descent's ${c.wrap} .*no counterpart`)
            : new RegExp(`${what} is not mapped to torch`),
        );
        t.diagnostic(res!.message!);
      });
    }
  });
}
