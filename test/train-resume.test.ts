import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
const RUN = [
  'train',
  '--problem',
  'digits-logreg',
  '--optimizer',
  'adam',
  '--lr',
  '0.01',
  '--epochs',
  '30',
  '--quiet',
  '--json',
];
const final = (stdout: string) => JSON.parse(stdout).final;

function train(extra: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...RUN, ...extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Starts the run with checkpoints and SIGKILLs it once a checkpoint exists. */
function killAfterCheckpoint(ckpt: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...RUN, '--checkpoint', ckpt, '--every', '5']);
    const poll = setInterval(() => {
      if (existsSync(ckpt)) {
        clearInterval(poll);
        // A random moment after the first checkpoint.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 100);
      }
    }, 2);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the run ended (${code}) before the kill; make it longer`));
    });
  });
}

describe('descent train --checkpoint / --resume', () => {
  test('killed with SIGKILL after a checkpoint, resumed: the same final parameters, bit for bit', async () => {
    const straight = final(train([]));
    const ckpt = join(mkdtempSync(join(tmpdir(), 'descent-train-')), 'run.safetensors');
    await killAfterCheckpoint(ckpt);
    const resumed = final(train(['--resume', ckpt]));
    assert.equal(resumed.paramsHash, straight.paramsHash);
    assert.deepEqual(resumed, straight);
  });

  test('its checkpoints name the optimizer buffers and record the model shapes', () => {
    const ckpt = join(mkdtempSync(join(tmpdir(), 'descent-train-')), 'run.safetensors');
    train(['--checkpoint', ckpt, '--epochs', '1']);
    const bytes = readFileSync(ckpt);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
    const descent = JSON.parse(header.__metadata__.descent);
    assert.deepEqual(descent.optimizerParams, ['p0', 'p1']);
    // digits-logreg: a weight matrix (64 inputs x 10 classes), then the biases.
    assert.deepEqual(descent.params, { p0: { shape: [64, 10] }, p1: { shape: [10] } });
    assert.deepEqual(header['params.p0'].shape, [64, 10]);
    assert.deepEqual(header['optimizer.state.0.exp_avg'].shape, [64, 10]);
  });

  test('a checkpoint of another run is refused with the differing setting, nothing trained', () => {
    const ckpt = join(mkdtempSync(join(tmpdir(), 'descent-train-')), 'run.safetensors');
    train(['--checkpoint', ckpt, '--epochs', '1']);
    const r = spawnSync(process.execPath, [BIN, ...RUN, '--seed', '3', '--resume', ckpt], {
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr.trim(),
      /^descent: .*run.safetensors: the checkpoint is from seed 0, this run has 3$/,
    );
    assert.equal(r.stdout, '');
  });

  test('resuming with fewer --epochs than the checkpoint has done is refused; as many says so', () => {
    const ckpt = join(mkdtempSync(join(tmpdir(), 'descent-train-')), 'run.safetensors');
    train(['--checkpoint', ckpt, '--epochs', '3']);
    const fewer = spawnSync(process.execPath, [BIN, ...RUN, '--epochs', '2', '--resume', ckpt], {
      encoding: 'utf8',
    });
    assert.equal(fewer.status, 1);
    assert.match(
      fewer.stderr,
      /already trained 3 epochs, more than --epochs 2; give --epochs 4 or more/,
    );
    assert.equal(fewer.stdout, '');
    const same = spawnSync(
      process.execPath,
      [BIN, ...RUN.filter((a) => a !== '--quiet'), '--epochs', '3', '--resume', ckpt],
      { encoding: 'utf8' },
    );
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stderr, /already trained all 3 epochs; nothing left to train/);
    assert.equal(final(same.stdout).epochs, 3);
  });

  test('a corrupted or missing checkpoint is refused in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-train-'));
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, 'not a checkpoint at all');
    for (const [file, message] of [
      [bad, /bad.safetensors: not a valid descent checkpoint/],
      [join(dir, 'missing.safetensors'), /missing.safetensors does not exist/],
    ] as const) {
      const r = spawnSync(process.execPath, [BIN, ...RUN, '--resume', file], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr.trim(), message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});
