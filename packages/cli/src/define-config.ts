import type { Step4ConfigInput } from './config-schema.js';

/**
 * Type help for `step4.config.ts` / `.mjs` (identity, like Vite's
 * `defineConfig`). It lives in its own entry, `@step4/cli/config`, with no
 * runtime imports, so a config can load it cheaply from ES modules and from
 * CommonJS projects alike (the entry has a `default` condition; Node's
 * `require` of an ES module needs Node 20.19 or later).
 */
export function defineConfig(config: Step4ConfigInput): Step4ConfigInput {
  return config;
}
