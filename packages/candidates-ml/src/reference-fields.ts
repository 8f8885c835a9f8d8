import { createRequire } from 'node:module';

// The version written into summaries is the package's own, never a second copy.
export const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

export { UNUSED_DD_PENALTY, UNUSED_STATIC_W } from '@step4/core/grid';
