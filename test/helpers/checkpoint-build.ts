/**
 * Builds the checkpoint module and the test child (checkpoint-child.ts) as plain JavaScript in a
 * temporary folder, keeping their relative paths, so that the reliability tests can start dozens
 * of children with plain `node` (about 0.3 s each here, against about 1 s through tsx).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = [
  ...readdirSync(join(ROOT, 'packages/optim/src/checkpoint')).map(
    (f) => `packages/optim/src/checkpoint/${f}`,
  ),
  'test/helpers/checkpoint-child.ts',
  'test/helpers/checkpoint-content.ts',
];

let built: string | null = null;

/** The path of the built child script (built once per process). */
export function childScript(): string {
  if (built) return built;
  const out = mkdtempSync(join(tmpdir(), 'descent-ckpt-build-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  for (const file of SOURCES.filter((f) => f.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(ROOT, file), 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        rewriteRelativeImportExtensions: true,
        verbatimModuleSyntax: true,
      },
    });
    const dest = join(out, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, outputText);
  }
  built = join(out, 'test/helpers/checkpoint-child.js');
  return built;
}
