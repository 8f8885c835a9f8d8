import { referencePanel, runConformance, syntheticPanel } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { regimeRfDecisions, regimeRfFamily } from '../src/index.js';

describe('regime_rf family (docs/model/families.md and docs/model/README.md)', () => {
  it('passes the core conformance kit', async () => {
    const family = regimeRfFamily();
    const report = await runConformance(family, {
      configs: family.defaultGrid().filter((c) => c.name === 'regime_rf_lb24_g1_0'),
      // Two sleeves (two classes) and four (four classes).
      panels: [
        referencePanel(),
        syntheticPanel({ months: 72, seed: 21 }),
        syntheticPanel({ months: 60, seed: 25, sleeves: 4 }),
      ],
      cuts: 3,
    });
    expect(report.checks.filter((c) => c.check === 'no-look-ahead')).toHaveLength(3);
  }, 120_000);

  it('holds 50/50 without 24 labelled rows and never trains on the unlabelled last history row', () => {
    // Rows 0..25 of a panel whose B return jumps in row 25: the row-24 features would be labelled by
    // row 25's returns only if the last history row were used for the decision at step 25.
    const f = 17;
    const n = 27;
    const retA = new Float64Array(n).fill(0.01);
    const retB = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 0.03 : -0.01));
    const panel = {
      length: n,
      monthEnds: Array.from({ length: n }, (_, i) => `m${i}`),
      sleeveNames: ['a', 'b'],
      returns: [retA, retB],
      retA,
      retB,
      features: Float64Array.from({ length: n * f }, (_, i) => Math.sin(i)),
      featureNames: Array.from({ length: f }, (_, i) => `f${i}`),
    };
    const config = regimeRfFamily().candidate('r', { lookback: 24 });
    expect(regimeRfDecisions('typed', panel, [24], config, 42)).toEqual([{ wRaw: 0.5, conf: 0 }]);
    const before = regimeRfDecisions('typed', panel, [25], config, 42)[0];
    panel.retB[25] = 5; // the return of the month being decided: must not matter
    panel.retA[25] = -0.9;
    expect(regimeRfDecisions('typed', panel, [25], config, 42)[0]).toEqual(before);
  });
});
