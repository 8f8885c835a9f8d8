import { CORE_API_VERSION, candidate, defineFamily, type CandidateConfig } from '@step4/core/contract';

/** Fixed weight of the first sleeve every month (spec section 4, "static"). */
export const staticFamily = () =>
  defineFamily({
    meta: {
      name: 'static',
      version: '0.1.0',
      coreApi: CORE_API_VERSION,
      description: 'Fixed weight static_w in the first sleeve every month (baselines, levered baselines).',
    },
    params: {
      static_w: { type: 'number', default: 0.5, min: 0, max: 1, description: 'Weight of the first sleeve.' },
    },
    isStatic: true,
    minHistoryMonths: 0,
    defaultGrid: (): CandidateConfig[] => [
      candidate('baseline_spy_only', 'static', { static_w: 1 }),
      candidate('baseline_btc_only', 'static', { static_w: 0 }),
      candidate('baseline_equal', 'static', { static_w: 0.5 }),
      candidate('btc_only_levered_115', 'static', { static_w: 0, gross_base: 1.15, max_gross: 1.15 }),
      candidate('btc_only_levered_130', 'static', { static_w: 0, gross_base: 1.3, max_gross: 1.3 }),
    ],
    decide: (_ctx, config) => ({ wRaw: config.static_w, conf: 0 }),
  });

export default staticFamily;
