#!/usr/bin/env node
// The commands step optimizers in Node: with the wasm kernels.
import 'descent-optim/fast';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './bench.ts';
import { adviseCommand } from './advise.ts';
import { compareCommand } from './compare.ts';
import { playgroundCommand } from './playground.ts';
import { replayCommand } from './replay.ts';
import { trainCommand } from './train.ts';
import { exitOnWriteError } from './output.ts';
import { labVersion } from './version.ts';

exitOnWriteError();

const program = new Command('descent')
  .description('Gradient-descent optimizers exact against torch.optim, and a lab that races them')
  .version(labVersion(), '-V, --version', 'print the version of descent-lab')
  .option('--debug', 'print stack traces on errors')
  .exitOverride();

program.addCommand(compareCommand());
program.addCommand(adviseCommand());
program.addCommand(replayCommand());
program.addCommand(trainCommand());
program.addCommand(playgroundCommand());
program.addCommand(benchCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    process.exitCode = e.exitCode;
  } else {
    const debug = program.opts<{ debug?: boolean }>().debug || process.argv.includes('--debug');
    process.stderr.write(`descent: ${debug ? (e as Error).stack : (e as Error).message}\n`);
    process.exitCode = 1;
  }
}
