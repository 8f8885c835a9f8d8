/**
 * ml_dual_ridge's forecasts (`mu_a`, `mu_b` in the path table) exist only in
 * months whose training window holds at least 24 labelled rows; before that
 * the decision is the neutral hold with no forecast, and the path marks the
 * month as "not defined" (NaN in memory, null in the Parquet file).
 */
import { buildFeatureTable, runWalkForward } from '@step4/core';
import { syntheticPanel } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { mlDualRidgeFamily } from '../src/index.js';
import { HOLD } from '../src/policies.js';

describe('ml_dual_ridge forecast diagnostics', () => {
  it('has no forecast in months with fewer than 24 labelled rows and a finite one in every other month', async () => {
    const family = mlDualRidgeFamily();
    const config = family.defaultGrid().find((c) => c.name === 'ml_dual_ridge_lb24_g1_0')!;
    const table = buildFeatureTable(syntheticPanel({ months: 60, seed: 5 }));
    for (const minHistory of [24, 26]) {
      const path = await runWalkForward(family, config, table, { minHistory, seed: 42 });
      const { mu_a: muA, mu_b: muB } = path.extra!;
      for (let k = 0; k < path.monthEnds.length; k++) {
        // Decision for Z row i: hist has i rows, i - 1 of them with a next-month target.
        const labelled = minHistory + k - 1;
        if (labelled < 24) {
          expect([muA[k], muB[k]], `month ${k}`).toEqual([Number.NaN, Number.NaN]);
          expect([path.policyWRaw[0][k], path.policyConf[k]]).toEqual([HOLD.wRaw, HOLD.conf]);
        } else {
          expect(Number.isFinite(muA[k]) && Number.isFinite(muB[k]), `month ${k}`).toBe(true);
        }
      }
      // With min history 24 only the first month lacks a forecast; with 26 none does.
      expect(Number.isNaN(muA[0])).toBe(minHistory === 24);
    }
  });
});
