#!/usr/bin/env node
// The `descent` command. A committed launcher rather than dist/cli/main.js itself, so that npm can
// link the command at install time in a clone, before `prepare` has built dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error(
    'descent: the CLI is not built (dist/cli/main.js is missing): run `npm run build` in the project',
  );
  process.exit(1);
}
await import(main.href);
