import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { batchSize, positiveInt, positiveNumber } from '../packages/lab/src/cli/args.ts';
import { ensureWritableDir } from '../packages/lab/src/cli/writable.ts';
import { loadCsvSplit } from '../packages/lab/src/lab/index.ts';

// Issue 16, "CLI habits": what users of any command-line tool expect. The CLI is tested as
// users run it, from the built bin (npm test builds first).
const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
const SRC = fileURLToPath(new URL('../packages/lab/src/cli/main.ts', import.meta.url));
const PACKAGE = new URL('../packages/lab/package.json', import.meta.url);
const cli = (args: string[], o: Omit<SpawnSyncOptions, 'encoding'> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { timeout: 60_000, ...o, encoding: 'utf8' });
const tmp = () => mkdtempSync(join(tmpdir(), 'descent-habits-'));
/** The one line a refused command prints (Commander may add a "Did you mean" line). */
const oneLine = (stderr: string) => {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !/^\(Did you mean .*\?\)$/.test(l));
  assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /);
  return lines[0]!;
};

/** An option's help in `descent CMD --help`, unwrapped, spaces collapsed. */
function optionHelp(cmd: string, option: string): string | undefined {
  return cli([cmd, '--help'])
    .stdout.replace(/\n {10,}/g, ' ')
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .find((l) => l.startsWith(option));
}

/** A separable two-class CSV with a header and a blank line, 60 data rows. */
function csvFile(dir: string): string {
  const rows = Array.from({ length: 60 }, (_, i) => {
    const a = Math.sin(i);
    const b = Math.cos(i * 1.7);
    return `${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 1 : 0}`;
  });
  const file = join(dir, 'data.csv');
  writeFileSync(file, ['x1,x2,label', '', ...rows].join('\n'));
  return file;
}

