import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type CandidateConfig, type FamilyRegistry, type SleeveUniverse, interleave } from '@step4/core';
import type { FamilyReference } from '@step4/engine';

/**
 * The built-in families by reference: package and export, nothing imported.
 * The engine loads them (in every worker) only when a command needs them;
 * builtin.ts registers the same list in process.
 */

const require = createRequire(import.meta.url);

/**
 * An installed package's ES-module entry as a path the engine (and its
 * workers) can import: its `exports["."].import`, found from its package.json
 * (the packages are ESM-only, so `require.resolve` of the name itself fails,
 * and `import.meta.resolve` is missing under some loaders, e.g. vitest's).
 */
function entry(name: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  const exports = JSON.parse(readFileSync(manifest, 'utf8')).exports as { '.': { import: string } };
  return join(dirname(manifest), exports['.'].import);
}

/** The built-in families in the reference's registration order: package and factory export. */
export const BUILTINS = [
  { source: '@step4/candidates-static', export: 'staticFamily' },
  { source: '@step4/candidates-heuristic', export: 'heuristicFamily' },
  { source: '@step4/candidates-regime', export: 'regimeGuardFamily' },
  { source: '@step4/candidates-ml', export: 'mlLrFamily' },
  { source: '@step4/candidates-ml', export: 'mlRfFamily' },
  { source: '@step4/candidates-regime', export: 'regimeRfFamily' },
  { source: '@step4/candidates-ml', export: 'mlDualRidgeFamily' },
] as const;

/** The built-ins by reference, for the engine's worker threads (the same list as `builtinRegistry`). */
export const BUILTIN_FAMILIES: readonly FamilyReference[] = BUILTINS.map((b) => ({
  module: entry(b.source),
  export: b.export,
  source: b.source,
}));

/**
 * The reference grid (docs/model/families.md) for the registered families:
 * static first, then heuristic and regime_guard interleaved per lookback and
 * leverage, then every other family's default grid in registration order
 * (ml_lr, ml_rf, regime_rf, ml_dual_ridge, as in the reference). Families
 * that cannot allocate between this many sleeves contribute nothing.
 */
export function builtinGrid(registry: FamilyRegistry, sleeves?: SleeveUniverse): CandidateConfig[] {
  const supported = registry.defaultGrid(sleeves);
  const gridOf = (name: string) => supported.filter((c) => c.method === name);
  const placed = new Set(['static', 'heuristic', 'regime_guard']);
  const rest = registry.list().filter(({ family }) => !placed.has(family.meta.name));
  return [
    ...gridOf('static'),
    ...interleave(gridOf('heuristic'), gridOf('regime_guard')),
    ...rest.flatMap(({ family }) => gridOf(family.meta.name)),
  ];
}
