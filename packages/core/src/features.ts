import type { DecisionShape } from './contract.js';
import type { SleevePanel } from './panel.js';
import { std, sum } from './stats.js';

const MOM_WINDOWS = [1, 3, 6, 12] as const;
const VOL_WINDOWS = [3, 6, 12] as const;

/**
 * The lagged feature table Z (docs/model/features.md): rows of the aligned
 * panel whose 7N + 3(N - 1) features are all present (17 for two sleeves),
 * each row with its own returns beside it.
 */
export interface FeatureTable {
  readonly length: number;
  readonly featureNames: readonly string[];
  /** Row-major `length x featureNames.length`. */
  readonly features: Float64Array;
  readonly monthEnds: readonly string[];
  /** Sleeve names, sleeve order. */
  readonly sleeveNames: readonly string[];
  /** Each sleeve's returns in the Z rows, sleeve order. */
  readonly returns: readonly Float64Array[];
  /** Index of each Z row in the aligned panel. */
  readonly panelIndex: Int32Array;
}

/**
 * Per sleeve its 7 lagged columns, then the three spreads of sleeve 0 against
 * each other sleeve. Two sleeves keep the reference's names (`spread_mom_3`);
 * with more, a spread is suffixed with the other sleeve's name.
 */
export function featureNames(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of names) {
    for (const w of MOM_WINDOWS) out.push(`ret_${s}_mom_${w}`);
    for (const w of VOL_WINDOWS) out.push(`ret_${s}_vol_${w}`);
  }
  for (let s = 1; s < names.length; s++) {
    const suffix = names.length === 2 ? '' : `_${names[s]}`;
    out.push(`spread_mom_3${suffix}`, `spread_mom_6${suffix}`, `spread_vol_6${suffix}`);
  }
  return out;
}

/** The shape of a run's decisions on these sleeves, as a family's `decisionCost` sees it. */
export function decisionShape(names: readonly string[]): DecisionShape {
  return { sleeves: names.length, features: featureNames(names).length };
}

/** Columns per sleeve in Z, and the offsets of mom_3, mom_6 and vol_6 within them (used by the spreads). */
const PER_SLEEVE = MOM_WINDOWS.length + VOL_WINDOWS.length;
const MOM_3 = 1;
const MOM_6 = 2;
const VOL_6 = MOM_WINDOWS.length + 1;

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
 * Every lagged feature for every aligned month, NaN where a window is too
 * short. Row t only reads returns of months before t.
 */
export function buildAllFeatures(panel: SleevePanel): { names: string[]; values: Float64Array } {
  const names = featureNames(panel.names);
  const n = panel.monthEnds.length;
  const f = names.length;
  const sleeves = panel.returns.length;
  const values = new Float64Array(n * f);
  for (let t = 0; t < n; t++) {
    const row = t * f;
    let k = 0;
    for (const r of panel.returns) {
      for (const w of MOM_WINDOWS) values[row + k++] = laggedMomentum(r, t, w);
      for (const w of VOL_WINDOWS) values[row + k++] = laggedVol(r, t, w);
    }
    for (let s = 1; s < sleeves; s++) {
      const o = row + s * PER_SLEEVE;
      values[row + k++] = values[row + MOM_3] - values[o + MOM_3];
      values[row + k++] = values[row + MOM_6] - values[o + MOM_6];
      values[row + k++] = values[row + VOL_6] - values[o + VOL_6];
    }
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
    sleeveNames: panel.names.slice(),
    returns: panel.returns.map((r) => Float64Array.from(keep, (t) => r[t])),
    panelIndex: Int32Array.from(keep),
  };
}
