/**
 * `npm run bench`: the optimizer-step benchmark, the same as `descent bench` (its options pass
 * through: `npm run bench -- --quick`). See src/bench/speed.ts for what is measured.
 */
import { Command } from 'commander';
import { benchCommand } from '../src/cli/bench.ts';

await new Command('bench').addCommand(benchCommand(), { isDefault: true }).parseAsync(process.argv);
