import { referencePanel, runConformance, syntheticPanel } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { mlDualRidgeFamily, mlLrFamily, mlRfFamily } from '../src/index.js';

// Candidates that differ only in max_gross share their decisions, so one per lookback is enough.
const onePerLookback = <T extends { name: string }>(grid: T[]) =>
  grid.filter((c) => c.name.endsWith('_g1_0'));

describe('ML families pass the core conformance kit (no look-ahead, determinism, valid outputs)', () => {
  it('ml_dual_ridge', async () => {
    const family = mlDualRidgeFamily();
    const report = await runConformance(family, { configs: onePerLookback(family.defaultGrid()) });
    // 3 candidates on the three two-sleeve panels and the two four-sleeve panels.
    const batched = report.checks.filter((c) => c.check === 'batched-equals-stepwise');
    expect(batched).toHaveLength(15);
    expect(batched.filter((c) => c.panel.includes('4 sleeves'))).toHaveLength(6);
  });

  it('ml_lr', async () => {
    const family = mlLrFamily();
    const report = await runConformance(family, {
      configs: family.defaultGrid().filter((c) => c.name === 'ml_lr_lb36_g1_0'),
      // Two sleeves (binary logistic) and four (multinomial).
      panels: [
        referencePanel(),
        syntheticPanel({ months: 72, seed: 17 }),
        syntheticPanel({ months: 60, seed: 21, sleeves: 4 }),
      ],
      cuts: 3,
      stepwiseMonths: 8,
    });
    expect(report.checks.filter((c) => c.check === 'batched-equals-stepwise')).toHaveLength(3);
  }, 240_000);

  it('ml_rf (typed forest)', async () => {
    const family = mlRfFamily();
    const report = await runConformance(family, {
      configs: family.defaultGrid().filter((c) => c.name === 'ml_rf_lb36_g1_0'),
      // Two sleeves (two classes) and four (four classes).
      panels: [
        referencePanel(),
        syntheticPanel({ months: 72, seed: 99, crashMonths: 2 }),
        syntheticPanel({ months: 60, seed: 23, sleeves: 4 }),
      ],
      cuts: 3,
    });
    expect(report.checks.filter((c) => c.check === 'no-look-ahead')).toHaveLength(3);
  }, 120_000);

  it('ml_rf (ml-random-forest engine)', async () => {
    const family = mlRfFamily({ engine: 'ml-random-forest' });
    await runConformance(family, {
      configs: family.defaultGrid().filter((c) => c.name === 'ml_rf_lb24_g1_0'),
      panels: [syntheticPanel({ months: 60, seed: 5 })],
      cuts: 2,
    });
  }, 120_000);
});
