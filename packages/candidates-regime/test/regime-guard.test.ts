import { runConformance, syntheticPanel } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { decideRegimeGuard, regimeGuardFamily } from '../src/index.js';

/** A four-sleeve context whose sleeve `risky` has the given returns (the others are flat). */
function ctxWithRisky(returns: number[], risky: number) {
  const n = returns.length;
  const series = [0, 1, 2, 3].map((s) => (s === risky ? Float64Array.from(returns) : new Float64Array(n)));
  return {
    step: n,
    monthEnd: '2020-01-31',
    features: new Float64Array(37),
    featureNames: [],
    sleeveNames: ['spy', 'qqq', 'btc', 'eth'],
    history: {
      length: n,
      monthEnds: [],
      returns: series,
      retA: series[0],
      retB: series[1],
      features: new Float64Array(n * 37),
    },
    seed: 42,
  };
}

function ctxWithB(retB: number[]) {
  const n = retB.length;
  return {
    step: n,
    monthEnd: '2020-01-31',
    features: new Float64Array(17),
    featureNames: [],
    sleeveNames: ['a', 'b'],
    history: {
      length: n,
      monthEnds: [],
      returns: [new Float64Array(n), Float64Array.from(retB)],
      retA: new Float64Array(n),
      retB: Float64Array.from(retB),
      features: new Float64Array(n * 17),
    },
    seed: 42,
  };
}

describe('regime_guard family (docs/model/families.md)', () => {
  it('passes the core conformance kit', async () => {
    const report = await runConformance(regimeGuardFamily());
    expect(report.checks.length).toBeGreaterThan(0);
  });

  it('conforms from the very first month (tiny histories)', async () => {
    await runConformance(regimeGuardFamily(), {
      configs: [regimeGuardFamily().candidate('g', { lookback: 3 })],
      panels: [syntheticPanel({ months: 50, seed: 9, crashMonths: 2 })],
      minHistory: 1,
    });
  });

  it('goes risk-off (0.75 in A) after a crash with high volatility', () => {
    const calm = Array.from({ length: 30 }, (_, i) => 0.02 + 0.01 * Math.sin(i));
    const d = decideRegimeGuard(
      ctxWithB([...calm, -0.3, 0.25, -0.35]),
      regimeGuardFamily().candidate('g', { lookback: 3 }),
    );
    expect(d.wRaw).toBe(0.75);
    expect(d.conf).toBeGreaterThan(0);
    expect(d.conf).toBeLessThanOrEqual(1);
  });

  it('holds mostly B (0.15 in A) in a calm uptrend', () => {
    const calm = Array.from({ length: 30 }, (_, i) => 0.02 + 0.01 * Math.sin(i));
    expect(decideRegimeGuard(ctxWithB(calm), regimeGuardFamily().candidate('g', { lookback: 6 })).wRaw).toBe(
      0.15,
    );
  });

  it('with four sleeves, the risky sleeve (default the last) gets 0.25 risk-off and 0.85 risk-on', () => {
    const calm = Array.from({ length: 30 }, (_, i) => 0.02 + 0.01 * Math.sin(i));
    const crash = [...calm, -0.3, 0.25, -0.35];
    const family = regimeGuardFamily();
    const off = decideRegimeGuard(ctxWithRisky(crash, 3), family.candidate('g', { lookback: 3 }));
    expect(off.wRaw).toEqual([0.25, 0.25, 0.25, 0.25]);
    const on = decideRegimeGuard(ctxWithRisky(calm, 3), family.candidate('g', { lookback: 6 }));
    (on.wRaw as number[]).forEach((w, s) => {
      expect(w).toBeCloseTo(s === 3 ? 0.85 : 0.05, 15);
    });
    // risky_sleeve names another sleeve: it gets the risky weight (risk-on here, its calm uptrend).
    const btc = decideRegimeGuard(
      ctxWithRisky(calm, 2),
      family.candidate('g', { lookback: 6, risky_sleeve: 'btc' }),
    );
    (btc.wRaw as number[]).forEach((w, s) => {
      expect(w).toBeCloseTo(s === 2 ? 0.85 : 0.05, 15);
    });
    expect(() =>
      decideRegimeGuard(ctxWithRisky(crash, 2), family.candidate('g', { lookback: 3, risky_sleeve: 'gold' })),
    ).toThrow('risky_sleeve gold is not a sleeve (spy, qqq, btc, eth)');
    // Two-sleeve configs stay the reference's: no risky_sleeve key.
    for (const c of family.defaultGrid()) expect('risky_sleeve' in c).toBe(false);
  });
});
