import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { Adafactor, Adam, Lookahead, SGD, StepLR } from '../packages/optim/src/node.ts';
import {
  assignWeights,
  CheckpointError,
  decodeCheckpoint,
  decodeSafetensors,
  decodeWeights,
  encodeCheckpoint,
  encodeSafetensors,
  loadCheckpoint,
  loadWeights,
  restoreCheckpoint,
  saveCheckpoint,
  type CheckpointContent,
  type Weight,
} from '../packages/optim/src/checkpoint/index.ts';
import { checkpointTensors } from '../packages/optim/src/checkpoint/checkpoint.ts';
import type { FloatBuffer } from '../packages/optim/src/core/types.ts';

const root = mkdtempSync(join(tmpdir(), 'descent-ckpt-v2-'));
after(() => rmSync(root, { recursive: true, force: true }));
const tmp = () => mkdtempSync(join(root, 'case-'));

/** The safetensors header of `bytes`, and descent's own header inside it. */
function headerOf(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const tensors = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return { tensors, descent: JSON.parse(tensors.__metadata__.descent) };
}

/** A safetensors file written by hand, as another producer would: tensors in the order given. */
function handWritten(
  entries: [name: string, dtype: string, shape: number[], bytes: Uint8Array][],
  metadata?: Record<string, unknown>,
): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let at = 0;
  for (const [name, dtype, shape, bytes] of entries) {
    header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
    at += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let o = 8 + json.length;
  for (const [, , , bytes] of entries) {
    out.set(bytes, o);
    o += bytes.length;
  }
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const grad = (p: FloatBuffer, k: number) => p.map((x, i) => Math.sin(x + i + k));

/** Steps `opt` over `params` three times with fixed gradients. */
function train(opt: { step(g: FloatBuffer[]): void }, params: FloatBuffer[]) {
  for (let k = 0; k < 3; k++) opt.step(params.map((p) => grad(p, k)));
}

/** A matrix w (2x3, float32) and a bias b (3, float64), Adam in two groups, with shapes. */
function matrixRun() {
  const w = Float32Array.of(1, -2, 3, 0.5, 0.25, -1);
  const b = Float64Array.of(0.1, 0.2, 0.3);
  const opt = new Adam(
    [
      { params: [w], shapes: [[2, 3]] },
      { params: [b], lr: 0.01 },
    ],
    {
      lr: 0.1,
    },
  );
  train(opt, [w, b]);
  return { w, b, opt };
}

describe('version 2 records every parameter shape, on its tensor and in the header', () => {
  const cases: [string, () => CheckpointContent, Record<string, number[]>][] = [
    [
      'a live optimizer: shapes from its paramShapes, slots shaped like their parameter',
      () => {
        const { w, b, opt } = matrixRun();
        return { params: { w, b }, optimizer: opt };
      },
      {
        'params.w': [2, 3],
        'params.b': [3],
        'optimizer.state.0.exp_avg': [2, 3],
        'optimizer.state.0.exp_avg_sq': [2, 3],
        'optimizer.state.1.exp_avg': [3],
      },
    ],
    [
      'a state dict and shapes given: parameters as given, slots as the dict records them',
      () => {
        const w = new Float32Array(6).fill(1);
        const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
        train(opt, [w]);
        return { params: { w }, shapes: { w: [3, 2] }, optimizer: opt.stateDict() };
      },
      { 'params.w': [3, 2], 'optimizer.state.0.momentum_buffer': [6] },
    ],
    [
      'a factored slot (Adafactor on a matrix): a slot of another length stays 1-D',
      () => {
        const w = new Float32Array(6).fill(0.5);
        const opt = new Adafactor([{ params: [w], shapes: [[2, 3]] }]);
        train(opt, [w]);
        return { params: { w }, optimizer: opt };
      },
      { 'params.w': [2, 3], 'optimizer.state.0.row_var': [2], 'optimizer.state.0.col_var': [3] },
    ],
    [
      'a live wrapper (Lookahead): the inner state dict shapes its slots; parameters as given',
      () => {
        const w = new Float32Array(6).fill(0.5);
        const opt = new Lookahead(new Adam([{ params: [w], shapes: [[2, 3]] }]), { k: 2 });
        train(opt, [w]);
        return { params: { w }, shapes: { w: [2, 3] }, optimizer: opt };
      },
      { 'params.w': [2, 3], 'optimizer.inner.state.0.exp_avg': [2, 3], 'optimizer.slow.0': [6] },
    ],
  ];
  for (const [what, make, expected] of cases) {
    test(what, () => {
      const c = make();
      const bytes = encodeCheckpoint(c);
      const { tensors, descent } = headerOf(bytes);
      for (const [name, shape] of Object.entries(expected))
        assert.deepEqual(tensors[name].shape, shape, name);
      assert.equal(descent.version, 2);
      assert.deepEqual(descent.params.w, { shape: expected['params.w'] });
      const back = decodeCheckpoint(bytes);
      assert.deepEqual(back.shapes?.w, expected['params.w']);
      // The values come back flat, as they went in.
      assert.deepEqual(back.params.w, c.params.w);
    });
  }

  test('a scalar parameter may be recorded as shape [] (0-d, as PyTorch stores one)', () => {
    const s = Float64Array.of(2);
    const bytes = encodeCheckpoint({ params: { s }, shapes: { s: [] } });
    assert.deepEqual(headerOf(bytes).tensors['params.s'].shape, []);
    assert.deepEqual(decodeCheckpoint(bytes).shapes, { s: [] });
  });
});

/** Three parameters, the optimizer over them in two groups in another order, and a frozen one. */
function twoGroupRun() {
  const a = Float32Array.of(1, 2);
  const b = Float32Array.of(3, 4, 5);
  const c = Float32Array.of(-1);
  const frozen = Float32Array.of(7, 7);
  const opt = new Adam([{ params: [c] }, { params: [a, b], lr: 0.01 }], { lr: 0.1 });
  train(opt, [c, a, b]);
  return { params: { a, b, c, frozen }, opt };
}

describe('optimizerParams: which parameter each optimizer buffer is', () => {
  test('a live two-group optimizer records its buffers by name, in its flat order', () => {
    const { params, opt } = twoGroupRun();
    const bytes = encodeCheckpoint({ params, optimizer: opt });
    assert.deepEqual(headerOf(bytes).descent.optimizerParams, ['c', 'a', 'b']);
    const back = decodeCheckpoint(bytes);
    assert.deepEqual(back.optimizerParams, ['c', 'a', 'b']);
    assert.deepEqual(back.optimizer, opt.stateDict());
  });

  test('a plain state dict records null, and a load gives no optimizerParams', () => {
    const { params, opt } = twoGroupRun();
    const bytes = encodeCheckpoint({ params, optimizer: opt.stateDict() });
    assert.equal(headerOf(bytes).descent.optimizerParams, null);
    assert.equal('optimizerParams' in decodeCheckpoint(bytes), false);
  });

  test('load then save writes the same bytes (names, shapes and all)', async () => {
    const { params, opt } = twoGroupRun();
    const sched = new StepLR(opt, { stepSize: 2 });
    const bytes = encodeCheckpoint({ params, optimizer: opt, scheduler: sched.stateDict() });
    assert.deepEqual(encodeCheckpoint(decodeCheckpoint(bytes)), bytes);
    const path = join(tmp(), 'run.safetensors');
    await saveCheckpoint(path, decodeCheckpoint(bytes));
    await saveCheckpoint(path, await loadCheckpoint(path));
    assert.deepEqual(new Uint8Array(readFileSync(path)), bytes);
  });
});

describe('a save that cannot be recorded faithfully is refused, and nothing is written', () => {
  const cases: [string, () => CheckpointContent, RegExp][] = [
    [
      'a live optimizer stepping a buffer that is not among params',
      () => {
        const { params, opt } = twoGroupRun();
        return { params: { a: params.a, c: params.c }, optimizer: opt };
      },
      /the optimizer's parameter 2 \(a Float32Array of 3\) is not among the parameters given/,
    ],
    [
      'one buffer under two names',
      () => {
        const { params, opt } = twoGroupRun();
        return { params: { ...params, again: params.a }, optimizer: opt };
      },
      /the optimizer's parameter 1 is given under two names, a and again/,
    ],
    [
      'a shape of another element count',
      () => ({ params: { w: new Float32Array(6) }, shapes: { w: [4, 2] } }),
      /shapes.w is \[4, 2\] \(8 elements\), the parameter has 6/,
    ],
    [
      'a shape for a parameter that does not exist',
      () => ({ params: { w: new Float32Array(6) }, shapes: { q: [6] } }),
      /shapes.q is given, but there is no parameter q/,
    ],
    [
      'a shape that is not a list of integers',
      () => ({ params: { w: new Float32Array(6) }, shapes: { w: [2.5, 2] } }),
      /shapes.w must be a list of integers >= 0, got \[2.5,2\]/,
    ],
    [
      'optimizerParams naming a parameter that does not exist',
      () => {
        const { params, opt } = twoGroupRun();
        return { params, optimizer: opt.stateDict(), optimizerParams: ['c', 'a', 'x'] };
      },
      /optimizerParams\[2\] is x, which is not a parameter/,
    ],
    [
      'optimizerParams of another count than the state dict',
      () => {
        const { params, opt } = twoGroupRun();
        return { params, optimizer: opt.stateDict(), optimizerParams: ['c', 'a'] };
      },
      /optimizerParams has 2 names, the optimizer state 3 parameters/,
    ],
    [
      'optimizerParams naming a parameter of another length',
      () => {
        const { params, opt } = twoGroupRun();
        return { params, optimizer: opt.stateDict(), optimizerParams: ['c', 'b', 'a'] };
      },
      /optimizer parameter 1 has length 2, its parameter b 3/,
    ],
    [
      'optimizerParams disagreeing with the live optimizer',
      () => {
        const { params, opt } = twoGroupRun();
        return { params, optimizer: opt, optimizerParams: ['a', 'c', 'b'] };
      },
      /optimizerParams \[a, c, b\] disagrees with the live optimizer's buffers \[c, a, b\]/,
    ],
  ];
  for (const [what, make, message] of cases) {
    test(what, async () => {
      assert.throws(() => encodeCheckpoint(make()), message);
      const dir = tmp();
      const path = join(dir, 'run.safetensors');
      await assert.rejects(saveCheckpoint(path, make()), message);
      assert.equal(existsSync(path), false);
      await saveCheckpoint(path, { params: { w: Float32Array.of(1) } });
      const before = readFileSync(path);
      await assert.rejects(saveCheckpoint(path, make()), message);
      assert.deepEqual(readFileSync(path), before);
    });
  }
});

describe('a version 2 header that contradicts its tensors is refused on load', () => {
  /** A good checkpoint's tensors and descent header, changed by `edit`, CRC and all. */
  type Header = { params: Record<string, unknown>; optimizerParams: unknown; version: unknown };
  const edited = (edit: (h: Header) => void) => {
    const { params, opt } = twoGroupRun();
    const { tensors, metadata } = checkpointTensors({ params, optimizer: opt });
    const h = JSON.parse(metadata.descent!);
    edit(h);
    return encodeSafetensors(tensors, { descent: JSON.stringify(h) });
  };
  const cases: [string, (h: Header) => void, RegExp][] = [
    [
      'a parameter missing from params',
      (h) => delete h.params.frozen,
      /its params entry lists \[a, b, c\], the tree holds \[a, b, c, frozen\]/,
    ],
    [
      'a recorded shape that is not its tensor shape',
      (h) => (h.params.b = { shape: [1, 3] }),
      /parameter b is recorded with shape \[1,3\], its tensor has \[3\]/,
    ],
    [
      'optimizerParams naming a parameter that does not exist',
      (h) => (h.optimizerParams = ['c', 'a', 'z']),
      /optimizerParams\[2\] is z, which is not a parameter/,
    ],
    [
      'optimizerParams naming one parameter twice',
      (h) => (h.optimizerParams = ['c', 'a', 'a']),
      /optimizerParams names a twice/,
    ],
    [
      'optimizerParams of another count than the optimizer state',
      (h) => (h.optimizerParams = ['c', 'a', 'b', 'frozen']),
      /optimizerParams has 4 names, the optimizer state 3 parameters/,
    ],
    [
      'a version this descent does not read',
      (h) => (h.version = 3),
      /version 3 is not supported \(this descent reads versions 1 and 2\)/,
    ],
  ];
  for (const [what, edit, message] of cases) {
    test(what, () =>
      assert.throws(
        () => decodeCheckpoint(edited(edit)),
        (e: Error) => e instanceof CheckpointError && message.test(e.message),
      ),
    );
  }
});

/** Two groups of one buffer each, of the same length: the flat order alone cannot tell them. */
function sameLengthRun() {
  const w1 = Float32Array.of(1, 2, 3);
  const w2 = Float32Array.of(-1, -2, -3);
  const opt = new Adam([
    { params: [w1], lr: 0.1 },
    { params: [w2], lr: 0.01 },
  ]);
  train(opt, [w1, w2]);
  return { w1, w2, opt };
}

describe('restore checks each optimizer buffer against the parameter the checkpoint names', () => {
  test('an optimizer built over the parameters in the saved order restores and continues', () => {
    const saved = sameLengthRun();
    const c = decodeCheckpoint(
      encodeCheckpoint({ params: { w1: saved.w1, w2: saved.w2 }, optimizer: saved.opt }),
    );
    const v1 = new Float32Array(3);
    const v2 = new Float32Array(3);
    const opt = new Adam([{ params: [v1] }, { params: [v2] }]);
    restoreCheckpoint(c, { params: { w1: v1, w2: v2 }, optimizer: opt });
    train(opt, [v1, v2]);
    train(saved.opt, [saved.w1, saved.w2]);
    assert.deepEqual([v1, v2], [saved.w1, saved.w2]);
  });

  /** A target that must not change: its parameters, optimizer and scheduler as they were. */
  function target(build: (v1: Float32Array, v2: Float32Array) => Adam) {
    const v1 = Float32Array.of(9, 9, 9);
    const v2 = Float32Array.of(8, 8, 8);
    const opt = build(v1, v2);
    train(opt, [...opt.params]);
    const sched = new StepLR(opt, { stepSize: 5 });
    sched.step();
    const snapshot = () => ({
      v1: v1.slice(),
      v2: v2.slice(),
      opt: opt.stateDict(),
      sched: sched.stateDict(),
    });
    return { v1, v2, opt, sched, snapshot, before: snapshot() };
  }

  const cases: [string, (v1: Float32Array, v2: Float32Array) => Adam, RegExp][] = [
    [
      'buffers in another order (the groups swapped)',
      (v1, v2) =>
        new Adam([
          { params: [v2], lr: 0.1 },
          { params: [v1], lr: 0.01 },
        ]),
      /optimizer parameter 0 is w1 in the checkpoint, w2 here: this optimizer steps \[w2, w1\], the saved one \[w1, w2\]; build it over the parameters in the saved order and groups/,
    ],
    [
      'fewer buffers',
      (v1) => new Adam([v1]),
      /its optimizer steps \[w1, w2\], this one \[w1\]; build the optimizer over the parameters the saved run stepped/,
    ],
    [
      'a buffer that is not among the parameters given',
      (v1) => new Adam([{ params: [v1] }, { params: [new Float32Array(3)] }]),
      /the optimizer's parameter 1 \(a Float32Array of 3\) is not among the parameters given/,
    ],
  ];
  for (const [what, build, message] of cases) {
    test(`refused: ${what}; the parameters, optimizer and scheduler keep their state`, () => {
      const saved = sameLengthRun();
      const c = decodeCheckpoint(
        encodeCheckpoint({ params: { w1: saved.w1, w2: saved.w2 }, optimizer: saved.opt }),
      );
      const t = target(build);
      assert.throws(
        () =>
          restoreCheckpoint(c, {
            params: { w1: t.v1, w2: t.v2 },
            optimizer: t.opt,
            scheduler: t.sched,
          }),
        (e: Error) => e instanceof CheckpointError && message.test(e.message),
      );
      assert.deepEqual(t.snapshot(), t.before);
    });
  }

  test('without optimizerParams (version 1, or a state dict saved) the flat order is trusted', () => {
    const saved = sameLengthRun();
    const c = decodeCheckpoint(
      encodeCheckpoint({
        params: { w1: saved.w1, w2: saved.w2 },
        optimizer: saved.opt.stateDict(),
      }),
    );
    const t = target((v1, v2) => new Adam([{ params: [v2] }, { params: [v1] }]));
    // Documented in docs/checkpoint-format.md: nothing can tell the two buffers apart here.
    restoreCheckpoint(c, { params: { w1: t.v1, w2: t.v2 }, optimizer: t.opt });
    assert.deepEqual(t.opt.stateDict().state, saved.opt.stateDict().state);
  });
});

describe('version 1 files still load', () => {
  // Written by the code of the commit before version 2 (git archive HEAD, then encodeCheckpoint
  // of the run below): Adam with AMSGrad in two groups, StepLR, an Infinity in extra.
  const FIXTURE = new URL('./fixtures/checkpoint-v1.safetensors', import.meta.url);
  function v1Run() {
    const w = Float32Array.of(1, -2, 3);
    const b = Float64Array.of(0.5);
    const opt = new Adam([{ params: [w] }, { params: [b], lr: 0.01 }], { lr: 0.1, amsgrad: true });
    const sched = new StepLR(opt, { stepSize: 2 });
    for (let k = 0; k < 3; k++) {
      opt.step([Float32Array.of(k, 1, -1), Float64Array.of(0.3)]);
      sched.step();
    }
    return { w, b, opt, sched };
  }

  test('decodes to the content it was written from, without shapes or optimizerParams', async () => {
    const { w, b, opt, sched } = v1Run();
    const expected = {
      params: { w, b },
      optimizer: opt.stateDict(),
      scheduler: sched.stateDict(),
      extra: { step: 3, note: 'x', best: Infinity },
    };
    assert.equal(headerOf(new Uint8Array(readFileSync(FIXTURE))).descent.version, 1);
    assert.deepEqual(await loadCheckpoint(FIXTURE.pathname), expected);
  });

  test('restores and continues like the run it came from; saved again, it is version 2', async () => {
    const ref = v1Run();
    const c = await loadCheckpoint(FIXTURE.pathname);
    const w = new Float32Array(3);
    const b = new Float64Array(1);
    const opt = new Adam([{ params: [w] }, { params: [b] }], { amsgrad: true });
    const sched = new StepLR(opt, { stepSize: 2 });
    restoreCheckpoint(c, { params: { w, b }, optimizer: opt, scheduler: sched });
    for (const [o, s, p] of [
      [opt, sched, [w, b]],
      [ref.opt, ref.sched, [ref.w, ref.b]],
    ] as const) {
      train(o, [...p]);
      s.step();
    }
    assert.deepEqual([w, b], [ref.w, ref.b]);
    const again = headerOf(encodeCheckpoint(c)).descent;
    assert.deepEqual(
      [again.version, again.params, again.optimizerParams],
      [2, { w: { shape: [3] }, b: { shape: [1] } }, null],
    );
  });
});

/** float16 bits to their value, from the IEEE 754 definition (the oracle of the conversion). */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  return sign * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
}

