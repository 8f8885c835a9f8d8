export { mlDualRidgeFamily, mlGrid, mlLrFamily, mlRfFamily, type ForestFamilyOptions } from './families.js';
export { binDecision, binLabel, meanVarianceDecision } from './policies.js';
