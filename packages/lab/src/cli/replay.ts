import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { parseCase } from '../replay/case.ts';
import { roundingAmplification } from '../replay/amplification.ts';
import { caseError, replayCase, replayTolerance, VACUOUS, type Dtype } from '../replay/run.ts';

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'Replay golden cases (JSON: torch.optim and the second wave) with descent and print one JSON line per case (with "lr" per step for scheduler cases, and "ax", "trajectory_eval", "d", "closure_evals", "iterations" where the case records them)',
    )
    .argument('<case...>', 'case files in the schema of the PyTorch reference trajectories')
    .option(
      '--check',
      "compare with each file's reference; exit 1 if any relative error exceeds 1e-10 (float32: N·4·2^-24 after N steps, times the condition that amplifies rounding for L-BFGS and Prodigy; where that bound is 0.1 or more only finiteness is checked, and the line says so)",
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
        const err = caseError(c, result, opts.dtype);
        if (err === undefined) {
          throw new Error(`${file}: --check needs a reference trajectory in the file`);
        }
        const bound = replayTolerance(opts.dtype, c.steps, roundingAmplification(c));
        // A bound of 0.1 or more asserts nothing about the digits: say so, check finiteness.
        const vacuous = bound >= VACUOUS;
        const ok = vacuous ? Number.isFinite(err) : err <= bound;
        if (!ok) failed++;
        process.stdout.write(
          JSON.stringify({
            name: c.name,
            worstRelativeError: err,
            bound,
            ...(vacuous ? { checked: 'finiteness only: the bound is vacuous' } : {}),
            pass: ok,
          }) + '\n',
        );
      }
      if (opts.check) {
        process.stderr.write(`${files.length - failed} passed, ${failed} failed\n`);
        if (failed > 0) process.exitCode = 1;
      }
    });
}
