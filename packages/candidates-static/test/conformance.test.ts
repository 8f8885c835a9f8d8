import { runConformance } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { staticFamily, staticWeights } from '../src/index.js';

describe('static family', () => {
  it('passes the core conformance kit (no look-ahead, determinism, valid outputs)', async () => {
    const report = await runConformance(staticFamily());
    expect(report.checks.length).toBeGreaterThan(0);
    expect(new Set(report.checks.map((c) => c.check))).toEqual(
      new Set([
        'valid-grid',
        'valid-outputs',
        'inputs-unchanged',
        'config-unchanged',
        'determinism',
        'order-independence',
        'no-look-ahead',
        'prefix-invariance',
      ]),
    );
  });

  it('has the five reference baselines (docs/model/families.md)', () => {
    const grid = staticFamily().defaultGrid();
    expect(grid.map((c) => [c.name, c.static_w, c.gross_base, c.max_gross])).toEqual([
      ['baseline_spy_only', 1, 1, 1],
      ['baseline_btc_only', 0, 1, 1],
      ['baseline_equal', 0.5, 1, 1],
      ['btc_only_levered_115', 0, 1.15, 1.15],
      ['btc_only_levered_130', 0, 1.3, 1.3],
    ]);
  });
});

describe('static family for N sleeves (docs/model/families.md)', () => {
  const sleeves = ['spy', 'qqq', 'btc', 'eth'];

  it('has one baseline per sleeve, equal weight and two levered equal weights', () => {
    const family = staticFamily();
    const grid = family.defaultGrid({ names: sleeves });
    expect(grid.map((c) => [c.name, c.weights, c.gross_base])).toEqual([
      ['baseline_spy_only', 'spy=1', 1],
      ['baseline_qqq_only', 'qqq=1', 1],
      ['baseline_btc_only', 'btc=1', 1],
      ['baseline_eth_only', 'eth=1', 1],
      ['baseline_equal', 'equal', 1],
      ['baseline_equal_levered_115', 'equal', 1.15],
      ['baseline_equal_levered_130', 'equal', 1.3],
    ]);
    // Two sleeves keep the reference's configs: no weights key.
    for (const c of family.defaultGrid()) expect('weights' in c).toBe(false);
  });

  it('reads weights by sleeve name; static_w alone gives the rest equal shares', () => {
    const c = staticFamily().candidate('x', { weights: 'eth=0.25,spy=0.75' });
    expect(staticWeights(c, sleeves)).toEqual([0.75, 0, 0, 0.25]);
    expect(staticWeights(staticFamily().candidate('e', { weights: 'equal' }), sleeves)).toEqual([
      0.25, 0.25, 0.25, 0.25,
    ]);
    const rest = staticWeights(staticFamily().candidate('w', { static_w: 0.4 }), sleeves) as number[];
    rest.forEach((w, s) => {
      expect(w).toBeCloseTo(s === 0 ? 0.4 : 0.2, 15);
    });
    expect(staticWeights(staticFamily().candidate('w', { static_w: 0.4 }), ['a', 'b'])).toBe(0.4);
  });

  it('refuses weights that name no sleeve or do not sum to 1', () => {
    expect(() => staticWeights(staticFamily().candidate('x', { weights: 'gold=1' }), sleeves)).toThrow(
      'candidate x: weights names sleeve gold, but the sleeves are spy, qqq, btc, eth',
    );
    expect(() => staticWeights(staticFamily().candidate('y', { weights: 'spy=0.5' }), sleeves)).toThrow(
      'candidate y: weights sum to 0.5, not 1',
    );
    expect(() => staticFamily().candidate('z', { weights: 'spy:1' })).toThrow(
      'weights must be a string matching',
    );
  });
});
