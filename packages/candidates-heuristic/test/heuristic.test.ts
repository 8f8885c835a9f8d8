import { runConformance, syntheticPanel } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { heuristicFamily, riskAdjustedScore, softmaxWeightA } from '../src/index.js';

describe('heuristic family (docs/model/families.md)', () => {
  it('passes the core conformance kit', async () => {
    const report = await runConformance(heuristicFamily());
    // 9 candidates on the three two-sleeve panels and the two four-sleeve panels.
    expect(report.checks.filter((c) => c.check === 'no-look-ahead').length).toBe(9 * 5);
    expect(
      report.checks.filter((c) => c.check === 'no-look-ahead' && c.panel.includes('4 sleeves')).length,
    ).toBe(9 * 2);
  });

  it('also conforms with a short minimum history and an odd lookback', async () => {
    const config = heuristicFamily().candidate('h', { lookback: 5, dd_penalty: 0.5 });
    const report = await runConformance(heuristicFamily(), {
      configs: [config],
      panels: [syntheticPanel({ months: 60, seed: 3 })],
      minHistory: 3,
    });
    // One candidate on one panel: each check of the kit once (no batched form, so no batched-equals-stepwise).
    expect(report.checks.map((c) => c.check).sort()).toEqual(
      [
        'valid-grid',
        'valid-outputs',
        'inputs-unchanged',
        'config-unchanged',
        'determinism',
        'order-independence',
        'no-look-ahead',
        'prefix-invariance',
      ].sort(),
    );
  });

  it('scores mean/population std minus the penalty times max drawdown', () => {
    const r = Float64Array.from([0.1, -0.2, 0.05]);
    // mean -0.016667, population std 0.124722; path 1.1, 0.88, 0.924: maxDD 0.2
    const m = -0.05 / 3;
    const sd = Math.sqrt(((0.1 - m) ** 2 + (-0.2 - m) ** 2 + (0.05 - m) ** 2) / 3);
    expect(riskAdjustedScore(r, 1.2)).toBeCloseTo(m / sd - 1.2 * 0.2, 12);
  });

  it('softmax at temperature 0.35 is stable for huge scores', () => {
    expect(softmaxWeightA(0, 0)).toBe(0.5);
    expect(softmaxWeightA(1e6, 0)).toBe(1);
    expect(softmaxWeightA(0.35, 0)).toBeCloseTo(Math.E / (Math.E + 1), 14);
  });
});
