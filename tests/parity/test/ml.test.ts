/**
 * Parity of the ML families with the reference (docs/model/families.md, parity
 * README tolerances):
 * - ml_dual_ridge: mu_a, mu_b, policy_w_raw to 1e-8; path columns and metrics to 1e-7;
 * - ml_lr: policy_w_raw, policy_conf and path columns to 2e-4 at every step, metrics to 1e-4
 *   (the reference's lbfgs stops early; we solve to convergence);
 * - ml_rf, regime_rf: no bit parity with another forest; per candidate the policy
 *   outputs correlate >= 0.90 with mean absolute difference <= 0.06 (scikit-learn
 *   re-seeded reaches 0.955-0.967 / 0.026-0.029). regime_rf is compared with the
 *   reference fixed as in docs/model/README.md (paths_regime_rf_fixed.csv).
 */
import { mlDualRidgeFamily, mlLrFamily, mlRfFamily } from '@step4/candidates-ml';
import { regimeRfFamily } from '@step4/candidates-regime';
import { DEFAULT_RUN_OPTIONS, FamilyRegistry, evaluateCandidates, prepareRun } from '@step4/core';
import { referenceRobustness } from '@step4/robustness';
import { describe, expect, it } from 'vitest';
import { PATH_COLUMNS, close, embeddedPanel, flatten, reference, referenceKeyed, referencePaths } from './fixtures.js';

const families = [mlLrFamily(), mlRfFamily(), regimeRfFamily(), mlDualRidgeFamily()];
const registry = new FamilyRegistry();
for (const f of families) registry.register(f);
const grid = families.flatMap((f) => f.defaultGrid());
const prepared = prepareRun(embeddedPanel(), DEFAULT_RUN_OPTIONS);
const evaluated = await evaluateCandidates(grid, registry, prepared, referenceRobustness({ samples: 1200, blockMonths: 6, seed: 42 }));
const byName = new Map(evaluated.map((e) => [e.config.name, e]));
const refPaths = referencePaths();
const refRegimeFixed = referencePaths('paths_regime_rf_fixed.csv');


function comparePaths(name: string, tol: number, ref = refPaths.get(name)!) {
  const path = byName.get(name)!.path!;
  expect(path.monthEnds).toEqual(ref.map((r) => r.month_end));
  let worst = 0;
  for (const [col, column] of PATH_COLUMNS) {
    const ours = column(path);
    ref.forEach((r, k) => {
      const d = Math.abs(ours[k] - (r[col] as number)) / Math.max(1, Math.abs(r[col] as number));
      worst = Math.max(worst, d);
      expect(d, `${name} ${col} at ${r.month_end}: ${ours[k]} vs ${r[col]}`).toBeLessThanOrEqual(tol);
    });
  }
  return worst;
}

function compareMetrics(name: string, tol: number) {
  const ref = reference.candidates[name];
  const ours = flatten(referenceKeyed(byName.get(name)!.metrics!));
  for (const [k, v] of Object.entries(flatten(ref.metrics))) {
    if (k === 'bootstrap_p10_avg_monthly_pnl') {
      const sd = ref.bootstrap_p10_other_seeds.sd;
      expect(Math.abs(ours[k] - v), `${name} bootstrap p10 ${ours[k]} vs ${v}`).toBeLessThanOrEqual(4 * sd + 0.5);
    } else {
      expect(close(ours[k], v, tol), `${name} ${k}: ${ours[k]} vs ${v}`).toBe(true);
    }
  }
}

function agreement(a: Float64Array, b: number[]) {
  const n = b.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  let mad = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
    mad += Math.abs(a[i] - b[i]);
  }
  return { correlation: sab / Math.sqrt(saa * sbb), mad: mad / n };
}

const names = (method: string) => grid.filter((c) => c.method === method).map((c) => c.name);

describe('ml_dual_ridge parity (docs/model/families.md)', () => {
  it.each(names('ml_dual_ridge'))('%s: mu_a, mu_b, w_raw to 1e-8, paths and metrics to 1e-7', (name) => {
    const e = byName.get(name)!;
    expect(e.error).toBeUndefined();
    const ref = refPaths.get(name)!;
    ref.forEach((r, k) => {
      if (Number.isNaN(r.mu_a as number)) {
        expect(Number.isNaN(e.path!.extra!.mu_a[k]), `${r.month_end}: no prediction in the reference`).toBe(true);
        return;
      }
      for (const [col, ours] of [['mu_a', e.path!.extra!.mu_a[k]], ['mu_b', e.path!.extra!.mu_b[k]], ['policy_w_raw', e.path!.policyWRaw[0][k]]] as const) {
        expect(close(ours, r[col] as number, 1e-8), `${col} at ${r.month_end}: ${ours} vs ${r[col]}`).toBe(true);
      }
    });
    comparePaths(name, 1e-7);
    compareMetrics(name, 1e-7);
  });
});

describe('ml_lr parity (docs/model/families.md)', () => {
  it.each(names('ml_lr'))('%s: probabilities, confidence and paths to 2e-4, metrics to 1e-4', (name) => {
    expect(byName.get(name)!.error).toBeUndefined();
    comparePaths(name, 2e-4);
    compareMetrics(name, 1e-4);
  });
});

describe('forest families agree with scikit-learn statistically', () => {
  it.each([...names('ml_rf'), ...names('regime_rf')])('%s: correlation >= 0.90, mean abs difference <= 0.06', (name) => {
    const e = byName.get(name)!;
    expect(e.error).toBeUndefined();
    const ref = (name.startsWith('regime_rf') ? refRegimeFixed : refPaths).get(name)!;
    const { correlation, mad } = agreement(e.path!.policyWRaw[0], ref.map((r) => r.policy_w_raw as number));
    expect(correlation, `${name} correlation`).toBeGreaterThanOrEqual(0.9);
    expect(mad, `${name} mean abs difference`).toBeLessThanOrEqual(0.06);
  });
});
