export { regimeGuardFamily, decideRegimeGuard, regimeGuardGrid } from './regime-guard.js';
export {
  REGIME_RF_FOREST,
  type RegimeRfOptions,
  regimeRfDecisions,
  regimeRfFamily,
  regimeRfGrid,
} from './regime-rf.js';
