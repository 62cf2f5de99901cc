/**
 * A child process for the checkpoint reliability tests, run as plain JavaScript (see
 * checkpoint-build.ts) so that dozens of them start fast.
 *
 * - `loop TARGET WRITER FROM COUNT FLOATS`: saves versionContent(WRITER, k, FLOATS) for k = FROM,
 *   FROM+1, ... (COUNT saves, or forever for `inf`), printing `saving k` before and `saved k`
 *   after each. With KILL_AT=n in the environment it SIGKILLs itself just before its n-th
 *   file-system call; with TRACE=1 it prints the name of each call.
 * - `memory-save PATH FLOATS` and `memory-load PATH`: one save or load, printing as JSON the peak
 *   resident memory above the resident memory just before it (MiB; VmHWM after resetting it).
 * CHUNK in the environment sets the bytes one read or write moves.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadCheckpoint, saveCheckpoint } from '../../packages/optim/src/checkpoint/index.ts';
import { io } from '../../packages/optim/src/checkpoint/io.ts';
import { versionContent } from './checkpoint-content.ts';

const [mode, ...args] = process.argv.slice(2);
if (process.env.CHUNK) io.chunkBytes = Number(process.env.CHUNK);

const killAt = Number(process.env.KILL_AT ?? 0);
const trace = process.env.TRACE === '1';
if (killAt > 0 || trace) {
  let calls = 0;
  const seam = io as unknown as Record<string, unknown>;
  for (const [name, f] of Object.entries(io)) {
    if (typeof f !== 'function') continue;
    seam[name] = (...a: unknown[]) => {
      calls++;
      if (trace) process.stdout.write(`call ${calls} ${name}\n`);
      if (calls === killAt) process.kill(process.pid, 'SIGKILL');
      return (f as (...a: unknown[]) => unknown)(...a);
    };
  }
}

const status = (key: string) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) /
  1024;

if (mode === 'loop') {
  const [target, writer, from, count, floats] = args as [string, string, string, string, string];
  const end = count === 'inf' ? Infinity : Number(from) + Number(count);
  for (let k = Number(from); k < end; k++) {
    const content = versionContent(Number(writer), k, Number(floats));
    process.stdout.write(`saving ${k}\n`);
    await saveCheckpoint(target, content);
    process.stdout.write(`saved ${k}\n`);
  }
} else if (mode === 'memory-save') {
  const [path, floats] = args as [string, string];
  const content = versionContent(1, 1, Number(floats));
  // Reset the high-water mark to the current resident size, so the peak is the save's own.
  writeFileSync('/proc/self/clear_refs', '5');
  const before = status('VmRSS');
  await saveCheckpoint(path, content);
  process.stdout.write(JSON.stringify({ peakAbove: status('VmHWM') - before }) + '\n');
} else if (mode === 'memory-load') {
  const [path] = args as [string];
  writeFileSync('/proc/self/clear_refs', '5');
  const before = status('VmRSS');
  const back = await loadCheckpoint(path);
  const { k } = back.extra as { k: number };
  process.stdout.write(JSON.stringify({ peakAbove: status('VmHWM') - before, k }) + '\n');
}
