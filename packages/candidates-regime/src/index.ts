export { regimeGuardFamily, decideRegimeGuard, regimeGuardGrid } from './regime-guard.js';
