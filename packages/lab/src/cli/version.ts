import { readFileSync } from 'node:fs';

// package.json sits two levels above both src/cli/ and dist/cli/.
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/** The version of descent-lab, read from its package.json when asked (not baked in at build). */
export function labVersion(): string {
  const { version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${PACKAGE_JSON.pathname}: no version field`);
  return version;
}
