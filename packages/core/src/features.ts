import type { SleevePanel } from './panel.js';
import { std, sum } from './stats.js';

const MOM_WINDOWS = [1, 3, 6, 12] as const;
const VOL_WINDOWS = [3, 6, 12] as const;

/**
 * The lagged feature table Z (spec section 2): rows of the aligned panel whose
 * 17 features are all present, each row with its own returns beside it.
 */
export interface FeatureTable {
  readonly length: number;
  readonly featureNames: readonly string[];
  /** Row-major `length x featureNames.length`. */
  readonly features: Float64Array;
  readonly monthEnds: readonly string[];
  readonly retA: Float64Array;
  readonly retB: Float64Array;
  /** Index of each Z row in the aligned panel. */
  readonly panelIndex: Int32Array;
}

export function featureNames(names: readonly [string, string]): string[] {
  const out: string[] = [];
  for (const s of names) {
    for (const w of MOM_WINDOWS) out.push(`ret_${s}_mom_${w}`);
    for (const w of VOL_WINDOWS) out.push(`ret_${s}_vol_${w}`);
  }
  out.push('spread_mom_3', 'spread_mom_6', 'spread_vol_6');
  return out;
}

/** Sum of r over the w values ending at `end - 1`, NaN below the minimum count. */
function laggedMomentum(r: Float64Array, end: number, w: number): number {
  const from = Math.max(0, end - w);
  const count = end - from;
  return count >= Math.max(1, Math.floor(w / 2)) ? sum(r, from, end) : Number.NaN;
}

function laggedVol(r: Float64Array, end: number, w: number): number {
  const from = Math.max(0, end - w);
  const count = end - from;
  return count >= Math.max(2, Math.floor(w / 2)) ? std(r, 1, from, end) : Number.NaN;
}

/**
 * All 17 lagged features for every aligned month, NaN where a window is too
 * short. Row t only reads returns of months before t.
 */
export function buildAllFeatures(panel: SleevePanel): { names: string[]; values: Float64Array } {
  const names = featureNames(panel.names);
  const n = panel.monthEnds.length;
  const f = names.length;
  const values = new Float64Array(n * f);
  for (let t = 0; t < n; t++) {
    const row = t * f;
    let k = 0;
    for (const r of [panel.retA, panel.retB]) {
      for (const w of MOM_WINDOWS) values[row + k++] = laggedMomentum(r, t, w);
      for (const w of VOL_WINDOWS) values[row + k++] = laggedVol(r, t, w);
    }
    // A and B occupy 0..6 and 7..13: mom_3 at 1, mom_6 at 2, vol_6 at 5.
    values[row + k++] = values[row + 1] - values[row + 8];
    values[row + k++] = values[row + 2] - values[row + 9];
    values[row + k++] = values[row + 5] - values[row + 12];
  }
  return { names, values };
}

/** Z: the rows where every feature is present (the first is aligned month 6). */
export function buildFeatureTable(panel: SleevePanel): FeatureTable {
  const { names, values } = buildAllFeatures(panel);
  const f = names.length;
  const keep: number[] = [];
  for (let t = 0; t < panel.monthEnds.length; t++) {
    let ok = true;
    for (let k = 0; k < f && ok; k++) ok = Number.isFinite(values[t * f + k]);
    if (ok) keep.push(t);
  }
  const features = new Float64Array(keep.length * f);
  keep.forEach((t, i) => {
    features.set(values.subarray(t * f, (t + 1) * f), i * f);
  });
  return {
    length: keep.length,
    featureNames: names,
    features,
    monthEnds: keep.map((t) => panel.monthEnds[t]),
    retA: Float64Array.from(keep, (t) => panel.retA[t]),
    retB: Float64Array.from(keep, (t) => panel.retB[t]),
    panelIndex: Int32Array.from(keep),
  };
}
