import { Command } from 'commander';
import {
  advise,
  lrText,
  TRIAL_ALTERNATIVES,
  TRIAL_SEEDS,
  type Advice,
} from '../lab/compare/advise.ts';
import { builtinRaceProblem } from '../lab/compare/builtin.ts';
import { workerExecutor } from '../lab/compare/worker-pool.ts';
import { csvProblem } from '../lab/node/csv-problem.ts';
import { PROBLEM_NAMES } from '../lab/problems.ts';
import type { BatchSize } from '../lab/sampler.ts';
import { formatNumber } from '../lab/compare/format.ts';
import { nameList, positiveInt } from './args.ts';
import { dataFileOption } from './options.ts';
import { SUMMARY_WIDTH, wrapText } from './text.ts';

interface AdviseFlags {
  problem?: string[];
  dataFile?: string;
  seeds: number;
  json?: boolean;
}

/** Breaks a paragraph into lines of at most `cols` columns, later lines after `indent`. */
const wrap = (text: string, cols = SUMMARY_WIDTH, indent = '') => wrapText(text, cols, '', indent);

/** The trial as a table: one row per raced optimizer, best first. */
function trialTable(a: Advice): string[] {
  const t = a.trial;
  const accuracy = t.optimizers.some((o) => o.meanTestAccuracy !== null);
  const head = ['rank', 'optimizer', 'lr', `${t.score} (mean ± sd)`, 'failed'];
  if (accuracy) head.push('test acc');
  const rows = t.optimizers.map((o) => {
    const sd = t.seeds > 1 && Number.isFinite(o.sdScore) ? ` ± ${formatNumber(o.sdScore, 2)}` : '';
    const row = [
      formatNumber(o.rank),
      o.label,
      `${lrText(o.bestLr)}${o.lrAtEdge ? '*' : ''}`,
      `${formatNumber(o.meanScore)}${sd}`,
      `${o.failedSeeds}/${t.seeds}`,
    ];
    if (accuracy) row.push(o.meanTestAccuracy === null ? '-' : o.meanTestAccuracy.toFixed(3));
    row.push(o.withinNoiseOfBest ? '≈ best' : '');
    return row;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Numbers right-aligned, names left-aligned.
  const cell = (x: string, i: number) =>
    i === 1 || i === 3 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!);
  const line = (r: string[]) =>
    r
      .map((x, i) => (i < widths.length ? cell(x, i) : x))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  if (t.optimizers.some((o) => o.lrAtEdge)) {
    out.push('* tuned lr at an end of the grid tried: a better one may lie beyond');
  }
  return out;
}

/** The advice for the terminal, under 100 columns. */
function adviceText(a: Advice): string {
  const p = a.profile;
  const r = a.recommended;
  const g = a.guidance;
  const source =
    r.source === 'guidance'
      ? "the guidance's pick, within noise of the trial's best"
      : `the trial's best; the guidance said ${g.optimizer}`;
  const within = a.runnerUp.withinNoiseOfRecommended ? 'within' : 'outside';
  return [
    ...wrap(`problem: ${a.problem} (${p.params} parameters, ${p.trainSize} training samples)`),
    ...wrap(
      `measured: ${(100 * p.gradientZeroFraction).toFixed(0)}% zero gradient coordinates per batch, ${(100 * p.rareCoordinates).toFixed(0)}% rare coordinates, gradient-noise scale ${p.noiseScale.toFixed(1)}`,
    ),
    '',
    ...wrap(
      `recommended: ${r.optimizer} at lr ${lrText(r.lr)}, batch size ${r.batchSize} (${source})`,
      SUMMARY_WIDTH,
      '             ',
    ),
    ...wrap(
      `runner-up:   ${a.runnerUp.optimizer} at lr ${lrText(a.runnerUp.lr)} (${within} the seeds' noise of the recommendation)`,
      SUMMARY_WIDTH,
      '             ',
    ),
    '',
    ...wrap(`The usual guidance: ${g.reason}`),
    '',
    ...wrap(a.batch.reason),
    '',
    `Trial: ${a.trial.seeds} ${a.trial.seeds === 1 ? 'seed' : 'seeds'}, learning rates tuned for each optimizer (lower is better):`,
    ...trialTable(a),
    '',
    ...wrap(a.trial.verdict),
    '',
  ].join('\n');
}

/** `descent advise`: the selection guidance applied to a problem, then checked by a short race. */
export function adviseCommand(): Command {
  return new Command('advise')
    .description(
      `Inspect a problem (gradient sparsity, size, gradient noise), apply the usual guidance, and check it with a short tuned race against ${TRIAL_ALTERNATIVES.join(', ')}: the recommendation follows the race`,
    )
    .option(
      '--problem <name>',
      `a built-in problem: ${PROBLEM_NAMES.join(', ')}`,
      nameList([...PROBLEM_NAMES]),
    )
    .addOption(dataFileOption())
    .option('--seeds <k>', 'seeds of the trial race', positiveInt, TRIAL_SEEDS)
    .option('--json', 'print the advice as JSON')
    .action(async (flags: AdviseFlags) => {
      if ((flags.problem ? 1 : 0) + (flags.dataFile ? 1 : 0) !== 1) {
        throw new Error('advise needs exactly one of --problem NAME or --data-file FILE');
      }
      if (flags.problem && flags.problem.length !== 1) throw new Error('advise takes one problem');
      const name = flags.problem?.[0];
      const problem = name ? builtinRaceProblem(name, 'quick') : csvProblem(flags.dataFile!);
      const resize = (b: BatchSize) =>
        name
          ? builtinRaceProblem(name, 'quick', problem.kind === 'dataset' ? { batchSize: b } : {})
          : csvProblem(flags.dataFile!, { batchSize: b });
      const a = await advise(problem, { seeds: flags.seeds, resize, executor: workerExecutor() });
      if (flags.json) {
        process.stdout.write(
          JSON.stringify(
            a,
            (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
            1,
          ) + '\n',
        );
        return;
      }
      process.stdout.write(adviceText(a));
    });
}
