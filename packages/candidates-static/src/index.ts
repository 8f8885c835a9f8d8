import { createRequire } from 'node:module';
import { defineFamily, type FamilyConfig } from '@step4/core/contract';

// The version written into summaries is the package's own, never a second copy.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const STATIC_PARAMS = {
  static_w: { type: 'number', default: 0.5, min: 0, max: 1, description: 'Weight of the first sleeve.' },
  // Unused here; kept because every reference config carries them (same configs and reports as the reference).
  lookback: {
    type: 'integer',
    default: 6,
    min: 1,
    max: 1200,
    description: 'Reference field, not used by static.',
  },
  dd_penalty: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1e6,
    description: 'Reference field, not used by static.',
  },
} as const;

export type StaticConfig = FamilyConfig<typeof STATIC_PARAMS>;

/** Fixed weight of the first sleeve every month (spec section 4, "static"). */
export const staticFamily = () =>
  defineFamily({
    meta: {
      name: 'static',
      version,
      coreApi: 2,
      description: 'Fixed weight static_w in the first sleeve every month (baselines, levered baselines).',
    },
    params: STATIC_PARAMS,
    isStatic: true,
    minHistoryMonths: 0,
    defaultGrid: (candidate) => [
      candidate('baseline_spy_only', { static_w: 1 }),
      candidate('baseline_btc_only', { static_w: 0 }),
      candidate('baseline_equal', { static_w: 0.5 }),
      candidate('btc_only_levered_115', { static_w: 0, gross_base: 1.15, max_gross: 1.15 }),
      candidate('btc_only_levered_130', { static_w: 0, gross_base: 1.3, max_gross: 1.3 }),
    ],
    decide: (_ctx, config) => ({ wRaw: config.static_w, conf: 0 }),
  });

export default staticFamily;
