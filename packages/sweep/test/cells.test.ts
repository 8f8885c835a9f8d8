import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  cellHash,
  expandUniverses,
  expandVariants,
  resolvedOptions,
  subsets,
  withCosts,
} from '../src/index.js';

describe('universes', () => {
  it('every subset of size k, in library order', () => {
    expect(subsets(['a', 'b', 'c', 'd'], 2)).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['a', 'd'],
      ['b', 'c'],
      ['b', 'd'],
      ['c', 'd'],
    ]);
    const twenty = Array.from({ length: 20 }, (_, i) => `s${i}`);
    expect(subsets(twenty, 3)).toHaveLength(1140);
  });

  it('sizes k..m, smallest first; explicit lists as given', () => {
    const sleeves = { a: 'x', b: 'x', c: 'x', d: 'x' };
    const u = expandUniverses({ sleeves, universes: { minSize: 2, maxSize: 3 } });
    expect(u).toHaveLength(6 + 4);
    expect(u[0]).toEqual(['a', 'b']);
    expect(u[6]).toEqual(['a', 'b', 'c']);
    expect(u[9]).toEqual(['b', 'c', 'd']);
    expect(
      expandUniverses({
        sleeves,
        universes: [
          ['d', 'a'],
          ['b', 'c'],
        ],
      }),
    ).toEqual([
      ['d', 'a'],
      ['b', 'c'],
    ]);
  });

  it('the six embedded sleeves give 20 three-sleeve universes', () => {
    const sleeves = Object.fromEntries(['spy', 'qqq', 'btc', 'eth', 'spyqqq', 'btceth'].map((n) => [n, n]));
    expect(expandUniverses({ sleeves, universes: { minSize: 3 } })).toHaveLength(20);
  });
});

describe('variants', () => {
  it('a product of the axes, first axis slowest, over the base options', () => {
    const v = expandVariants({
      options: { seed: 7 },
      variants: [
        { trainRatio: [0.5, 0.6] },
        [{ turn_cost_bps: 12 }, { turn_cost_bps: 24, gross_cost_bps: 12 }],
      ],
    });
    expect(v).toEqual([
      { seed: 7, trainRatio: 0.5, turn_cost_bps: 12 },
      { seed: 7, trainRatio: 0.5, turn_cost_bps: 24, gross_cost_bps: 12 },
      { seed: 7, trainRatio: 0.6, turn_cost_bps: 12 },
      { seed: 7, trainRatio: 0.6, turn_cost_bps: 24, gross_cost_bps: 12 },
    ]);
    expect(
      expandVariants({ options: {}, variants: [{ seed: [1, 2], trainRatio: [0.5, 0.6] }] }),
    ).toHaveLength(4);
    expect(expandVariants({ options: {}, variants: [] })).toEqual([{}]);
  });

  it('a cost variant sets the costs of every candidate', () => {
    const grid = [
      { name: 'a', method: 'static', turn_cost_bps: 12, gross_cost_bps: 6 },
      { name: 'b', method: 'heuristic' },
    ] as never;
    expect(withCosts(grid, { turn_cost_bps: 30 })).toEqual([
      { name: 'a', method: 'static', turn_cost_bps: 30, gross_cost_bps: 6 },
      { name: 'b', method: 'heuristic', turn_cost_bps: 30 },
    ]);
  });
});

describe('cell hash', () => {
  const body = {
    sleeves: [
      { name: 'spy', sha256: 'a'.repeat(64), label: 'embedded:spy' },
      { name: 'btc', sha256: 'b'.repeat(64), label: 'embedded:btc' },
    ],
    options: { turn_cost_bps: 12 },
    grid: [{ name: 'baseline', method: 'static', static_w: 0.5 }] as never,
    families: [{ name: 'static', version: '0.1.0' }],
    packages: { '@step4/engine': '0.1.0' },
  };

  it('is stable: the same inputs give the same hash, whatever the key order or the labels', () => {
    const h = cellHash(body);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(cellHash(JSON.parse(JSON.stringify(body)))).toBe(h);
    expect(cellHash({ ...body, options: { turn_cost_bps: 12, seed: 42 } })).toBe(h);
    expect(cellHash({ ...body, sleeves: body.sleeves.map((s) => ({ ...s, label: '/elsewhere.csv' })) })).toBe(
      h,
    );
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
  });

  it('changes when any input changes', () => {
    const h = cellHash(body);
    const changed = [
      { ...body, sleeves: [{ ...body.sleeves[0], sha256: 'c'.repeat(64) }, body.sleeves[1]] },
      { ...body, sleeves: [{ ...body.sleeves[0], name: 'qqq' }, body.sleeves[1]] },
      { ...body, sleeves: [...body.sleeves].reverse() },
      { ...body, options: { turn_cost_bps: 13 } },
      { ...body, options: { turn_cost_bps: 12, trainRatio: 0.7 } },
      { ...body, grid: [{ name: 'baseline', method: 'static', static_w: 0.6 }] as never },
      { ...body, families: [{ name: 'static', version: '0.2.0' }] },
      { ...body, packages: { '@step4/engine': '0.1.1' } },
    ];
    const hashes = changed.map(cellHash);
    for (const x of hashes) expect(x).not.toBe(h);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(resolvedOptions({}).seed).toBe(42);
  });
});
