import { Optimizer } from '../core/optimizer.ts';
import type { Rule, SlotSpec } from '../core/rule.ts';
import type { CommonOptions, FloatBuffer, OptimizerOptions, ParamsInput } from '../core/types.ts';
import { checkBoolean, checkNonNegative } from '../core/validate.ts';
import { fastSgd, fastSgdMomentum } from '../kernels/rules.ts';

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
