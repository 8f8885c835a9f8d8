import { staticFamily } from '@step4/candidates-static';
import { heuristicFamily } from '@step4/candidates-heuristic';
import { mlDualRidgeFamily, mlLrFamily, mlRfFamily } from '@step4/candidates-ml';
import { regimeGuardFamily, regimeRfFamily } from '@step4/candidates-regime';
import { type CandidateConfig, FamilyRegistry, interleave } from '@step4/core';

/** The families that ship with the CLI, registered explicitly (no folder scanning). */
export function builtinRegistry(): FamilyRegistry {
  return new FamilyRegistry()
    .register(staticFamily(), '@step4/candidates-static')
    .register(heuristicFamily(), '@step4/candidates-heuristic')
    .register(regimeGuardFamily(), '@step4/candidates-regime')
    .register(mlLrFamily(), '@step4/candidates-ml')
    .register(mlRfFamily(), '@step4/candidates-ml')
    .register(regimeRfFamily(), '@step4/candidates-regime')
    .register(mlDualRidgeFamily(), '@step4/candidates-ml');
}

/**
 * The reference grid (spec section 7) for the registered built-in families:
 * static first, then heuristic and regime_guard interleaved per lookback and
 * leverage, then every other family's default grid in registration order
 * (ml_lr, ml_rf, regime_rf, ml_dual_ridge, as in the reference).
 */
export function builtinGrid(registry: FamilyRegistry): CandidateConfig[] {
  const gridOf = (name: string) => registry.get(name)?.defaultGrid() ?? [];
  const placed = new Set(['static', 'heuristic', 'regime_guard']);
  const rest = registry.list().filter(({ family }) => !placed.has(family.meta.name));
  return [
    ...gridOf('static'),
    ...interleave(gridOf('heuristic'), gridOf('regime_guard')),
    ...rest.flatMap(({ family }) => family.defaultGrid()),
  ];
}
