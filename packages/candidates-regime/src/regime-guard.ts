import {
  type CandidateBuilder,
  type Decision,
  type DecisionContext,
  InputError,
  defineFamily,
  type FamilyConfig,
} from '@step4/core/contract';
import { lookbackLeverageGrid } from '@step4/core/grid';
import { PACKAGE_VERSION, UNUSED_DD_PENALTY, UNUSED_STATIC_W } from './reference-fields.js';

export const REGIME_GUARD_PARAMS = {
  static_w: UNUSED_STATIC_W,
  lookback: {
    type: 'integer',
    default: 6,
    min: 1,
    max: 600,
    description: 'Momentum window (at least 3 is used).',
  },
  dd_penalty: UNUSED_DD_PENALTY,
  // Optional: two-sleeve configs stay the reference's (no `risky_sleeve` key unless set).
  risky_sleeve: {
    type: 'string',
    optional: true,
    default: '',
    pattern: '([a-z][a-z0-9_]*)?',
    description: 'The sleeve whose momentum and volatility drive risk-off (empty: the last sleeve).',
  },
} as const;

export type RegimeGuardConfig = FamilyConfig<typeof REGIME_GUARD_PARAMS>;

function sampleStd(x: Float64Array, from: number, to: number): number {
  const n = to - from;
  let m = 0;
  for (let i = from; i < to; i++) m += x[i];
  m /= n;
  let ss = 0;
  for (let i = from; i < to; i++) ss += (x[i] - m) * (x[i] - m);
  return Math.sqrt(ss / (n - 1));
}

/** numpy-style percentile (linear interpolation) of the first n values of x; sorts x in place. */
function percentileInPlace(x: Float64Array, n: number, q: number): number {
  const s = x.subarray(0, n).sort();
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Threshold guard on sleeve B (docs/model/families.md, "regime_guard"): when B's
 * momentum is below its 35th percentile and its volatility above its 60th,
 * rotate towards A (w = 0.75), else hold mostly B (w = 0.15).
 */
export function decideRegimeGuard(ctx: DecisionContext, config: RegimeGuardConfig): Decision {
  const names = ctx.sleeveNames;
  const riskySleeve = config.risky_sleeve ?? '';
  const risky = riskySleeve === '' ? names.length - 1 : names.indexOf(riskySleeve);
  if (risky < 0) {
    throw new InputError(
      `candidate ${config.name}: risky_sleeve ${riskySleeve} is not a sleeve (${names.join(', ')})`,
      { field: 'risky_sleeve' },
    );
  }
  const hb = ctx.history.returns[risky];
  const n = hb.length;
  const lb = Math.max(3, config.lookback);
  let momNow = 0;
  for (let i = Math.max(0, n - lb); i < n; i++) momNow += hb[i];
  const volNow = n >= 3 ? sampleStd(hb, Math.max(0, n - 6), n) : 0;

  // Rolling sums (window lb, min max(2, floor(lb/2)) values) and rolling sample std (window 6, min 3).
  const minMom = Math.max(2, Math.floor(lb / 2));
  const momSeries = new Float64Array(n);
  const volSeries = new Float64Array(n);
  let nMom = 0;
  let nVol = 0;
  for (let t = 0; t < n; t++) {
    const fromMom = Math.max(0, t + 1 - lb);
    if (t + 1 - fromMom >= minMom) {
      let s = 0;
      for (let i = fromMom; i <= t; i++) s += hb[i];
      momSeries[nMom++] = s;
    }
    const fromVol = Math.max(0, t + 1 - 6);
    if (t + 1 - fromVol >= 3) volSeries[nVol++] = sampleStd(hb, fromVol, t + 1);
  }
  const momTh = nMom >= 6 ? percentileInPlace(momSeries, nMom, 35) : 0;
  const volTh = nVol >= 6 ? percentileInPlace(volSeries, nVol, 60) : Math.max(volNow, 0.06);
  const riskOff = momNow < momTh && volNow > volTh;
  const conf = Math.min(1, Math.abs(momNow - momTh) / Math.max(volTh, 1e-6));
  const sleeves = names.length;
  // Two sleeves with B risky: the reference's scalar w_A.
  if (sleeves === 2 && risky === 1) return { wRaw: riskOff ? 0.75 : 0.15, conf };
  // The risky sleeve gets 0.25 risk-off and 0.85 risk-on; the others share the rest equally.
  const riskyWeight = riskOff ? 0.25 : 0.85;
  return { wRaw: names.map((_, s) => (s === risky ? riskyWeight : (1 - riskyWeight) / (sleeves - 1))), conf };
}

/** The reference grid: L in 3, 6, 12 and max gross G in 1.0, 1.15, 1.30 (docs/model/families.md). */
function grid(candidate: CandidateBuilder<typeof REGIME_GUARD_PARAMS>) {
  return lookbackLeverageGrid('regime_guard', [3, 6, 12], [1.0, 1.15, 1.3], (name, L, G) =>
    candidate(name, {
      lookback: L,
      max_gross: G,
      min_w: 0.05,
      max_w: 0.95,
      smoothing: 0.35,
      max_step: 0.3,
      gross_conf_scale: 0.25,
      target_vol: G > 1 ? 0.045 : 0,
    }),
  );
}

export const regimeGuardFamily = () =>
  defineFamily({
    meta: {
      name: 'regime_guard',
      version: PACKAGE_VERSION,
      coreApi: 2,
      description:
        'Threshold risk-off guard on a risky sleeve (default the last) that rotates towards the others.',
    },
    params: REGIME_GUARD_PARAMS,
    sleeves: { min: 2 },
    minHistoryMonths: 0,
    defaultGrid: grid,
    decide: decideRegimeGuard,
  });

/** The reference grid of regime_guard (its default grid). */
export const regimeGuardGrid = () => regimeGuardFamily().defaultGrid();
