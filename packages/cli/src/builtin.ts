import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { heuristicFamily } from '@step4/candidates-heuristic';
import { mlDualRidgeFamily, mlLrFamily, mlRfFamily } from '@step4/candidates-ml';
import { regimeGuardFamily, regimeRfFamily } from '@step4/candidates-regime';
import { staticFamily } from '@step4/candidates-static';
import {
  type CandidateConfig,
  type CandidateFamily,
  FamilyRegistry,
  type SleeveUniverse,
  interleave,
} from '@step4/core';
import type { FamilyReference } from '@step4/engine';

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

/** The built-in families in the reference's registration order: package, export and factory. */
const BUILTINS: readonly { source: string; export: string; make: () => CandidateFamily }[] = [
  { source: '@step4/candidates-static', export: 'staticFamily', make: staticFamily },
  { source: '@step4/candidates-heuristic', export: 'heuristicFamily', make: heuristicFamily },
  { source: '@step4/candidates-regime', export: 'regimeGuardFamily', make: regimeGuardFamily },
  { source: '@step4/candidates-ml', export: 'mlLrFamily', make: mlLrFamily },
  { source: '@step4/candidates-ml', export: 'mlRfFamily', make: mlRfFamily },
  { source: '@step4/candidates-regime', export: 'regimeRfFamily', make: regimeRfFamily },
  { source: '@step4/candidates-ml', export: 'mlDualRidgeFamily', make: mlDualRidgeFamily },
];

/** The built-ins by reference, for the engine's worker threads (the same list as `builtinRegistry`). */
export const BUILTIN_FAMILIES: readonly FamilyReference[] = BUILTINS.map((b) => ({
  module: entry(b.source),
  export: b.export,
  source: b.source,
}));

/** The families that ship with the CLI, registered explicitly (no folder scanning). */
export function builtinRegistry(): FamilyRegistry {
  const registry = new FamilyRegistry();
  for (const b of BUILTINS) registry.register(b.make(), b.source);
  return registry;
}

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
