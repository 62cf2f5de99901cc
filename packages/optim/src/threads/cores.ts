/**
 * How many helper threads an arena gets. A helper without a core of its own makes every split
 * step wait for the scheduler: measured on 2 cores, 3 helpers made short steps about 30 times
 * slower. So helpers are capped at the cores beside the calling thread, and none on one core.
 */
export function helperCount(asked: number | undefined, cores: number): number {
  const free = Math.max(0, cores - 1);
  if (asked === undefined) return free;
  if (!Number.isInteger(asked) || asked < 1 || asked > 64) {
    throw new RangeError(
      `createThreadedArena: helpers must be an integer in [1, 64], got ${String(asked)}`,
    );
  }
  if (asked <= free) return asked;
  const using =
    free === 0
      ? 'using none: its steps run on the calling thread'
      : `using ${free} (more helpers than free cores make short steps many times slower)`;
  process.emitWarning(
    `createThreadedArena: ${asked} helper threads asked for, but this machine has ${cores} core${cores === 1 ? '' : 's'} (os.availableParallelism()), ${free} beside the calling thread; ${using}`,
    { code: 'DESCENT_HELPERS_CAPPED' },
  );
  return free;
}
