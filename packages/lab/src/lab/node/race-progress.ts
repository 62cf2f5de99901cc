import { SingleBar } from 'cli-progress';
import type { Progress } from '../compare/race.ts';

/**
 * Progress of a race on a terminal: one bar per phase (the learning-rate sweeps with their
 * extensions and refinements, then the seeds), with the problem and optimizer of the last finished run. Silent when stderr is not a
 * terminal or `quiet` is set, so piped output and `--json` stay clean.
 */
export function raceProgress(quiet: boolean): { update(p: Progress): void; stop(): void } {
  if (quiet || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  let bar: SingleBar | null = null;
  let phase = '';
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return {
    update(p) {
      if (p.phase !== phase) {
        stop();
        phase = p.phase;
        bar = new SingleBar({
          format: `${p.phase === 'sweep' ? 'lr sweeps' : 'seeds    '} |{bar}| {value}/{total} runs | {what} | {eta_formatted} left`,
          stream: process.stderr,
          hideCursor: true,
        });
        bar.start(p.total, 0, { what: '' });
      }
      // The sweep grows when a grid is extended or refined: the bar's total follows.
      if (bar && p.total !== bar.getTotal()) bar.setTotal(p.total);
      bar?.update(p.done, { what: `${p.problem} / ${p.optimizer}` });
    },
    stop,
  };
}
