import { createRequire } from 'node:module';
import {
  type CandidateBuilder,
  type DecisionContext,
  InputError,
  type SleeveUniverse,
  defineFamily,
  type FamilyConfig,
} from '@step4/core/contract';

// The version written into summaries is the package's own, never a second copy.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** `equal`, or `<sleeve>=<weight>` pairs separated by commas. */
const WEIGHTS_PATTERN = 'equal|[a-z][a-z0-9_]*=[0-9]*\\.?[0-9]+(,[a-z][a-z0-9_]*=[0-9]*\\.?[0-9]+)*';

export const STATIC_PARAMS = {
  static_w: { type: 'number', default: 0.5, min: 0, max: 1, description: 'Weight of the first sleeve.' },
  // Optional: two-sleeve configs stay the reference's (no `weights` key unless set).
  weights: {
    type: 'string',
    optional: true,
    default: '',
    pattern: `(${WEIGHTS_PATTERN})?`,
    description:
      'Weights by sleeve name, e.g. "spy=0.6,btc=0.4" (unnamed sleeves get 0; they must sum to 1), or "equal". Empty: static_w to the first sleeve, the rest shared equally.',
  },
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

/**
 * The fixed weights of a candidate for these sleeves (docs/model/families.md):
 * `weights` by name, or static_w to the first sleeve and the rest shared
 * equally. Two sleeves with no `weights` give the reference's scalar static_w.
 */
export function staticWeights(config: StaticConfig, sleeves: readonly string[]): number | number[] {
  const n = sleeves.length;
  const spec = config.weights ?? '';
  if (spec === '') {
    if (n === 2) return config.static_w;
    return sleeves.map((_, s) => (s === 0 ? config.static_w : (1 - config.static_w) / (n - 1)));
  }
  if (spec === 'equal') return sleeves.map(() => 1 / n);
  const w = sleeves.map(() => 0);
  let total = 0;
  for (const pair of spec.split(',')) {
    const [name, value] = pair.split('=');
    const s = sleeves.indexOf(name);
    if (s < 0) {
      throw new InputError(
        `candidate ${config.name}: weights names sleeve ${name}, but the sleeves are ${sleeves.join(', ')}`,
        { field: 'weights' },
      );
    }
    w[s] = Number(value);
    total += w[s];
  }
  if (Math.abs(total - 1) > 1e-9) {
    throw new InputError(`candidate ${config.name}: weights sum to ${total}, not 1 (${spec})`, {
      field: 'weights',
    });
  }
  return w;
}

/** The default grid: the reference's five baselines for two sleeves; one per sleeve and equal weight for more. */
function grid(candidate: CandidateBuilder<typeof STATIC_PARAMS>, sleeves: SleeveUniverse) {
  if (sleeves.names.length === 2) {
    return [
      candidate('baseline_spy_only', { static_w: 1 }),
      candidate('baseline_btc_only', { static_w: 0 }),
      candidate('baseline_equal', { static_w: 0.5 }),
      candidate('btc_only_levered_115', { static_w: 0, gross_base: 1.15, max_gross: 1.15 }),
      candidate('btc_only_levered_130', { static_w: 0, gross_base: 1.3, max_gross: 1.3 }),
    ];
  }
  return [
    ...sleeves.names.map((s) => candidate(`baseline_${s}_only`, { weights: `${s}=1` })),
    candidate('baseline_equal', { weights: 'equal' }),
    candidate('baseline_equal_levered_115', { weights: 'equal', gross_base: 1.15, max_gross: 1.15 }),
    candidate('baseline_equal_levered_130', { weights: 'equal', gross_base: 1.3, max_gross: 1.3 }),
  ];
}

/** Fixed weights every month (docs/model/families.md, "static"). */
export const staticFamily = () =>
  defineFamily({
    meta: {
      name: 'static',
      version,
      coreApi: 2,
      description: 'Fixed weights every month (baselines, levered baselines).',
    },
    params: STATIC_PARAMS,
    sleeves: { min: 2 },
    isStatic: true,
    minHistoryMonths: 0,
    defaultGrid: grid,
    decide: (ctx: DecisionContext, config) => ({ wRaw: staticWeights(config, ctx.sleeveNames), conf: 0 }),
  });

export default staticFamily;
