import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Adam, SGD, StepLR, SWATS } from '../packages/optim/src/node.ts';
import {
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  type CheckpointContent,
} from '../packages/optim/src/checkpoint/index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'descent-ckpt-'));

function trained() {
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

function content(): CheckpointContent {
  const { w, b, opt, sched } = trained();
  return {
    params: { w, b },
    shapes: { w: [3], b: [1] },
    optimizer: opt.stateDict(),
    scheduler: sched.stateDict(),
    extra: { step: 3, note: 'x', best: Infinity },
  };
}

describe('checkpoint format', () => {
  test('round-trips every number and buffer exactly', () => {
    const c = content();
    const back = decodeCheckpoint(encodeCheckpoint(c));
    assert.deepEqual(back, c);
  });

  test('tensors carry PyTorch names and the file is plain safetensors', () => {
    const bytes = encodeCheckpoint(content());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    for (const name of [
      'params.w',
      'params.b',
      'optimizer.state.0.exp_avg',
      'optimizer.state.0.exp_avg_sq',
      'optimizer.state.1.max_exp_avg_sq',
    ]) {
      assert.ok(name in header, name);
    }
    assert.deepEqual(header['params.w'].shape, [3]);
    assert.equal(header['params.w'].dtype, 'F32');
    assert.equal(header['params.b'].dtype, 'F64');
    assert.equal(JSON.parse(header.__metadata__.descent).version, 2);
  });
});

describe('corrupted, truncated and foreign files are refused, each with its own message', () => {
  const good = () => encodeCheckpoint(content());
  const headerLength = (b: Uint8Array) => Number(new DataView(b.buffer).getBigUint64(0, true));
  const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['an empty file', () => new Uint8Array(0), /the file is empty/],
    ['fewer than 8 bytes', (b) => b.slice(0, 5), /fewer than the 8-byte header length/],
    [
      'a truncated header',
      (b) => b.slice(0, 40),
      /the header claims \d+ bytes but the file has 32/,
    ],
    [
      'a truncated tensor section',
      (b) => b.slice(0, b.length - 3),
      /the tensors need \d+ \(truncated\?\)/,
    ],
    [
      'appended garbage',
      (b) => Uint8Array.from([...b, 1, 2, 3]),
      /3 bytes follow the last tensor \(appended garbage\?\)/,
    ],
    [
      'a flipped byte in a tensor',
      (b) => {
        const c = b.slice();
        c[c.length - 2]! ^= 0x10;
        return c;
      },
      /the checksum does not match: the file is corrupted/,
    ],
    [
      'a flipped byte inside a header number',
      (b) => {
        const c = b.slice();
        const at = new TextDecoder().decode(c).indexOf('"lastEpoch\\":3');
        c[at + 13]! ^= 0x01;
        return c;
      },
      /the checksum does not match/,
    ],
    [
      'a flipped byte breaking the header JSON',
      (b) => {
        const c = b.slice();
        c[8]! = 0x5d;
        return c;
      },
      /the header is not valid JSON|the header is not a JSON object/,
    ],
    [
      'a safetensors file from elsewhere',
      () => {
        const json = new TextEncoder().encode(
          JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }),
        );
        const out = new Uint8Array(8 + json.length + 4);
        new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
        out.set(json, 8);
        return out;
      },
      /no __metadata__ of strings \(not written by descent\?\)/,
    ],
  ];
  for (const [what, corrupt, message] of cases) {
    test(what, () => {
      const b = good();
      assert.ok(headerLength(b) > 0);
      assert.throws(
        () => decodeCheckpoint(corrupt(b)),
        (e: Error) => e instanceof CheckpointError && message.test(e.message),
      );
    });
  }

  test('every single flipped byte anywhere is refused, and a flip never crashes', () => {
    const b = good();
    for (let i = 0; i < b.length; i++) {
      const c = b.slice();
      c[i]! ^= 0x04;
      assert.throws(() => decodeCheckpoint(c), CheckpointError, `byte ${i}`);
    }
  });

  test('random bytes never crash or hang the loader', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withLength) => {
        const data = withLength
          ? Uint8Array.from([bytes.length & 0xff, 0, 0, 0, 0, 0, 0, 0, ...bytes])
          : bytes;
        try {
          decodeCheckpoint(data);
        } catch (e) {
          assert.ok(e instanceof CheckpointError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('restore: all or nothing', () => {
  test('restores parameters, optimizer and scheduler; training continues identically', () => {
    const c = decodeCheckpoint(encodeCheckpoint(content()));
    const w = new Float32Array(3);
    const b = new Float64Array(1);
    const opt = new Adam([{ params: [w] }, { params: [b] }], { amsgrad: true });
    const sched = new StepLR(opt, { stepSize: 2 });
    restoreCheckpoint(c, { params: { w, b }, optimizer: opt, scheduler: sched });
    const ref = trained();
    for (let k = 0; k < 4; k++) {
      const g = [Float32Array.of(1, k, 2), Float64Array.of(-k)];
      opt.step(g);
      sched.step();
      ref.opt.step(g.map((x) => x.slice()) as never);
      ref.sched.step();
    }
    assert.deepEqual([w, b], [ref.w, ref.b]);
  });

  const refusals: [string, () => void, RegExp][] = [
    [
      'another model (other names)',
      () =>
        restoreCheckpoint(decodeCheckpoint(encodeCheckpoint(content())), {
          params: { w: new Float32Array(3) },
        }),
      /it holds parameters \[w, b\], this model has \[w\] \(another model\?\)/,
    ],
    [
      'another model (other shapes)',
      () =>
        restoreCheckpoint(decodeCheckpoint(encodeCheckpoint(content())), {
          params: { w: new Float32Array(4), b: new Float64Array(1) },
        }),
      /parameter w has 3 elements, here 4 \(another model\?\)/,
    ],
    [
      'another dtype',
      () =>
        restoreCheckpoint(decodeCheckpoint(encodeCheckpoint(content())), {
          params: { w: new Float64Array(3), b: new Float64Array(1) },
        }),
      /parameter w is Float32Array, here Float64Array/,
    ],
  ];
  for (const [what, run, message] of refusals)
    test(`refuses ${what}`, () => assert.throws(run, message));

  test('another optimizer: refused, and every target keeps its state and values', () => {
    const c = decodeCheckpoint(encodeCheckpoint(content()));
    const w = Float32Array.of(9, 9, 9);
    const b = Float64Array.of(9);
    const opt = new SGD([{ params: [w] }, { params: [b] }], { lr: 0.3, momentum: 0.5 });
    opt.step([Float32Array.of(1, 1, 1), Float64Array.of(1)]);
    const sched = new StepLR(opt, { stepSize: 2 });
    const before = { opt: opt.stateDict(), sched: sched.stateDict(), w: w.slice(), b: b.slice() };
    assert.throws(
      () => restoreCheckpoint(c, { params: { w, b }, scheduler: sched, optimizer: opt }),
      /it was saved by Adam, not SGD/,
    );
    assert.deepEqual({ opt: opt.stateDict(), sched: sched.stateDict(), w, b }, before);
  });
});

describe('checkpoint files', () => {
  test('save then load; saving over an old checkpoint replaces it whole', async () => {
    const dir = tmp();
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, content());
    const c2 = content();
    (c2.extra as { step: number }).step = 4;
    await saveCheckpoint(path, c2);
    assert.deepEqual(await loadCheckpoint(path), c2);
    assert.deepEqual(readdirSync(dir), ['run.safetensors'], 'no temporary file is left');
  });

  test('a failed save leaves the target untouched and no temporary file', async () => {
    const dir = tmp();
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, content());
    const before = readFileSync(path);
    await assert.rejects(
      saveCheckpoint(path, { params: { w: new Float32Array(1) }, extra: { f: () => 1 } } as never),
      /cannot store a function at extra.f/,
    );
    const target = join(dir, 'a-directory');
    mkdirSync(target);
    await assert.rejects(saveCheckpoint(target, content()), /cannot write checkpoint/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir).sort(), ['a-directory', 'run.safetensors']);
  });

  test('a missing file is named', async () => {
    await assert.rejects(
      loadCheckpoint('/nonexistent/x.safetensors'),
      /checkpoint \/nonexistent\/x.safetensors does not exist/,
    );
  });

  test('a corrupted file is refused with its path', async () => {
    const path = join(tmp(), 'bad.safetensors');
    writeFileSync(path, 'garbage that is long enough');
    await assert.rejects(loadCheckpoint(path), /bad.safetensors: not a valid descent checkpoint/);
  });
});

