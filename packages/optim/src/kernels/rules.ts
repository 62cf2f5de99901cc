/**
 * The fast path of each rule, with the same arguments as its plain kernel in `src/rules/`: the
 * plain kernel's first line is `if (fastX(...same arguments)) return;`. Each picks the kernel
 * variant (flags for weight decay, gradient scale, ...) so that the float64 kernels perform
 * exactly the plain loop's operations.
 */
import type { FloatBuffer } from '../core/types.ts';
import { runFast } from './fast-path.ts';
import { K } from './ids.ts';

const on = (c: boolean, bit: number): number => (c ? bit : 0);

type B = FloatBuffer;

export function fastSgd(p: B, g: B, gs: number, lr: number, wd: number): boolean {
  const bits = on(wd !== 0, 1) | on(gs !== 1, 2);
  return runFast(K.sgd, bits, p, g, null, null, null, gs, lr, wd, 0, 0, 0, 0, 0, 0);
}

export function fastSgdMomentum(
  p: B,
  g: B,
  buf: B,
  gs: number,
  lr: number,
  wd: number,
  mom: number,
  damp: number,
  nesterov: boolean,
  first: boolean,
): boolean {
  const bits = on(wd !== 0, 1) | on(nesterov, 2) | on(first, 4) | on(gs !== 1, 8);
  return runFast(K.sgdm, bits, p, g, buf, null, null, gs, lr, wd, mom, damp, 0, 0, 0, 0);
}

export function fastAdagrad(
  p: B,
  g: B,
  sum: B,
  gs: number,
  clr: number,
  wd: number,
  eps: number,
): boolean {
  const bits = on(wd !== 0, 1) | on(gs !== 1, 2);
  return runFast(K.adagrad, bits, p, g, sum, null, null, gs, clr, wd, eps, 0, 0, 0, 0, 0);
}

export function fastAdadelta(
  p: B,
  g: B,
  v: B,
  u: B,
  gs: number,
  lr: number,
  rho: number,
  eps: number,
  wd: number,
): boolean {
  const bits = on(wd !== 0, 1) | on(gs !== 1, 2);
  return runFast(K.adadelta, bits, p, g, v, u, null, gs, lr, rho, eps, wd, 0, 0, 0, 0);
}

export function fastRmsprop(
  p: B,
  g: B,
  v: B,
  buf: B | null,
  ga: B | null,
  gs: number,
  lr: number,
  alpha: number,
  eps: number,
  wd: number,
  mom: number,
): boolean {
  const bits = on(wd !== 0, 1) | on(buf !== null, 2) | on(ga !== null, 4) | on(gs !== 1, 8);
  return runFast(K.rmsprop, bits, p, g, v, buf, ga, gs, lr, alpha, eps, wd, mom, 0, 0, 0);
}

export function fastAdam(
  p: B,
  g: B,
  m: B,
  v: B,
  vmax: B | null,
  gs: number,
  b1: number,
  b2: number,
  l2: number,
  decay: number,
  stepSize: number,
  bc2Sqrt: number,
  eps: number,
): boolean {
  // The float32 kernel divides by stepSize: lr 0 stays on the plain loop.
  if (stepSize === 0) return false;
  const bits = on(l2 !== 0, 1) | on(vmax !== null, 2) | on(gs !== 1, 4) | on(decay !== 1, 8);
  return runFast(K.adam, bits, p, g, m, v, vmax, gs, b1, b2, l2, decay, stepSize, bc2Sqrt, eps, 0);
}

export function fastAdamax(
  p: B,
  g: B,
  m: B,
  u: B,
  gs: number,
  b1: number,
  b2: number,
  wd: number,
  clr: number,
  eps: number,
): boolean {
  const bits = on(wd !== 0, 1) | on(gs !== 1, 2);
  return runFast(K.adamax, bits, p, g, m, u, null, gs, b1, b2, wd, clr, eps, 0, 0, 0);
}

export function fastNadam(
  p: B,
  g: B,
  m: B,
  v: B,
  gs: number,
  b1: number,
  b2: number,
  l2: number,
  decay: number,
  bc2: number,
  gradStep: number,
  momStep: number,
  eps: number,
): boolean {
  const bits = on(l2 !== 0, 1) | on(gs !== 1, 2) | on(decay !== 1, 4);
  return runFast(
    K.nadam,
    bits,
    p,
    g,
    m,
    v,
    null,
    gs,
    b1,
    b2,
    l2,
    decay,
    bc2,
    gradStep,
    momStep,
    eps,
  );
}

export function fastRadam(
  p: B,
  g: B,
  m: B,
  v: B,
  gs: number,
  b1: number,
  b2: number,
  l2: number,
  decay: number,
  stepSize: number,
  adaptive: number,
  eps: number,
): boolean {
  const bits = on(l2 !== 0, 1) | on(adaptive !== 0, 2) | on(gs !== 1, 4) | on(decay !== 1, 8);
  return runFast(
    K.radam,
    bits,
    p,
    g,
    m,
    v,
    null,
    gs,
    b1,
    b2,
    l2,
    decay,
    stepSize,
    adaptive,
    eps,
    0,
  );
}
