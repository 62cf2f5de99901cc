/**
 * The kernel tables and typed fast-path wrappers that `npm run build` generates from
 * `scripts/wasm/kernels.ts`, against those definitions: the files are current, the tables
 * describe the wasm module's exports, and every wrapper reaches every variant of its kernel, each
 * step equal bit for bit in float64 to the plain loop, which stays the oracle (float32 is held to
 * its derived bound in `kernels-parity.test.ts`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  OPTIMIZERS,
  type CommonOptions,
  type FloatBuffer,
  type Optimizer,
  type OptimizerDescriptor,
} from '../packages/optim/src/node.ts';
import { runKernel } from '../packages/optim/src/kernels/dispatch.ts';
import {
  MIN_LENGTH,
  installFastPath,
  setFastPaths,
  type KernelEngine,
} from '../packages/optim/src/kernels/fast-path.ts';
import {
  K,
  KERNEL_ARRAYS,
  KERNEL_FLAGS,
  KERNEL_NAMES,
  VARIANTS,
  exportNames,
  type KernelName,
} from '../packages/optim/src/kernels/ids.ts';
import { kernelModulesSync } from '../packages/optim/src/kernels/module.ts';
import * as fastRules from '../packages/optim/src/kernels/rules.ts';
import { fastRulesModule, idsModule, optionsOf } from '../scripts/wasm/codegen.ts';
import { flagsOf, type Cond, type KernelDef } from '../scripts/wasm/emit.ts';
import { KERNELS } from '../scripts/wasm/kernels.ts';
import { MATMUL_EXPORTS } from '../scripts/wasm/matmul.ts';

const WRAPPED = KERNELS.filter((d) => d.fast !== undefined);
const WRAPPERS: Readonly<Record<string, unknown>> = fastRules;
type Wrapper = (...args: unknown[]) => boolean;
const wrapperOf = (def: KernelDef): Wrapper => WRAPPERS[def.fast as string] as Wrapper;

/** Every `(kernel, bits)` the engine is asked for while `spy` is installed. */
const calls: string[] = [];
const at = (kernel: number, bits: number): string => `${KERNEL_NAMES[kernel]} ${bits}`;
function spy(run: boolean): KernelEngine {
  return (...args) => {
    calls.push(at(args[0], args[1]));
    return run && runKernel(...args);
  };
}

test('the generated modules are those the kernel definitions give (else: npm run build)', () => {
  const dir = new URL('../packages/optim/src/kernels/generated/', import.meta.url);
  assert.equal(readFileSync(new URL('ids.ts', dir), 'utf8'), idsModule(KERNELS));
  assert.equal(readFileSync(new URL('fast-rules.ts', dir), 'utf8'), fastRulesModule(KERNELS));
});

test("the tables describe the definitions and name the wasm module's exports", () => {
  assert.deepEqual(
    KERNEL_NAMES,
    KERNELS.map((d) => d.name),
  );
  assert.deepEqual(
    KERNEL_ARRAYS,
    KERNELS.map((d) => d.arrays.length),
  );
  assert.deepEqual(
    KERNEL_FLAGS,
    KERNELS.map((d) => d.flags.length),
  );
  KERNELS.forEach((d, i) => assert.equal(K[d.name as KernelName], i));
  assert.equal(VARIANTS, Math.max(...KERNELS.map((d) => 1 << d.flags.length)));
  const names = exportNames().filter((n) => n !== undefined);
  const { plain, shared } = kernelModulesSync();
  for (const mod of [plain, shared]) {
    const exported = WebAssembly.Module.exports(mod).map((e) => e.name);
    // Besides the tables' kernels: the matrix product, written by hand (scripts/wasm/matmul.ts).
    const matmul: string[] = Object.values(MATMUL_EXPORTS);
    assert.deepEqual([...names, ...matmul].sort(), exported.sort());
  }
});

test('kernels/rules.ts exports one wrapper per rule kernel, taking its arguments', () => {
  assert.deepEqual(Object.keys(WRAPPERS).sort(), WRAPPED.map((d) => d.fast).sort());
  for (const def of WRAPPED) {
    const arity = def.arrays.length + def.scalars.length + optionsOf(def).length;
    assert.equal(wrapperOf(def).length, arity, def.fast);
  }
});

/** Arguments of `def`'s wrapper that select variant `bits`, meeting its guard or not. */
function argsFor(def: KernelDef, bits: number, guardMet = true): unknown[] {
  const arrays: Record<string, FloatBuffer | null> = {};
  for (const a of def.arrays) arrays[a] = new Float64Array(MIN_LENGTH);
  // 0.5 is no flag's `not` value: a scalar no flag names leaves every flag as it is.
  const scalars: Record<string, number> = Object.fromEntries(def.scalars.map((s) => [s, 0.5]));
  const options: Record<string, boolean> = {};
  const meet = (c: Cond, on: boolean): void => {
    if ('scalar' in c) scalars[c.scalar] = on ? c.not + 0.5 : c.not;
    else if ('given' in c) arrays[c.given] = on ? arrays[c.given]! : null;
    else options[c.option] = on;
  };
  const flags = flagsOf(def, bits);
  for (const f of def.flags) meet(f.when, flags[f.name]!);
  if (def.guard) meet(def.guard.when, guardMet);
  return [
    ...def.arrays.map((a) => arrays[a]),
    ...def.scalars.map((s) => scalars[s]),
    ...optionsOf(def).map((o) => options[o]),
  ];
}