// The crash test: start a run in a child process, SIGKILL it at a random moment after a
// checkpoint, resume from the last checkpoint, and compare with an uninterrupted run.
const RUN = fileURLToPath(new URL('./helpers/resume-run.ts', import.meta.url));
const TSX = ['--import', 'tsx'];

function runToEnd(config: string, steps: number, ckpt: string, resume = false) {
  const r = spawnSync(
    process.execPath,
    [...TSX, RUN, config, String(steps), ckpt, ...(resume ? ['--resume'] : [])],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

function killAfterCheckpoints(
  config: string,
  steps: number,
  ckpt: string,
  checkpoints: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX, RUN, config, String(steps), ckpt]);
    let seen = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      seen += (chunk.toString().match(/ckpt/g) ?? []).length;
      if (seen >= checkpoints) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended ${code} before the kill`)),
    );
  });
}

describe('resume after SIGKILL is bit-exact', () => {
  for (const config of ['adam', 'sgd-schedule', 'swats']) {
    test(config, async () => {
      const steps = 2000;
      const straight = runToEnd(config, steps, join(tmp(), 'straight.safetensors'));
      const ckpt = join(tmp(), 'run.safetensors');
      await killAfterCheckpoints(config, steps, ckpt, 1 + Math.floor(Math.random() * 5));
      assert.ok(existsSync(ckpt));
      const resumed = runToEnd(config, steps, ckpt, true);
      assert.deepEqual(resumed, straight);
      if (config === 'swats') assert.equal(straight.phase, 'second', 'the run crosses the switch');
    });
  }
});

test('SWATS resumed from a checkpoint taken before the switch switches at the same step', () => {
  const x = Float32Array.of(1, 2);
  const opt = new SWATS([x], { lr: 0.01, tolerance: 1e-6 });
  const c = { params: { x }, optimizer: opt.stateDict() };
  const y = new Float32Array(2);
  const other = new SWATS([y], { lr: 0.01, tolerance: 1e-6 });
  restoreCheckpoint(decodeCheckpoint(encodeCheckpoint(c)), { params: { x: y }, optimizer: other });
  for (let k = 0; k < 200; k++) {
    opt.step([Float32Array.of(x[0]!, 3 * x[1]!)]);
    other.step([Float32Array.of(y[0]!, 3 * y[1]!)]);
  }
  assert.deepEqual(other.event, opt.event);
  assert.deepEqual(y, x);
});
