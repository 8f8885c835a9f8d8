import { createRequire } from 'node:module';

// The version written into summaries is the package's own, never a second copy.
export const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

/*
 * Parameters these families do not use, declared because every reference
 * config carries them: the configs (and the reports that print them) stay
 * the reference's.
 */
export const UNUSED_STATIC_W = {
  type: 'number',
  default: 0.5,
  min: 0,
  max: 1,
  description: 'Reference field, not used by this family.',
} as const;

export const UNUSED_DD_PENALTY = {
  type: 'number',
  default: 0,
  min: 0,
  max: 1e6,
  description: 'Reference field, not used by this family.',
} as const;
