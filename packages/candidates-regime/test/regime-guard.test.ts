import { runConformance, syntheticPanel } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { decideRegimeGuard, regimeGuardFamily } from '../src/index.js';

function ctxWithB(retB: number[]) {
  const n = retB.length;
  return {
    step: n,
    monthEnd: '2020-01-31',
    features: new Float64Array(17),
    featureNames: [],
    history: {
      length: n,
      monthEnds: [],
      retA: new Float64Array(n),
      retB: Float64Array.from(retB),
      features: new Float64Array(n * 17),
    },
    seed: 42,
  };
}

describe('regime_guard family (spec section 4)', () => {
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
});