/** A file from another producer: no __metadata__, F16, BF16, F32 and an I64 counter. */
function foreignFile() {
  const half = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001); // 1, -2, 65504, 2^-24
  // bfloat16 is the top half of a float32: these float32 values have a zero bottom half.
  const bfValues = Float32Array.of(1.5, -0.15625, 3.140625);
  const bf = Uint16Array.from(new Uint32Array(bfValues.buffer), (u) => u >>> 16);
  const bias = Float32Array.of(0.25, -0.75);
  const step = BigInt64Array.of(1000n);
  const bytes = handWritten([
    ['emb.weight', 'F16', [2, 2], bytesOf(half)],
    ['norm.weight', 'BF16', [3], bytesOf(bf)],
    ['head.bias', 'F32', [2], bytesOf(bias)],
    ['step', 'I64', [1], bytesOf(step)],
  ]);
  return { bytes, half, bfValues, bias };
}

describe('weights from any safetensors producer', () => {
  test('F16 and BF16 widen exactly to float32; F32 as it is; integers as their own arrays', async () => {
    const { bytes, half, bfValues, bias } = foreignFile();
    assert.throws(() => decodeSafetensors(bytes), /no __metadata__ of strings/);
    const weights = decodeWeights(bytes);
    assert.deepEqual(Object.keys(weights), ['emb.weight', 'norm.weight', 'head.bias', 'step']);
    assert.deepEqual(weights['emb.weight'], {
      dtype: 'F16',
      shape: [2, 2],
      data: Float32Array.from(half, halfValue),
    });
    assert.deepEqual(weights['norm.weight'], { dtype: 'BF16', shape: [3], data: bfValues });
    assert.deepEqual(weights['head.bias'], { dtype: 'F32', shape: [2], data: bias });
    assert.deepEqual(weights.step, { dtype: 'I64', shape: [1], data: BigInt64Array.of(1000n) });
    const path = join(tmp(), 'model.safetensors');
    writeFileSync(path, bytes);
    assert.deepEqual(await loadWeights(path), weights);
  });

  test('every one of the 65536 float16 values converts as IEEE 754 defines it', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const got = decodeWeights(handWritten([['h', 'F16', [65536], bytesOf(all)]])).h!.data;
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      assert.ok(Object.is(got[h], want) || (Number.isNaN(want) && Number.isNaN(got[h])), `${h}`);
    }
  });

  test('assignWeights copies by name into float32 and float64 and names the weights left', () => {
    const weights = decodeWeights(foreignFile().bytes);
    const emb = new Float32Array(4);
    const norm = new Float64Array(3);
    const head = new Float32Array(2);
    const unused = assignWeights(weights, {
      'emb.weight': emb,
      'norm.weight': norm,
      'head.bias': head,
    });
    assert.deepEqual(unused, ['step']);
    assert.deepEqual(emb, weights['emb.weight']!.data);
    assert.deepEqual(norm, Float64Array.from(weights['norm.weight']!.data as Float32Array));
    assert.deepEqual(head, weights['head.bias']!.data);
  });

  const f64 = (): Record<string, Weight> => ({
    x: { dtype: 'F64', shape: [2], data: Float64Array.of(0.1, 0.2) },
  });
  const refusals: [string, () => Record<string, Weight>, Record<string, FloatBuffer>, RegExp][] = [
    [
      'a parameter with no weight of its name',
      () => decodeWeights(foreignFile().bytes),
      { 'head.bias': new Float32Array(2), 'head.weight': new Float32Array(4) },
      /parameter head.weight has no weight of that name \(the weights are \[emb.weight, norm.weight, head.bias, step\]\)/,
    ],
    [
      'a weight of another length',
      () => decodeWeights(foreignFile().bytes),
      { 'head.bias': new Float32Array(2), 'emb.weight': new Float32Array(5) },
      /weight emb.weight has shape \[2, 2\] \(4 elements\), parameter emb.weight has 5/,
    ],
    [
      'an integer tensor',
      () => decodeWeights(foreignFile().bytes),
      { 'head.bias': new Float32Array(2), step: new Float64Array(1) },
      /weight step is I64, not floating point: parameter step \(a Float64Array\) cannot hold it/,
    ],
    [
      'F64 into a Float32Array, which would round it',
      f64,
      { x: new Float32Array(2) },
      /weight x is F64, which parameter x \(a Float32Array\) would round; convert it first/,
    ],
  ];
  for (const [what, weights, params, message] of refusals) {
    test(`assignWeights refuses ${what}, and no parameter changes`, () => {
      for (const p of Object.values(params)) p.fill(7);
      const before = Object.values(params).map((p) => p.slice());
      assert.throws(
        () => assignWeights(weights(), params),
        (e: Error) => e instanceof CheckpointError && message.test(e.message),
      );
      assert.deepEqual(Object.values(params), before);
    });
  }

  test('F64 goes into a Float64Array exactly', () => {
    const x = new Float64Array(2);
    assert.deepEqual(assignWeights(f64(), { x }), []);
    assert.deepEqual(x, Float64Array.of(0.1, 0.2));
  });

  const broken: [string, () => Uint8Array, RegExp][] = [
    [
      'a truncated tensor section',
      () => foreignFile().bytes.slice(0, -1),
      /the tensors need \d+ \(truncated\?\)/,
    ],
    [
      'a dtype descent does not read',
      () => handWritten([['q', 'F8_E4M3', [2], Uint8Array.of(1, 2)]]),
      /tensor q has unknown dtype "F8_E4M3"/,
    ],
    [
      'overlapping tensors',
      () => {
        const b = handWritten([
          ['a', 'F32', [1], new Uint8Array(4)],
          ['b', 'F32', [1], new Uint8Array(4)],
        ]);
        return new TextEncoder().encode(
          new TextDecoder('latin1').decode(b).replace('[4,8]', '[0,4]'),
        );
      },
      /tensor (a|b) starts at byte 0, expected 4 \(overlap or gap\)/,
    ],
    [
      'metadata that is not strings',
      () => handWritten([['a', 'F32', [1], new Uint8Array(4)]], { format: 1 }),
      /its __metadata__ is not an object of strings/,
    ],
    [
      'a descent checkpoint with a flipped byte (its CRC-32 is checked)',
      () => {
        const b = encodeCheckpoint({ params: { w: Float32Array.of(1, 2) } });
        b[b.length - 1]! ^= 1;
        return b;
      },
      /the checksum does not match/,
    ],
  ];
  for (const [what, make, message] of broken) {
    test(`the structure is still checked: ${what} is refused`, async () => {
      const check = (e: Error) =>
        e instanceof CheckpointError &&
        /not a valid safetensors file/.test(e.message) &&
        message.test(e.message);
      assert.throws(() => decodeWeights(make()), check);
      const path = join(tmp(), 'broken.safetensors');
      writeFileSync(path, make());
      await assert.rejects(loadWeights(path), check);
    });
  }

  test('metadata of strings (PyTorch writes {"format": "pt"}) and descent checkpoints read', () => {
    const pt = handWritten([['a', 'F32', [1], bytesOf(Float32Array.of(2))]], { format: 'pt' });
    assert.deepEqual(decodeWeights(pt).a!.data, Float32Array.of(2));
    const ckpt = encodeCheckpoint({ params: { w: Float32Array.of(1, 2) } });
    assert.deepEqual(Object.keys(decodeWeights(ckpt)), ['params.w']);
  });

  test("a Node Buffer (readFileSync's, a view into a shared pool) decodes as its bytes", () => {
    const path = join(tmp(), 'model.safetensors');
    const { bytes } = foreignFile();
    writeFileSync(path, bytes);
    assert.deepEqual(decodeWeights(readFileSync(path)), decodeWeights(bytes));
    const ckpt = encodeCheckpoint({ params: { w: Float32Array.of(1, 2) }, extra: { n: 1 } });
    writeFileSync(path, ckpt);
    assert.deepEqual(decodeCheckpoint(readFileSync(path)), decodeCheckpoint(ckpt));
  });

  test('a missing weights file is named', async () => {
    await assert.rejects(
      loadWeights(join(tmp(), 'none.safetensors')),
      /weights file .*none.safetensors does not exist/,
    );
  });
});

