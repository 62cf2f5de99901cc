import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

// Every subcommand, given a missing file, a wrong option name, a value of the wrong type or out
// of range: one clear line on stderr, a non-zero exit, no stack trace (unless --debug).
const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
const cli = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

const CASES: [string, string[], RegExp][] = [
  ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ['compare: unknown option', ['compare', '--problems', 'beale'], /unknown option '--problems'/],
  [
    'compare: wrong type',
    ['compare', '--seeds', 'three'],
    /'three' is invalid. must be an integer >= 1/,
  ],
  [
    'compare: out of range',
    ['compare', '--lr', '0'],
    /'0' is invalid. must be a finite number > 0/,
  ],
  ['compare: unknown problem', ['compare', '--problem', 'rosenbrok'], /unknown: rosenbrok; known:/],
  [
    'compare: missing data dir',
    ['compare', '--problem', 'fashion-mlp', '--data', '/nonexistent'],
    /\/nonexistent/,
  ],
  [
    'advise: missing file',
    ['advise', '--data-file', '/nonexistent.csv'],
    /data file \/nonexistent.csv does not exist/,
  ],
  ['advise: unknown option', ['advise', '--problme', 'beale'], /unknown option '--problme'/],
  [
    'advise: out of range',
    ['advise', '--problem', 'beale', '--seeds', '0'],
    /must be an integer >= 1/,
  ],
  ['replay: missing file', ['replay', '/nonexistent.json'], /\/nonexistent.json: ENOENT/],
  ['replay: wrong choice', ['replay', '--dtype', 'int8', 'x.json'], /argument 'int8' is invalid/],
  [
    'train: unknown problem',
    ['train', '--problem', 'nope', '--optimizer', 'adam'],
    /unknown problem "nope"/,
  ],
  ['train: unknown optimizer', ['train', '--problem', 'beale', '--optimizer', 'adamm'], /adamm/],
  [
    'train: wrong type',
    ['train', '--problem', 'beale', '--optimizer', 'adam', '--lr', 'abc'],
    /'abc' is invalid. must be a finite number > 0/,
  ],
  [
    'train: out of range',
    ['train', '--problem', 'beale', '--optimizer', 'adam', '--batch-size', '0'],
    /must be 'full' or an integer >= 1/,
  ],
  [
    'train: missing data dir',
    ['train', '--problem', 'fashion-logreg', '--optimizer', 'adam', '--data', '/nonexistent'],
    /\/nonexistent/,
  ],
  ['playground: out of range', ['playground', '--port', '99999', '--no-build'], /port/],
  ['bench: unknown option', ['bench', '--fast'], /unknown option '--fast'/],
];

describe('bad input on the command line: one clear line, exit non-zero', () => {
  for (const [what, args, message] of CASES) {
    test(what, () => {
      const r = cli(args);
      assert.notEqual(r.status, 0, r.stdout);
      const err = r.stderr.trim();
      assert.match(err, message);
      // Commander may add its spelling suggestion, "(Did you mean --problem?)", on a line of its own.
      const lines = err.split('\n').filter((l) => !/^\(Did you mean .*\?\)$/.test(l));
      assert.equal(lines.length, 1, `one line, got:\n${err}`);
      assert.doesNotMatch(err, /\n\s+at |Error: .*\n/);
    });
  }

  test('--debug adds the stack trace', () => {
    const r = cli(['--debug', 'replay', '/nonexistent.json']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\n\s+at /);
  });
});