test('each wrapper asks for the variant its arguments select, and none where its guard fails', () => {
  installFastPath(spy(false));
  try {
    for (const def of WRAPPED) {
      for (let bits = 0; bits < 1 << def.flags.length; bits++) {
        calls.length = 0;
        assert.equal(wrapperOf(def)(...argsFor(def, bits)), false);
        assert.deepEqual(calls, [at(K[def.name as KernelName], bits)], def.fast);
        if (def.guard) {
          calls.length = 0;
          assert.equal(wrapperOf(def)(...argsFor(def, bits, false)), false);
          assert.deepEqual(calls, [], `${def.fast}: ${def.guard.why}`);
        }
      }
    }
  } finally {
    installFastPath(runKernel);
  }
});

/**
 * Every combination of the option values a descriptor's variants use (each key set or left to
 * the preset): the variants reach each kernel flag, their product each combination of flags.
 */
function combinations(d: OptimizerDescriptor): Record<string, unknown>[] {
  const keys = [...new Set(d.variants.flatMap((v) => Object.keys(v)))];
  let sets: Record<string, unknown>[] = [{}];
  for (const k of keys) {
    const values = new Map<string, unknown>();
    for (const v of d.variants) if (k in v) values.set(JSON.stringify(v[k]), v[k]);
    const unset = d.variants.some((v) => !(k in v));
    sets = sets.flatMap((s) => [
      ...(unset ? [s] : []),
      ...[...values.values()].map((x) => ({ ...s, [k]: x })),
    ]);
  }
  return sets;
}

/** A noisy bowl: gradients that depend on the parameters and the step, the same on both paths. */
function gradient(p: FloatBuffer, g: FloatBuffer, step: number): void {
  for (let i = 0; i < p.length; i++) g[i] = p[i]! * (1 + (i % 7)) + Math.sin(i * 12.9898 + step);
}

function assertIdentical(actual: FloatBuffer, expected: FloatBuffer, what: string): void {
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i]))
      assert.fail(`${what}: element ${i} is ${actual[i]}, the plain loop gives ${expected[i]}`);
  }
}

const slotsOf = (opt: Optimizer<CommonOptions>): Record<string, FloatBuffer> =>
  (opt.stateDict().state[0]?.slots ?? {}) as Record<string, FloatBuffer>;

test('every wrapper reaches every variant of its kernel from the optimizers, equal to the plain loop', async (t) => {
  const reached = new Set<string>();
  // Odd length: the SIMD body and the scalar tail both run.
  const n = 1003;
  // A closure step (LBFGS) runs no kernel (plain loops, no fast path): nothing to compare here.
  for (const d of OPTIMIZERS.filter((x) => !x.closure)) {
    for (const options of combinations(d)) {
      for (const scale of [1, 0.75]) {
        await t.test(`${d.name} ${JSON.stringify(options)} scale ${scale}`, () => {
          const p = Float64Array.from({ length: n }, (_, i) => 2 * Math.sin(i * 0.37));
          const q = Float64Array.from(p);
          const [g, h] = [new Float64Array(n), new Float64Array(n)];
          let fast: Optimizer<CommonOptions>;
          try {
            fast = d.create([p], options);
          } catch (e) {
            // Options of two variants may exclude each other: a refused set reaches no kernel.
            if (e instanceof RangeError) return;
            throw e;
          }
          const plain = d.create([q], options);
          installFastPath(spy(true));
          try {
            // 7 steps: SGD's buffer starts at step 1, RAdam rectifies from step 6.
            for (let s = 1; s <= 7; s++) {
              gradient(p, g, s);
              gradient(q, h, s);
              setFastPaths(false);
              plain.step([h], scale);
              setFastPaths(true);
              calls.length = 0;
              fast.step([g], scale);
              const what = `step ${s}, ${calls.join(', ') || 'no kernel'}`;
              assertIdentical(p, q, what);
              const ref = slotsOf(plain);
              for (const [k, v] of Object.entries(slotsOf(fast)))
                assertIdentical(v, ref[k] as FloatBuffer, `${what}, slot ${k}`);
              for (const c of calls) reached.add(c);
            }
          } finally {
            installFastPath(runKernel);
          }
        });
      }
    }
  }
  for (const def of WRAPPED) {
    for (let bits = 0; bits < 1 << def.flags.length; bits++) {
      const f = flagsOf(def, bits);
      // L2 in the gradient and decoupled decay are alternatives in every optimizer (Adam or
      // AdamW, `decoupledWeightDecay`): no step asks for both, though the wrappers could (above).
      const asked = !(f.l2 && f.decayed);
      const key = at(K[def.name as KernelName], bits);
      const why = asked ? 'reached by no optimizer' : 'asked for by an optimizer';
      assert.equal(reached.has(key), asked, `${def.fast}: ${key} ${JSON.stringify(f)} ${why}`);
    }
  }
});
