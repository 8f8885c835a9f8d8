export {
  REGIME_GUARD_PARAMS,
  type RegimeGuardConfig,
  regimeGuardFamily,
  decideRegimeGuard,
  regimeGuardGrid,
} from './regime-guard.js';
export {
  REGIME_RF_FOREST,
  REGIME_RF_PARAMS,
  type RegimeRfConfig,
  type RegimeRfOptions,
  regimeRfDecisions,
  regimeRfFamily,
  regimeRfGrid,
} from './regime-rf.js';
