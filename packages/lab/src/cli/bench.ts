import { Command } from 'commander';
import { formatReport, saveReport } from '../bench/report.ts';
import { BENCH_OPTIMIZERS, runSpeedBench } from '../bench/speed.ts';

interface BenchOpts {
  quick?: boolean;
  sizes?: string;
  reps?: string;
  tfjs: boolean;
  only?: string;
  out: string;
  heapSteps?: string;
  matmul?: string | false;
  muon?: string | false;
}

function positiveInts(name: string, text: string): number[] {
  const xs = text.split(',').map((s) => Number(s.trim()));
  for (const x of xs) {
    if (!Number.isInteger(x) || x < 1)
      throw new RangeError(`bench: ${name} must be integers >= 1, got "${text}"`);
  }
  return xs;
}

/** `descent bench`: optimizer steps side by side with the machine's limit and tf.train. */
export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'Time every optimizer step (wasm SIMD in place, threaded, copy path, plain loop, tf.train on tfjs cpu/wasm) against the memory-bandwidth limit; print a table and write JSON',
    )
    .option('--quick', 'small sizes and few steps (a smoke test of a few seconds)')
    .option('--sizes <n,...>', 'parameter counts (default 1048576,16777216)')
    .option(
      '--reps <n>',
      'timed steps per row; the fastest is reported, the median kept in the JSON (default 9)',
    )
    .option('--no-tfjs', 'skip the tf.train rows')
    .option(
      '--only <names>',
      `optimizers, comma-separated: ${BENCH_OPTIMIZERS.map((b) => b.name).join(', ')}`,
    )
    .option('--heap-steps <n>', 'steps of the heap measurement (default 10000)')
    .option(
      '--matmul <n,...>',
      'sizes n of the n×n matrix products, wasm SIMD vs the plain loop (default 256,512,1024)',
    )
    .option('--no-matmul', 'skip the matrix products')
    .option(
      '--muon <n,...>',
      "sizes n of the n×n float32 matrices of Muon's step, GFLOP/s of its products vs a plain-loop product (default 512,1024)",
    )
    .option('--no-muon', "skip Muon's step")
    .option('--out <dir>', 'directory for speed.json', 'bench/results')
    .action(async (o: BenchOpts) => {
      const only = o.only?.split(',').map((s) => s.trim());
      for (const name of only ?? []) {
        if (!BENCH_OPTIMIZERS.some((b) => b.name === name)) {
          throw new RangeError(
            `bench: --only: unknown optimizer "${name}" (known: ${BENCH_OPTIMIZERS.map((b) => b.name).join(', ')})`,
          );
        }
      }
      const report = await runSpeedBench({
        sizes: o.sizes
          ? positiveInts('--sizes', o.sizes)
          : o.quick
            ? [4096, 65536]
            : [1 << 20, 1 << 24],
        reps: o.reps ? (positiveInts('--reps', o.reps)[0] as number) : o.quick ? 3 : 9,
        sweepMax: o.quick ? 1 << 16 : 1 << 22,
        heapSteps: o.heapSteps
          ? (positiveInts('--heap-steps', o.heapSteps)[0] as number)
          : o.quick
            ? 200
            : 10000,
        tfjs: o.tfjs,
        plainMax: 1 << 24,
        matmulSizes:
          o.matmul === false
            ? []
            : o.matmul
              ? positiveInts('--matmul', o.matmul)
              : o.quick
                ? [64, 128]
                : [256, 512, 1024],
        muonSizes:
          o.muon === false
            ? []
            : o.muon
              ? positiveInts('--muon', o.muon)
              : o.quick
                ? [64, 128]
                : [512, 1024],
        ...(only ? { only } : {}),
        log: (line) => process.stderr.write(line + '\n'),
      });
      process.stdout.write(formatReport(report) + '\n');
      const file = saveReport(report, o.out);
      process.stderr.write(`wrote ${file}\n`);
    });
}
