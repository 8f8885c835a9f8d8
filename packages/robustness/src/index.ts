import type { RobustnessProbe } from '@step4/core';
import { type BlockBootstrapOptions, bootstrapP10AvgMonthlyPnl } from './bootstrap.js';
import { costStressAvgMonthlyPnl } from './stress.js';

export * from './bootstrap.js';
export { SeededRandom } from '@step4/core';
export * from './stress.js';

export const DEFAULT_BOOTSTRAP: BlockBootstrapOptions = Object.freeze({
  samples: 1000,
  blockMonths: 6,
  seed: 42,
});

/** The reference robustness numbers: cost stress x1.25 and the bootstrap p10 (circular blocks unless told otherwise). */
export function referenceRobustness(opts: Partial<BlockBootstrapOptions> = {}): RobustnessProbe {
  const bootstrap = { ...DEFAULT_BOOTSTRAP, ...opts };
  return {
    stressAvgMonthlyPnl: (path, k) => costStressAvgMonthlyPnl(path, k, 1.25),
    tailAvgMonthlyPnlP10: (testReturns, k) => bootstrapP10AvgMonthlyPnl(testReturns, k, bootstrap),
  };
}
export * from './sharpe.js';
export * from './pbo.js';
export * from './honest.js';
export * from './analysis.js';
export * from './json.js';
