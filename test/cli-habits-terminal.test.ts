import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBar } from '../packages/lab/src/lab/node/bar.ts';
import { trainProgress } from '../packages/lab/src/lab/node/progress.ts';
import { raceProgress } from '../packages/lab/src/lab/node/race-progress.ts';
import { progressStyle } from '../packages/lab/src/lab/node/terminal.ts';
import type { Progress } from '../packages/lab/src/lab/compare/race.ts';

// Issue 16, items 2 and 3: progress where there is no terminal, and the terminal left as found
// after Ctrl-C. The end-to-end signal tests need a real terminal: util-linux `script` gives the
// command a pseudo-terminal; where it is missing they are skipped (the unit tests still run).
const BIN = fileURLToPath(new URL('../packages/lab/dist/cli/main.js', import.meta.url));
const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
const WRAP_ON = '\x1b[?7h';
const ESC = '\x1b';
/** Select Graphic Rendition (colour, bold): ESC [ ... m. */
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`);
const hasScript = spawnSync('script', ['--version']).status === 0;

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTty(): PassThrough & { isTTY: boolean; columns: number; text(): string } {
  const s = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; text(): string };
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  s.isTTY = true;
  s.columns = 100;
  s.text = () => text;
  return s;
}

function collect(): PassThrough & { text(): string } {
  const s = new PassThrough() as PassThrough & { text(): string };
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  s.text = () => text;
  return s;
}

describe('progressStyle: bars only on a terminal that can move its cursor', () => {
  const cases: [boolean, { isTTY?: boolean }, NodeJS.ProcessEnv, string][] = [
    [false, { isTTY: true }, { TERM: 'xterm-256color' }, 'bars'],
    [false, { isTTY: true }, { TERM: 'dumb' }, 'lines'],
    [false, {}, { TERM: 'xterm' }, 'lines'],
    [false, { isTTY: false }, {}, 'lines'],
    [true, { isTTY: true }, { TERM: 'xterm' }, 'none'],
    [true, {}, {}, 'none'],
  ];
  for (const [quiet, stream, env, style] of cases) {
    test(`quiet ${quiet}, isTTY ${stream.isTTY}, TERM ${env.TERM}: ${style}`, () =>
      assert.equal(progressStyle(quiet, stream, env), style));
  }
});

describe('a bar on screen when SIGINT or SIGTERM arrives (unit: the handler)', () => {
  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    test(`${signal}: cursor shown, line wrap on, exit ${status}`, (t) => {
      const before = process.listenerCount(signal);
      const exit = t.mock.method(process, 'exit', () => undefined as never);
      const tty = fakeTty();
      const { bar, stop } = startBar({ format: '{bar} {value}/{total}' }, 10, {}, tty);
      bar.update(3);
      assert.ok(tty.text().includes(HIDE), 'the bar hid the cursor');
      assert.equal(process.listenerCount(signal), before + 1);
      process.emit(signal, signal);
      const after = tty.text().slice(tty.text().lastIndexOf(HIDE));
      assert.ok(after.includes(SHOW), 'cursor shown again');
      assert.ok(after.includes(WRAP_ON), 'line wrap on again');
      assert.deepEqual(
        exit.mock.calls.map((c) => c.arguments[0]),
        [status],
      );
      assert.equal(process.listenerCount(signal), before, 'the handler is gone with the bar');
      stop(); // a second stop is harmless
      mock.restoreAll();
    });
  }

  test('a bar stopped normally leaves no handler behind', () => {
    const before = process.listenerCount('SIGINT');
    const { stop } = startBar({ format: '{bar}' }, 5, {}, fakeTty());
    stop();
    assert.equal(process.listenerCount('SIGINT'), before);
  });
});

describe('plain progress lines (unit)', () => {
  test('compare: a line per part, per phase and problem, and a heartbeat', () => {
    const out = collect();
    let clock = 0;
    const p = raceProgress('lines', { stream: out, now: () => clock, heartbeatMs: 15_000 });
    const at = (phase: Progress['phase'], done: number, problem: string): Progress => ({
      phase,
      done,
      total: 10,
      problem,
      optimizer: 'sgd',
    });
    p.begin('race: 2 problems, 1 optimizer, 3 seeds', 2);
    p.update(at('sweep', 1, 'beale'));
    p.update(at('sweep', 2, 'beale'));
    p.update(at('sweep', 3, 'rosenbrock'));
    clock = 16_000;
    p.update(at('sweep', 4, 'rosenbrock'));
    p.update(at('seeds', 1, 'rosenbrock'));
    p.begin('batch-size race: digits-logreg at batch sizes 1, 32, full, momentum', 0);
    p.update(at('sweep', 1, 'digits-logreg'));
    p.stop();
    assert.equal(
      out.text(),
      [
        'compare: race: 2 problems, 1 optimizer, 3 seeds',
        'compare: lr sweeps: beale (1/2)',
        'compare: lr sweeps: rosenbrock (2/2)',
        'compare: lr sweeps: 4/10 runs done',
        'compare: seeds: rosenbrock (1/2)',
        'compare: batch-size race: digits-logreg at batch sizes 1, 32, full, momentum',
        'compare: lr sweeps: digits-logreg',
        '',
      ].join('\n'),
    );
  });

  test('train on a test function: a line every tenth of the run, not every step', () => {
    const out = collect();
    const p = trainProgress({
      style: 'lines',
      steps: 200,
      epochs: 200,
      stepPerEpoch: true,
      stream: out,
    });
    for (let e = 1; e <= 200; e++) {
      p.epoch({
        epoch: e,
        steps: e,
        trainLoss: 1 / e,
        testLoss: null,
        testAccuracy: null,
        timeMs: e,
      });
    }
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 10);
    assert.equal(lines[0], 'train: step 20/200  loss 0.050000  0.02 s');
    assert.equal(lines[9], 'train: step 200/200  loss 0.0050000  0.20 s');
  });
});

describe('no terminal (CI logs, pipes): plain lines on stderr, no escapes', () => {
  test('train: a line per epoch', () => {
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'train',
        '--problem',
        'digits-logreg',
        '--optimizer',
        'adam',
        '--epochs',
        '3',
        '--json',
      ],
      { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } },
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    lines.forEach((l, i) =>
      assert.match(
        l,
        new RegExp(`^train: epoch ${i + 1}/3  loss [0-9.]+  test accuracy 0\\.\\d+  `),
      ),
    );
    assert.ok(!r.stderr.includes(ESC), r.stderr);
    JSON.parse(r.stdout); // stdout holds only the JSON
  });

  test('compare: a line per part and per phase and problem', () => {
    const out = mkdtempSync(join(tmpdir(), 'descent-lines-'));
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'compare',
        '--problem',
        'beale,digits-logreg',
        '--optimizers',
        'sgd,adam',
        '--epochs',
        '3',
        '--seeds',
        '2',
        '--out',
        out,
      ],
      { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } },
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], 'compare: race: 2 problems, 2 optimizers, 2 seeds');
    for (const phase of ['lr sweeps', 'seeds']) {
      for (const problem of ['beale', 'digits-logreg']) {
        assert.ok(
          lines.some((l) => l.startsWith(`compare: ${phase}: ${problem} (`)),
          `${phase} ${problem}:\n${r.stderr}`,
        );
      }
    }
    assert.ok(!r.stderr.includes(ESC), r.stderr);
  });

  test('--quiet: nothing on stderr', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, 'train', '--problem', 'beale', '--optimizer', 'adam', '--epochs', '50', '--quiet'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  });
});

/**
 * Runs `descent ARGS` on a pseudo-terminal (util-linux `script`); once the bar is on screen for
 * 300 ms, `interrupt` is called with the command's pid and script's stdin (the terminal's
 * keyboard). Resolves with the status and everything the terminal showed.
 */
function onTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  interrupt: ((pid: number, keyboard: NodeJS.WritableStream) => void) | null,
  ready: (screen: string) => boolean,
): Promise<{ status: number | null; screen: string }> {
  // `exec` keeps the shell's pid ($$) for node, so the signal reaches node itself.
  const command = `echo PID:$$; exec ${process.execPath} ${BIN} ${args.join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, ...env },
  });
  let screen = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    const pid = /PID:(\d+)/.exec(screen);
    if (interrupt && !sent && pid && ready(screen)) {
      sent = true;
      setTimeout(() => interrupt(Number(pid[1]), child.stdin), 300);
    }
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, screen })));
}

