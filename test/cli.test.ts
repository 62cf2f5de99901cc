import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { EXTRA_FIXTURE_DIR, FIXTURE_DIR } from './helpers/fixtures.ts';

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

  test('second-wave cases print what they record, and --check compares it (L-BFGS counts exactly)', () => {
    const extra = (name: string) => join(EXTRA_FIXTURE_DIR, name);
    const files = [
      'lbfgs_wolfe__rosen.json',
      'sfadamw_default__matb.json',
      'asgd_averaging__ls.json',
      'prodigy_default__ls.json',
    ].map(extra);
    const r = cli('replay', ...files);
    assert.equal(r.status, 0, r.stderr);
    const [lbfgs, sf, asgd, prodigy] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const ref = JSON.parse(readFileSync(files[0]!, 'utf8'));
    assert.deepEqual(lbfgs.closure_evals, ref.closure_evals);
    assert.deepEqual(lbfgs.iterations, ref.iterations);
    assert.equal(sf.trajectory_eval.length, sf.trajectory.length);
    assert.equal(asgd.ax.length, asgd.trajectory.length);
    assert.equal(prodigy.d.length, prodigy.trajectory.length);
    const check = cli('replay', '--check', ...files);
    assert.equal(check.status, 0, check.stdout);
    assert.match(check.stderr, /4 passed, 0 failed/);
    // A tampered count fails, though the trajectory is untouched.
    const dir = mkdtempSync(join(tmpdir(), 'descent-'));
    ref.closure_evals[2] += 1;
    const file = join(dir, 'lbfgs.json');
    writeFileSync(file, JSON.stringify(ref));
    assert.equal(cli('replay', '--check', file).status, 1);
  });

  test('float32 --check says where its bound is vacuous (Prodigy, d0 = 1e-6)', () => {
    const r = cli(
      'replay',
      '--check',
      '--dtype',
      'float32',
      join(EXTRA_FIXTURE_DIR, 'prodigy_default__ls.json'),
      join(EXTRA_FIXTURE_DIR, 'lion_default__ls.json'),
    );
    assert.equal(r.status, 0, r.stdout);
    const [prodigy, lion] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.match(prodigy.checked, /finiteness only/);
    assert.equal(lion.checked, undefined);
    assert.ok(lion.bound < 1e-4);
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
