export {
  ML_DUAL_RIDGE_PARAMS,
  ML_PARAMS,
  type MlConfig,
  mlDualRidgeFamily,
  mlGrid,
  mlLrFamily,
  mlRfFamily,
  type ForestFamilyOptions,
} from './families.js';
export { binDecision, binLabel, meanVarianceDecision } from './policies.js';