describe('1. descent --version', () => {
  const version = (JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-V']) {
    test(`${flag} prints descent-lab's version (built bin)`, () => {
      const r = cli([flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${version}\n`);
    });
  }
  test('--version from the TypeScript sources too', () => {
    const r = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', SRC, '--version'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  });
});

describe('4. --out and --checkpoint are checked before any work', () => {
  const dir = tmp();
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  // Before the fix /proc/nope spun forever in Node's recursive mkdir and the others failed after
  // the whole default race (about a minute): the 20 s timeout catches both.
  const cases: [string, string, RegExp][] = [
    ['a path under /proc', '/proc/nope', /cannot create the directory: ENOENT/],
    ['a path under a file', join(file, 'report'), /cannot create the directory: ENOTDIR/],
    ['a file', file, /is not a directory/],
    ['a dangling symbolic link', join(dir, 'dangling'), /is a symbolic link to a missing target/],
  ];
  for (const [what, out, why] of cases) {
    test(`compare --out: ${what} fails at once with the option, the value and the reason`, () => {
      const r = cli(['compare', '--out', out], { timeout: 20_000 });
      assert.equal(r.error, undefined, 'it ended on its own');
      assert.equal(r.status, 1);
      const line = oneLine(r.stderr);
      assert.ok(line.startsWith(`descent: --out ${out}: `), line);
      assert.match(line, why);
      assert.equal(r.stdout, '');
    });
  }

  test('ensureWritableDir creates the missing levels and leaves nothing else behind', () => {
    const root = tmp();
    const deep = join(root, 'a', 'b', 'c');
    ensureWritableDir(deep, '--out');
    assert.ok(statSync(deep).isDirectory());
    assert.deepEqual(readdirSync(deep), [], 'the probe file is gone');
    ensureWritableDir(deep, '--out'); // an existing directory is fine
  });

  test('a compare that fails later removes the directories --out created', () => {
    const root = tmp();
    const out = join(root, 'new', 'report');
    const r = cli(['compare', '--problem', 'fashion-mlp', '--data', '/nonexistent', '--out', out]);
    assert.equal(r.status, 1);
    assert.match(oneLine(r.stderr), /Fashion-MNIST not found/);
    assert.deepEqual(readdirSync(root), []);
  });

  test('train --checkpoint in a directory that does not exist fails before training', () => {
    const r = cli(
      ['train', '--problem', 'beale', '--optimizer', 'adam', '--checkpoint', '/proc/nope/x.st'],
      { timeout: 20_000 },
    );
    assert.equal(r.status, 1);
    assert.match(
      oneLine(r.stderr),
      /^descent: --checkpoint \/proc\/nope\/x.st: cannot write there/,
    );
    assert.equal(r.stdout, '');
  });
});

describe('5. CSV errors name the line of the file', () => {
  const dir = tmp();
  const rows = ['1,2,0', '3,4,1', '5,6,0', '7,8,1', '9,1,0'];
  const cases: [string, string[], RegExp][] = [
    // header on line 1, blank line 3: the bad row is the file's line 5
    [
      'after a header and a blank line',
      ['a,b,y', '1,2,0', '', '3,4,1', '5,x,0', ...rows],
      /:5: column 2/,
    ],
    ['a ragged row after a header', ['a,b,y', ...rows, '1,2'], /:7: expected 3 columns, got 2/],
    ['a bad label after blank lines', ['', '', ...rows, '1,2,0.5'], /:8: the label must be/],
  ];
  for (const [what, lines, message] of cases) {
    test(what, () => {
      const file = join(dir, `${what}.csv`);
      writeFileSync(file, lines.join('\n'));
      assert.throws(() => loadCsvSplit(file), message);
    });
  }
});

describe('6. --data-file in compare and train', () => {
  const dir = tmp();
  const file = csvFile(dir);

  test('compare --data-file races the file (and only it unless --problem names more)', () => {
    const out = join(dir, 'report');
    const r = cli([
      'compare',
      '--data-file',
      file,
      '--optimizers',
      'sgd,adam',
      '--epochs',
      '3',
      '--seeds',
      '1',
      '--out',
      out,
      '--quiet',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(
      results.problems.map((p: { name: string }) => p.name),
      [file],
    );
    assert.equal(results.batchRace, undefined, 'no default batch-size race');
  });

  test('train --data-file trains softmax regression on the file', () => {
    const r = cli(['train', '--data-file', file, '--optimizer', 'adam', '--epochs', '2', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.problem, file);
    assert.equal(j.config.batchSize, 32);
    assert.equal(j.stepsPerEpoch, 2); // 48 training rows (80% of 60) in batches of 32
    assert.equal(typeof j.final.testAccuracy, 'number');
  });

  test('train takes exactly one of --problem and --data-file', () => {
    for (const args of [[], ['--problem', 'beale', '--data-file', file]]) {
      const r = cli(['train', '--optimizer', 'adam', ...args]);
      assert.equal(r.status, 1);
      assert.match(
        oneLine(r.stderr),
        /train needs exactly one of --problem NAME or --data-file FILE/,
      );
    }
  });

  test('a bad file fails before any run, in one line', () => {
    for (const cmd of [
      ['compare', '--out', join(dir, 'r2')],
      ['train', '--optimizer', 'sgd'],
    ]) {
      const r = cli([...cmd, '--data-file', join(dir, 'missing.csv')]);
      assert.equal(r.status, 1);
      assert.match(oneLine(r.stderr), /data file .*missing.csv does not exist/);
    }
  });

  test('advise, compare and train share one definition: the same help line', () => {
    const helpLine = (cmd: string) => optionHelp(cmd, '--data-file');
    const advise = helpLine('advise');
    assert.match(
      advise ?? '',
      /^--data-file <csv> a CSV file \(optionally .gz\): numeric features, integer class label last$/,
    );
    assert.equal(helpLine('compare'), advise);
    assert.equal(helpLine('train'), advise);
  });
});

describe('7. train takes adam-sgd, as compare does', () => {
  test('Adam for the first half, then SGD with its own lr plan', () => {
    const r = cli([
      'train',
      '--problem',
      'digits-logreg',
      '--optimizer',
      'adam-sgd',
      '--lr',
      '0.01',
      '--epochs',
      '2',
      '--json',
      '--quiet',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.optimizer, 'adam-sgd');
    assert.equal(j.config.lr, 0.01);
    const lr: number[] = j.steps.lr;
    const half = Math.round(lr.length / 2);
    assert.ok(
      lr.slice(0, half).every((x) => x === 0.01),
      'Adam at the given lr up to the switch',
    );
    assert.ok(
      lr.slice(half + 1).some((x) => x !== 0.01),
      'SGD with its scheduled lr afterwards',
    );
  });

  test('the unknown-optimizer message lists it', () => {
    const r = cli(['train', '--problem', 'beale', '--optimizer', 'adam-sgdd']);
    assert.match(oneLine(r.stderr), /known: sgd, .*, adam-sgd, muon$/);
  });

  test('killed after a checkpoint and resumed, it ends bit for bit as a straight run', async () => {
    const run = ['train', '--problem', 'digits-logreg', '--optimizer', 'adam-sgd'];
    const more = ['--epochs', '20', '--json', '--quiet'];
    const straight = JSON.parse(cli([...run, ...more]).stdout).final;
    const ckpt = join(tmp(), 'run.safetensors');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [
        BIN,
        ...run,
        ...more,
        '--checkpoint',
        ckpt,
        '--every',
        '50',
      ]);
      const poll = setInterval(() => {
        if (existsSync(ckpt)) {
          clearInterval(poll);
          child.kill('SIGKILL');
        }
      }, 2);
      child.on('exit', (_, signal) => {
        clearInterval(poll);
        if (signal === 'SIGKILL') resolve();
        else reject(new Error('the run ended before the kill; make it longer'));
      });
    });
    const r = cli([...run, ...more, '--resume', ckpt]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).final, straight);
  });
});

describe('8. --backend: one default for compare and train, with the reason in --help', () => {
  test('both default to wasm and say why', () => {
    const line = (cmd: string) => optionHelp(cmd, '--backend');
    const compare = line('compare');
    assert.match(
      compare ?? '',
      /2 to 5 times faster than cpu.*\(choices: "cpu", "wasm", default: "wasm"\)/,
    );
    assert.equal(line('train'), compare);
  });
});

describe('9. a closed pipe or a full disk: one line, status 1', () => {
  const RUN = ['train', '--problem', 'rosenbrock', '--optimizer', 'adam', '--epochs', '20000'];

  test('stdout closed early (descent train --json | head -1)', async () => {
    const child = spawn(process.execPath, [BIN, ...RUN, '--json', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 1, stderr);
    assert.match(oneLine(stderr), /^descent: cannot write output: EPIPE/);
  });

  for (const args of [[...RUN, '--quiet'], ['--help'], ['compare', '--help']]) {
    test(`stdout on /dev/full: descent ${args.join(' ')}`, () => {
      const full = openSync('/dev/full', 'w');
      try {
        const r = cli(args, { stdio: ['ignore', full, 'pipe'] });
        assert.equal(r.status, 1, r.stderr);
        assert.match(oneLine(r.stderr), /^descent: cannot write output: ENOSPC/);
      } finally {
        closeSync(full);
      }
    });
  }
});

describe('10. numbers on the command line: decimal, and within range', () => {
  const MAX = String(Number.MAX_SAFE_INTEGER);
  const cases: [string[], string, RegExp][] = [
    [['--lr', '0x10'], '--lr <x>', /finite number > 0, written in decimal/],
    [['--lr', '0b1'], '--lr <x>', /finite number > 0/],
    [['--lr', 'Infinity'], '--lr <x>', /finite number > 0/],
    [['--lr', '1e400'], '--lr <x>', /finite number > 0/],
    [['--lr', ''], '--lr <x>', /finite number > 0/],
    [
      ['--epochs', '99999999999999999999'],
      '--epochs <n>',
      new RegExp(`integer >= 1 and <= ${MAX}`),
    ],
    [['--epochs', '0x10'], '--epochs <n>', /integer >= 1/],
    [
      ['--batch-size', '99999999999999999999'],
      '--batch-size <b>',
      new RegExp(`'full' or an integer >= 1 and <= ${MAX}`),
    ],
    [['--every', '1e3'], '--every <n>', /integer >= 1/],
  ];
  for (const [args, option, range] of cases) {
    test(`train ${args.join(' ')}: refused with the option, the value and the range`, () => {
      const r = cli(['train', '--problem', 'beale', '--optimizer', 'adam', ...args]);
      assert.equal(r.status, 1);
      const line = oneLine(r.stderr);
      assert.ok(line.includes(`option '${option}' argument '${args[1]}' is invalid`), line);
      assert.match(line, range);
    });
  }

  test('decimal forms are still read', () => {
    for (const [text, x] of [
      ['0.01', 0.01],
      ['1e-3', 1e-3],
      ['.5', 0.5],
      ['2.', 2],
      ['+1E2', 100],
    ] as const) {
      assert.equal(positiveNumber(text), x);
    }
    assert.equal(positiveInt(MAX), Number.MAX_SAFE_INTEGER);
    assert.equal(batchSize('full'), 'full');
    assert.equal(batchSize('128'), 128);
  });
});
