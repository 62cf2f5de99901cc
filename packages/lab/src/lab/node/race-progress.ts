import type { Progress } from '../compare/race.ts';
import { startBar, type Bar } from './bar.ts';
import type { ProgressStyle } from './terminal.ts';

/** Progress of `descent compare`, fed by the races' `onProgress`. */
export interface RaceProgress {
  /** A new part of the run starts (the race, the batch-size race) over `problems` problems. */
  begin(title: string, problems: number): void;
  update(p: Progress): void;
  stop(): void;
}

export interface RaceProgressOptions {
  stream?: NodeJS.WritableStream;
  /** Clock in ms (default Date.now), for the plain lines' heartbeat. */
  now?: () => number;
  /** A plain line at least this often while runs finish (default 15 s). */
  heartbeatMs?: number;
}

const PHASE = { sweep: 'lr sweeps', seeds: 'seeds' } as const;

/**
 * `bars`: on a terminal, one bar per phase (the learning-rate sweeps with their extensions and
 * refinements, then the seeds), with the problem and optimizer of the last finished run.
 * `lines`: plain lines on stderr, no escapes: one when a part begins (with its first finished
 * run), one when a phase reaches a problem ("compare: lr sweeps: rosenbrock (3/8)"), and one at
 * least every 15 s with the runs done, so that a CI log never goes silent for long. `none`:
 * silent.
 */
export function raceProgress(style: ProgressStyle, o: RaceProgressOptions = {}): RaceProgress {
  const stream = o.stream ?? process.stderr;
  if (style === 'none') return { begin: () => {}, update: () => {}, stop: () => {} };
  if (style === 'lines') return raceLines(stream, o.now ?? Date.now, o.heartbeatMs ?? 15_000);
  let current: Bar | null = null;
  let phase = '';
  const stop = () => {
    current?.stop();
    current = null;
    phase = '';
  };
  return {
    begin: stop,
    update(p) {
      if (p.phase !== phase) {
        stop();
        phase = p.phase;
        current = startBar(
          {
            format: `${p.phase === 'sweep' ? 'lr sweeps' : 'seeds    '} |{bar}| {value}/{total} runs | {what} | {eta_formatted} left`,
          },
          p.total,
          { what: '' },
          stream,
        );
      }
      const bar = current!.bar;
      // The sweep grows when a grid is extended or refined: the bar's total follows.
      if (p.total !== bar.getTotal()) bar.setTotal(p.total);
      bar.update(p.done, { what: `${p.problem} / ${p.optimizer}` });
    },
    stop,
  };
}

function raceLines(stream: NodeJS.WritableStream, now: () => number, heartbeatMs: number) {
  let problems = 0;
  let phase = '';
  let seen = new Set<string>();
  let last = now();
  // A part's title waits for its first finished run: a problem that fails to build (missing
  // data) then fails in one line, as it does without progress.
  let title: string | null = null;
  const say = (text: string) => {
    stream.write(`compare: ${text}\n`);
    last = now();
  };
  return {
    begin(text: string, n: number) {
      problems = n;
      phase = '';
      title = text;
    },
    update(p: Progress) {
      if (title !== null) say(title);
      title = null;
      if (p.phase !== phase) {
        phase = p.phase;
        seen = new Set();
      }
      if (!seen.has(p.problem)) {
        seen.add(p.problem);
        // Runs finish out of order across worker threads: "3/8" counts the problems reached.
        const of = problems > 1 ? ` (${Math.min(seen.size, problems)}/${problems})` : '';
        say(`${PHASE[p.phase]}: ${p.problem}${of}`);
      } else if (now() - last >= heartbeatMs) {
        say(`${PHASE[p.phase]}: ${p.done}/${p.total} runs done`);
      }
    },
    stop: () => {},
  };
}