describe(
  'on a terminal: Ctrl-C and SIGTERM restore the cursor and line wrap (end to end)',
  {
    skip: hasScript ? false : 'util-linux script is not installed',
  },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-tty-'));
    const runs: [string, string[]][] = [
      [
        'train',
        ['train', '--problem', 'digits-logreg', '--optimizer', 'adam', '--epochs', '100000'],
      ],
      [
        'compare',
        [
          'compare',
          '--problem',
          'rosenbrock,beale',
          '--optimizers',
          'sgd,adam',
          '--epochs',
          '30000',
          '--seeds',
          '1',
          '--out',
          join(dir, 'report'),
        ],
      ],
    ];
    const signals: [string, number, (pid: number, keyboard: NodeJS.WritableStream) => void][] = [
      ['Ctrl-C', 130, (_, keyboard) => keyboard.write('\x03')],
      ['SIGTERM', 143, (pid) => process.kill(pid, 'SIGTERM')],
    ];
    for (const [name, args] of runs) {
      for (const [what, status, interrupt] of signals) {
        test(`${name}: ${what} mid-bar exits ${status} with the cursor shown and line wrap on`, async () => {
          const r = await onTerminal(
            args,
            { TERM: 'xterm', NO_COLOR: '1' },
            interrupt,
            (s) => s.includes(HIDE) && /\d+\/\d+ (steps|runs)/.test(s),
          );
          assert.equal(r.status, status, r.screen.slice(-500));
          const after = r.screen.slice(r.screen.lastIndexOf(HIDE));
          assert.ok(
            after.includes(SHOW),
            `cursor shown again:\n${JSON.stringify(after.slice(-300))}`,
          );
          assert.ok(after.includes(WRAP_ON), 'line wrap on again');
          // No colour anywhere (so NO_COLOR holds): no SGR sequence.
          assert.doesNotMatch(r.screen, SGR);
        });
      }
    }

    test('TERM=dumb: plain lines, no escapes, on a terminal too', async () => {
      const r = await onTerminal(
        ['train', '--problem', 'digits-logreg', '--optimizer', 'adam', '--epochs', '3'],
        { TERM: 'dumb' },
        null,
        () => false,
      );
      assert.equal(r.status, 0, r.screen);
      assert.match(r.screen, /train: epoch 3\/3 {2}loss/);
      assert.ok(!r.screen.includes(ESC), r.screen);
    });
  },
);
