export * from './exact.js';
export * from './forest.js';
export { mlRandomForest } from './ml-random-forest-engine.js';
import type { ForestEngine } from './forest.js';
import { typedForest } from './forest.js';
import { mlRandomForest } from './ml-random-forest-engine.js';

export type ForestEngineName = 'typed' | 'ml-random-forest';

/** The forest engine by name: the typed-array forest (default) or ml-random-forest. */
export function forestEngine(name: ForestEngineName = 'typed'): ForestEngine {
  return name === 'typed' ? typedForest : mlRandomForest;
}
export * from './batch.js';
export * from './training.js';
export * from './linear.js';
export * from './tf-backend.js';
export * from './tf-solve.js';
export * from './multinomial.js';
export * from './simplex-qp.js';
