import { heuristicFamily } from '@step4/candidates-heuristic';
import { mlDualRidgeFamily, mlLrFamily, mlRfFamily } from '@step4/candidates-ml';
import { regimeGuardFamily, regimeRfFamily } from '@step4/candidates-regime';
import { staticFamily } from '@step4/candidates-static';
import { type CandidateFamily, FamilyRegistry } from '@step4/core';
import { BUILTINS } from './builtin-list.js';

export { BUILTIN_FAMILIES, builtinGrid } from './builtin-list.js';

/** Each built-in's factory by its export name in builtin-list.ts. */
const FACTORIES: Record<(typeof BUILTINS)[number]['export'], () => CandidateFamily> = {
  staticFamily,
  heuristicFamily,
  regimeGuardFamily,
  mlLrFamily,
  mlRfFamily,
  regimeRfFamily,
  mlDualRidgeFamily,
};

/** The families that ship with the CLI, registered explicitly (no folder scanning). */
export function builtinRegistry(): FamilyRegistry {
  const registry = new FamilyRegistry();
  for (const b of BUILTINS) registry.register(FACTORIES[b.export](), b.source);
  return registry;
}
