import { readFileSync } from 'node:fs';

/** This package's name and version (for --version and the manifest). */
export const cliPackage = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};
