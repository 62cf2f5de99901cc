import { writeFile } from 'node:fs/promises';
import { makeDirs } from '../../node/make-dirs.ts';
import { join } from 'node:path';
import type { ClaimResult } from '../claims.ts';
import type { CompareResults } from '../results.ts';
import type { BatchRaceRecord } from './batch-style.ts';
import { renderReport, type ReportInfo } from './html.ts';

export type { BatchRaceRecord };

/** What `results.json` holds: the race's numbers, the claims' verdicts, any batch-size race. */
export type ResultsFile = CompareResults & {
  claims: ClaimResult[];
  /** One entry per problem × optimizer × batch size (a batch-size race ran). */
  batchRace?: BatchRaceRecord['entries'];
  /** Each batch-raced problem's one target for all its batch sizes. */
  batchRaceTargets?: BatchRaceRecord['targets'];
};

/** The results file's fields for a batch-size race (none when there was none). */
export function batchRaceFields(
  b: BatchRaceRecord | undefined,
): Pick<ResultsFile, 'batchRace' | 'batchRaceTargets'> {
  return b ? { batchRace: b.entries, batchRaceTargets: b.targets } : {};
}

/**
 * The results as JSON: numbers to six significant digits, non-finite ones as strings
 * ("Infinity", "NaN"), which JSON cannot hold.
 */
export function resultsJson(results: ResultsFile): string {
  // Six significant digits: far below any difference the report draws, and a third of the size.
  const replacer = (_: string, v: unknown) =>
    typeof v !== 'number' ? v : Number.isFinite(v) ? Number(v.toPrecision(6)) : String(v);
  return JSON.stringify(results, replacer);
}

/** Writes `DIR/index.html` and `DIR/results.json`; returns their paths. */
export async function writeReport(
  dir: string,
  results: CompareResults,
  claims: ClaimResult[],
  info: ReportInfo,
  batchRace?: BatchRaceRecord,
): Promise<{ html: string; json: string }> {
  makeDirs(dir); // not mkdir -p, which spins forever on some paths (see makeDirs)
  const html = join(dir, 'index.html');
  const json = join(dir, 'results.json');
  await writeFile(json, resultsJson({ ...results, claims, ...batchRaceFields(batchRace) }));
  await writeFile(html, renderReport(results, claims, info, batchRace));
  return { html, json };
}
