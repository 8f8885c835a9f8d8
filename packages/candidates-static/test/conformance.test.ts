import { runConformance } from '@step4/core/testing';
import { describe, expect, it } from 'vitest';
import { staticFamily } from '../src/index.js';

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

  it('has the five reference baselines (spec section 7)', () => {
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
