import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { FIXTURE_DIR } from './helpers/fixtures.ts';

// The CLI is tested as users run it: the built bin (npm test builds first).
const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
const fixture = (name: string) => join(FIXTURE_DIR, name);

describe('descent --help', () => {
  for (const args of [['--help'], ['replay', '--help']]) {
    test(args.join(' '), () => {
      const r = cli(...args);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Usage: descent/);
    });
  }
});

describe('descent replay', () => {
  test('prints one JSON line per case with the trajectory', () => {
    const r = cli('replay', fixture('adam_plain__ls.json'), fixture('sgd_plain__saddle.json'));
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.name),
      ['adam_plain__ls', 'sgd_plain__saddle'],
    );
    const ref = JSON.parse(readFileSync(fixture('adam_plain__ls.json'), 'utf8'));
    assert.equal(lines[0].trajectory.length, ref.steps);
  });

  test('--check passes on the golden cases', () => {
    const r = cli(
      'replay',
      '--check',
      fixture('nadam_plain__rosen.json'),
      fixture('radam_plain__ls.json'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /2 passed, 0 failed/);
  });

  test('--check fails on a tampered reference and says which', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-'));
    const c = JSON.parse(readFileSync(fixture('adam_plain__ls.json'), 'utf8'));
    c.trajectory[50][2] += 1e-6;
    const file = join(dir, 'tampered.json');
    writeFileSync(file, JSON.stringify(c));
    const r = cli('replay', '--check', file);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /"name":"adam_plain__ls".*"pass":false/);
  });

  test('reference fields may be absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-'));
    const c = JSON.parse(readFileSync(fixture('rmsprop_plain__rosen.json'), 'utf8'));
    for (const k of ['trajectory', 'loss', 'lr']) delete c[k];
    const file = join(dir, 'bare.json');
    writeFileSync(file, JSON.stringify(c));
    const r = cli('replay', file);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).trajectory.length, c.steps);
  });

  const bad: [string, string[], RegExp][] = [
    [
      'a missing file',
      ['replay', '/nonexistent/case.json'],
      /^descent: \/nonexistent\/case.json: ENOENT/,
    ],
    ['an unknown option', ['replay', '--chek', 'x.json'], /unknown option '--chek'/],
    ['a bad --dtype', ['replay', '--dtype', 'int8', 'x.json'], /argument 'int8' is invalid/],
    ['no case', ['replay'], /missing required argument 'case'/],
  ];
  for (const [what, args, message] of bad) {
    test(`${what}: one clear line, exit non-zero, no stack trace`, () => {
      const r = cli(...args);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  test('a file that is not a case is named with what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ optimizer: 'Adam', x0: [1], steps: 1, problem: { kind: 'cube' } }),
    );
    const r = cli('replay', file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad.json: unknown problem kind "cube"/);
  });
});

test('replay --check --dtype float32 holds the float32 bound on the golden cases', () => {
  const r = cli(
    'replay',
    '--check',
    '--dtype',
    'float32',
    fixture('adam_plain__rosen.json'),
    fixture('sgd_momentum__ls.json'),
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /2 passed, 0 failed/);
});
