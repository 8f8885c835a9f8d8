import { describe, expect, it } from 'vitest';
import {
  type DecisionShape,
  FamilyRegistry,
  decisionGroups,
  decisionGroupsCostliestFirst,
  defineFamily,
} from '../src/index.js';

/** A family whose stated cost is `cost(lookback, shape)` (undefined: it states none). */
const family = (name: string, cost?: (lookback: number, shape: DecisionShape) => number) =>
  defineFamily({
    meta: { name, version: '1.0.0', coreApi: 2 },
    params: { lookback: { type: 'integer', default: 6, min: 1, max: 60, description: 'Months.' } },
    defaultGrid: (c) => [c(`${name}_a`)],
    ...(cost ? { decisionCost: (config, shape) => cost(config.lookback, shape) } : {}),
    decide: () => ({ wRaw: 0.5, conf: 0 }),
  });

const shape: DecisionShape = { sleeves: 4, features: 37 };

describe('decision groups, costliest first', () => {
  const heavy = family('heavy', (lookback, s) => lookback * s.sleeves);
  const plain = family('plain');
  const bad = family('bad', (lookback) => {
    if (lookback === 5) throw new Error('no hint for 5');
    return lookback === 1 ? Number.NaN : -lookback;
  });
  const registry = new FamilyRegistry().register(plain).register(heavy).register(bad);
  const grid = [
    plain.candidate('plain_1', { lookback: 3 }),
    heavy.candidate('heavy_2', { lookback: 2 }),
    heavy.candidate('heavy_2_g', { lookback: 2, max_gross: 1.3 }),
    bad.candidate('bad_1', { lookback: 1 }),
    heavy.candidate('heavy_12', { lookback: 12 }),
    plain.candidate('plain_2', { lookback: 4 }),
    bad.candidate('bad_5', { lookback: 5 }),
  ];
  const names = (groups: readonly { name: string }[][]) => groups.map((g) => g.map((c) => c.name));

  it('orders the groups by their family’s cost of a decision, keeps each group whole and ties in grid order', () => {
    // heavy: 12 x 4 = 48, 2 x 4 = 8; plain and bad (no usable hint, or a hint that throws): the
    // default 1, in grid order.
    expect(names(decisionGroupsCostliestFirst(grid, registry, shape))).toEqual([
      ['heavy_12'],
      ['heavy_2', 'heavy_2_g'],
      ['plain_1'],
      ['bad_1'],
      ['plain_2'],
      ['bad_5'],
    ]);
  });

  it('passes the run’s shape to the family', () => {
    const seen: DecisionShape[] = [];
    const spy = family('spy', (_l, s) => {
      seen.push(s);
      return 1;
    });
    decisionGroupsCostliestFirst([spy.candidate('spy_a')], new FamilyRegistry().register(spy), shape);
    expect(seen).toEqual([shape]);
  });

  it('holds the same groups as decisionGroups', () => {
    const sorted = (g: string[][]) => [...g].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(sorted(names(decisionGroupsCostliestFirst(grid, registry, shape)))).toEqual(
      sorted(names(decisionGroups(grid))),
    );
  });
});