describe('docs/checkpoint-format.md: its worked example is what descent writes', () => {
  const doc = readFileSync(new URL('../docs/checkpoint-format.md', import.meta.url), 'utf8');
  const fixture = new Uint8Array(
    readFileSync(new URL('./fixtures/checkpoint-v2-example.safetensors', import.meta.url)),
  );
  /** The code block after `<!-- example:<tag> -->` in the document. */
  const block = (tag: string) => {
    const m = new RegExp(`<!-- example:${tag} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(doc);
    assert.ok(m, `no block ${tag}`);
    return m[1]!;
  };
  const n = Number(new DataView(fixture.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(fixture.subarray(8, 8 + n)));

  test('the fixture is what encodeCheckpoint writes for the run the document shows', () => {
    const w = Float32Array.of(1, 2, 3, 4);
    const b = Float32Array.of(0.5, -0.5);
    const opt = new SGD(
      [
        { params: [b], lr: 0.25 },
        { params: [w], shapes: [[2, 2]] },
      ],
      {
        lr: 0.5,
        momentum: 0.5,
      },
    );
    opt.step([Float32Array.of(1, -1), Float32Array.of(0.5, 0.5, -0.5, 1)]);
    const sched = new StepLR(opt, { stepSize: 10 });
    sched.step();
    const bytes = encodeCheckpoint({
      params: { w, b },
      optimizer: opt,
      scheduler: sched.stateDict(),
      extra: { step: 1, best: NaN },
    });
    assert.deepEqual(bytes, fixture);
    assert.match(doc, new RegExp(`\\(${fixture.length} bytes\\)`));
    assert.match(doc, new RegExp(`\\(N = ${n}\\)`));
  });

  test('the header, the descent header and the data are as the document shows them', () => {
    const shown = JSON.parse(block('header'));
    assert.deepEqual(shown, {
      ...header,
      __metadata__: { ...header.__metadata__, descent: '…' },
    });
    assert.deepEqual(JSON.parse(block('descent')), JSON.parse(header.__metadata__.descent));
    const words = [...block('data').matchAll(/\b[0-9a-f]{8}\b/g)].map((m) => m[0]).join('');
    assert.equal(words, Buffer.from(fixture.subarray(8 + n)).toString('hex'));
  });

  test("the CRC-32 is computed as section 6 says, and a writer following it writes descent's bytes", () => {
    const crc = header.__metadata__['descent.crc32'];
    assert.match(doc, new RegExp(`is\\s+\`0x${crc}\``));
    // Section 6's steps, from the parsed header: compact JSON, pad, CRC, then the value.
    const entries = {
      ...header,
      __metadata__: { ...header.__metadata__, 'descent.crc32': '00000000' },
    };
    let text = JSON.stringify(entries);
    text += ' '.repeat((8 - ((8 + text.length) % 8)) % 8);
    const head = Buffer.from(text);
    const data = fixture.subarray(8 + n);
    const value = crc32(data, crc32(head)).toString(16).padStart(8, '0');
    assert.equal(value, crc);
    const written = Buffer.from(
      text.replace('"descent.crc32":"00000000"', `"descent.crc32":"${value}"`),
    );
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(written.length));
    assert.deepEqual(new Uint8Array(Buffer.concat([length, written, data])), fixture);
  });
});
