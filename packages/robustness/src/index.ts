import type { RobustnessProbe } from '@step4/core';
import { type BlockBootstrapOptions, bootstrapTailAvgMonthlyPnl, candidateBootstrap } from './bootstrap.js';
import { costStressAvgMonthlyPnl } from './stress.js';

export * from './bootstrap.js';
export { SeededRandom } from '@step4/core';
export * from './stress.js';

export const DEFAULT_BOOTSTRAP: BlockBootstrapOptions = Object.freeze({
  samples: 1000,
  blockMonths: 6,
  seed: 42,
});

/**
 * The reference robustness numbers: cost stress x1.25 and the bootstrap p10
 * (circular blocks unless told otherwise), each candidate with its own
 * bootstrap stream and the p10's Monte Carlo standard error.
 */
export function referenceRobustness(opts: Partial<BlockBootstrapOptions> = {}): RobustnessProbe {
  const bootstrap = { ...DEFAULT_BOOTSTRAP, ...opts };
  return {
    stressAvgMonthlyPnl: (path, k) => costStressAvgMonthlyPnl(path, k, 1.25),
    tailAvgMonthlyPnlP10: (testReturns, k, candidate) =>
      bootstrapTailAvgMonthlyPnl(testReturns, k, candidateBootstrap(bootstrap, candidate)),
  };
}
export * from './sharpe.js';
export * from './pbo.js';
export * from './honest.js';
export * from './analysis.js';
export * from './json.js';
export * from './objective-pbo.js';
export * from './spa.js';
export * from './track-record.js';
export * from './trials.js';
