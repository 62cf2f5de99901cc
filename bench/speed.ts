/**
 * `npm run bench`: the optimizer-step benchmark, the same as `descent bench` (its options pass
 * through: `npm run bench -- --quick`; see src/bench/speed.ts for what is measured), then the
 * end-to-end row: a 784-256-128-10 MLP on Fashion-MNIST trained through descent/tfjs's Adam and
 * through tf.train.adam on the cpu and wasm backends (bench/tfjs-epoch.ts, on the first
 * `--mlp-samples` training samples, default 12800; `--no-mlp` or `--quick` skip it). Its figures
 * are added to speed.json as `endToEnd`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { benchCommand } from '../packages/lab/src/cli/bench.ts';

const argv = process.argv.slice(2);
const take = (flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = argv.splice(i, 2);
  return value;
};
const noMlp = argv.includes('--no-mlp');
if (noMlp) argv.splice(argv.indexOf('--no-mlp'), 1);
const samples = take('--mlp-samples') ?? '12800';
if (!/^[1-9]\d*$/.test(samples))
  throw new RangeError(`--mlp-samples must be an integer >= 1, got ${samples}`);
const outIndex = argv.indexOf('--out');
const out = outIndex >= 0 ? (argv[outIndex + 1] as string) : 'bench/results';

await new Command('bench')
  .addCommand(benchCommand(), { isDefault: true })
  .parseAsync([process.argv[0] as string, process.argv[1] as string, ...argv]);

if (!noMlp && !argv.includes('--quick') && !argv.includes('--help')) {
  process.stderr.write(
    `\nend to end: Fashion-MNIST MLP, ${samples} samples, descent Adam vs tf.train.adam\n`,
  );
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/tfjs-epoch.ts', '--limit', samples],
    {
      stdio: 'inherit',
    },
  );
  const file = join('bench', 'results', 'tfjs-epoch.json');
  const speed = join(out, 'speed.json');
  if (run.status === 0 && existsSync(file) && existsSync(speed)) {
    const report = JSON.parse(readFileSync(speed, 'utf8'));
    report.endToEnd = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(speed, JSON.stringify(report, null, 2) + '\n');
  } else {
    process.stderr.write(
      'end to end: skipped (bench/tfjs-epoch.ts failed; is Fashion-MNIST installed?)\n',
    );
  }
}
