import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBoolean, checkNonNegative } from '../core/validate.ts';
import { fastSgd, fastSgdMomentum } from '../kernels/rules.ts';
import { SLIDERS, describeOptimizer, type OptimizerDescriptor } from '../core/descriptor.ts';

export interface SGDOptions extends CommonOptions {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

const NAME = 'SGD';

// Constant lists: \`slots\` runs on every step, which must not allocate.
const NO_SLOTS: readonly SlotSpec[] = [];
const MOMENTUM_SLOTS: readonly SlotSpec[] = [{ name: 'momentum_buffer', fill: 0 }];

export const sgdRule: Rule<SGDOptions> = {
  name: NAME,
  traits: { momentumBuffer: true },
  defaults: {
    lr: 1e-3,
    momentum: 0,
    dampening: 0,
    weightDecay: 0,
    nesterov: false,
    maximize: false,
  },
  validate(h) {
    checkNonNegative(NAME, 'lr', h.lr);
    checkNonNegative(NAME, 'momentum', h.momentum);
    checkNonNegative(NAME, 'dampening', h.dampening);
    checkNonNegative(NAME, 'weightDecay', h.weightDecay);
    checkBoolean(NAME, 'nesterov', h.nesterov);
    checkBoolean(NAME, 'maximize', h.maximize);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new RangeError(
        `${NAME}: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`,
      );
    }
  },
  slots: (h) => (h.momentum !== 0 ? MOMENTUM_SLOTS : NO_SLOTS),
  update(p, g, st, h, gs, created) {
    const buf = st.slots.momentum_buffer;
    if (!buf) sgdPlain(p, g, gs, h.lr, h.weightDecay);
    else
      sgdMomentum(p, g, buf, gs, h.lr, h.weightDecay, h.momentum, h.dampening, h.nesterov, created);
  },
  sparseRefusal: (h) =>
    h.momentum !== 0 || h.weightDecay !== 0
      ? `SGD takes sparse gradients only with momentum 0 and weightDecay 0, got momentum ${h.momentum} and weightDecay ${h.weightDecay}`
      : null,
  updateSparse(p, g, _st, h, gs) {
    const rowSize = g.rowSize ?? 1;
    const { indices, values } = g;
    const step = -h.lr * gs;
    for (let k = 0; k < indices.length; k++) {
      const base = (indices[k] as number) * rowSize;
      for (let j = 0; j < rowSize; j++) p[base + j] += step * values[k * rowSize + j];
    }
  },
};

function sgdPlain(p: FloatBuffer, g: FloatBuffer, gs: number, lr: number, wd: number): void {
  if (fastSgd(p, g, gs, lr, wd)) return;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (wd !== 0) d += wd * p[i];
    p[i] -= lr * d;
  }
}

function sgdMomentum(
  p: FloatBuffer,
  g: FloatBuffer,
  buf: FloatBuffer,
  gs: number,
  lr: number,
  wd: number,
  mom: number,
  damp: number,
  nesterov: boolean,
  first: boolean,
): void {
  if (fastSgdMomentum(p, g, buf, gs, lr, wd, mom, damp, nesterov, first)) return;
  const keep = 1 - damp;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] * gs;
    if (wd !== 0) d += wd * p[i];
    // PyTorch starts the buffer at the gradient itself, without dampening.
    const b = first ? d : mom * buf[i] + keep * d;
    buf[i] = b;
    p[i] -= lr * (nesterov ? d + mom * buf[i] : buf[i]);
  }
}

/**
 * Stochastic gradient descent, with optional momentum (heavy ball) or Nesterov momentum.
 *
 * `d = g + wd·p; b = μ·b + (1−τ)·d` (b = d on the first step); `p −= lr·(nesterov ? d + μ·b : b)`.
 *
 * Defaults match `torch.optim.SGD` (lr 1e-3 as in recent PyTorch). Momentum: Polyak 1964;
 * Nesterov: Sutskever et al. 2013.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: OptimizerOptions<SGDOptions> = {}) {
    super(sgdRule, params, options);
  }
}

const SGD_LAB = { family: 'sgd', lrDecades: [-4, 0.5], lrCapped: true } as const;

/** `sgd`, `momentum` (0.9) and `nesterov` (0.9): the three names SGD goes by. */
export const sgdDescriptors: readonly OptimizerDescriptor[] = [
  describeOptimizer(SGD, sgdRule, {
    name: 'sgd',
    label: 'SGD',
    formula: 'p −= lr·g',
    variants: [{ lr: 0.05 }, { lr: 0.05, weightDecay: 0.01, maximize: true }],
    refused: [
      { options: { lr: NaN }, error: /^SGD: lr must be a finite number >= 0, got NaN$/ },
      {
        options: { momentum: -0.5 },
        error: /^SGD: momentum must be a finite number >= 0, got -0.5$/,
      },
    ],
    slots: [],
    sparse: true,
    lab: SGD_LAB,
    sliders: [SLIDERS.lr],
    bench: { written: 1, kernel: 'sgd' },
    tfjs: (tf, lr) => tf.sgd(lr),
  }),
  describeOptimizer(SGD, sgdRule, {
    name: 'momentum',
    label: 'Momentum',
    preset: { momentum: 0.9 },
    formula: 'b = μb + g;  p −= lr·b',
    variants: [{ lr: 0.05 }, { lr: 0.05, dampening: 0.3, weightDecay: 0.01 }],
    refused: [
      {
        options: { dampening: -1 },
        error: /^SGD: dampening must be a finite number >= 0, got -1$/,
      },
    ],
    slots: ['momentum_buffer'],
    sparse: false,
    lab: SGD_LAB,
    sliders: [SLIDERS.lr, SLIDERS.momentum],
    bench: { written: 2, kernel: 'sgdm' },
    tfjs: (tf, lr) => tf.momentum(lr, 0.9),
  }),
  describeOptimizer(SGD, sgdRule, {
    name: 'nesterov',
    label: 'Nesterov',
    preset: { momentum: 0.9, nesterov: true },
    formula: 'b = μb + g;  p −= lr·(g + μb)',
    variants: [{ lr: 0.05 }, { lr: 0.05, momentum: 0.8, weightDecay: 0.1 }],
    refused: [
      {
        options: { momentum: 0 },
        error: /^SGD: nesterov needs momentum > 0 and dampening 0, got momentum 0 and dampening 0$/,
      },
    ],
    slots: ['momentum_buffer'],
    sparse: false,
    lab: SGD_LAB,
    // Nesterov needs momentum > 0: the library would refuse 0.
    sliders: [SLIDERS.lr, { ...SLIDERS.momentum, min: 0.01 }],
    bench: { written: 2, kernel: 'sgdm' },
    tfjs: (tf, lr) => tf.momentum(lr, 0.9, true),
  }),
];
