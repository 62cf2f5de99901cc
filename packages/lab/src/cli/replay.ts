import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { parseCase } from '../replay/case.ts';
import { caseError, replayCase, replayTolerance, type Dtype } from '../replay/run.ts';

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'Replay golden torch.optim cases (JSON) with descent and print one JSON line per case (with "lr" per step for scheduler cases)',
    )
    .argument('<case...>', 'case files in the schema of the PyTorch reference trajectories')
    .option(
      '--check',
      "compare with each file's reference; exit 1 if any relative error exceeds 1e-10 (float32: N·4·2^-24 after N steps)",
    )
    .addOption(
      new Option('--dtype <dtype>', 'parameter type')
        .choices(['float64', 'float32'])
        .default('float64'),
    )
    .action(async (files: string[], opts: { check?: boolean; dtype: Dtype }) => {
      let failed = 0;
      for (const file of files) {
        let raw: unknown;
        try {
          raw = JSON.parse(await readFile(file, 'utf8'));
        } catch (e) {
          throw new Error(`${file}: ${(e as Error).message}`);
        }
        const c = parseCase(raw, file);
        const result = replayCase(c, opts.dtype);
        if (!opts.check) {
          process.stdout.write(JSON.stringify(result) + '\n');
          continue;
        }
        const err = caseError(c, result);
        if (err === undefined) {
          throw new Error(`${file}: --check needs a reference trajectory in the file`);
        }
        const ok = err <= replayTolerance(opts.dtype, c.steps);
        if (!ok) failed++;
        process.stdout.write(
          JSON.stringify({ name: c.name, worstRelativeError: err, pass: ok }) + '\n',
        );
      }
      if (opts.check) {
        process.stderr.write(`${files.length - failed} passed, ${failed} failed\n`);
        if (failed > 0) process.exitCode = 1;
      }
    });
}
