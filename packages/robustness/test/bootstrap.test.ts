import { percentile, type WalkForwardPath } from '@step4/core';
import { describe, expect, it } from 'vitest';
import {
  blockBootstrapAvgMonthlyPnl,
  bootstrapP10AvgMonthlyPnl,
  circularBlockIndices,
  costStressAvgMonthlyPnl,
  SeededRandom,
} from '../src/index.js';

describe('SeededRandom (xoshiro128** seeded by splitmix32)', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('draws integers uniformly in [0, n) (chi-square over 48 bins)', () => {
    const rng = new SeededRandom(7);
    const n = 48;
    const counts = new Array(n).fill(0);
    const draws = 96_000;
    for (let i = 0; i < draws; i++) counts[rng.nextInt(n)]++;
    const expected = draws / n;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 47 degrees of freedom: the 99.9% quantile is about 82.7.
    expect(chi2).toBeLessThan(82.7);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('floats lie in [0, 1) with mean near 1/2', () => {
    const rng = new SeededRandom(1);
    let s = 0;
    for (let i = 0; i < 50_000; i++) {
      const x = rng.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      s += x;
    }
    expect(Math.abs(s / 50_000 - 0.5)).toBeLessThan(0.01);
  });
});

describe('circular block bootstrap (docs/model/metrics.md)', () => {
  it('builds n indices from blocks of consecutive months that wrap around', () => {
    const idx = circularBlockIndices(10, 4, new SeededRandom(3), new Int32Array(10));
    for (let k = 0; k < 10; k++) {
      if (k % 4 !== 0) expect(idx[k]).toBe((idx[k - 1] + 1) % 10);
      expect(idx[k] >= 0 && idx[k] < 10).toBe(true);
    }
  });

  it('reports the 10th percentile of the resampled average pnl, reproducibly', () => {
    const r = Float64Array.from({ length: 48 }, (_, i) => 0.01 + 0.05 * Math.sin(i * 1.7));
    const opts = { samples: 500, blockMonths: 6, seed: 42 };
    const samples = blockBootstrapAvgMonthlyPnl(r, 10_000, opts);
    expect(bootstrapP10AvgMonthlyPnl(r, 10_000, opts)).toBe(percentile(samples, 10));
    expect(bootstrapP10AvgMonthlyPnl(r, 10_000, opts)).toBe(bootstrapP10AvgMonthlyPnl(r, 10_000, opts));
    // A constant series has no sampling noise: every sample equals the series' own average pnl.
    const flat = new Float64Array(12).fill(0.01);
    expect(bootstrapP10AvgMonthlyPnl(flat, 1000, opts)).toBeCloseTo((1000 * 1.01 ** 12 - 1000) / 12, 9);
  });

  it('is 0 with no samples or fewer than 4 returns', () => {
    expect(
      bootstrapP10AvgMonthlyPnl(Float64Array.from([0.1, 0.2, 0.3]), 1, {
        samples: 100,
        blockMonths: 2,
        seed: 1,
      }),
    ).toBe(0);
    expect(
      bootstrapP10AvgMonthlyPnl(Float64Array.from([0.1, 0.2, 0.3, 0.4]), 1, {
        samples: 0,
        blockMonths: 2,
        seed: 1,
      }),
    ).toBe(0);
  });
});

describe('cost stress (docs/model/metrics.md)', () => {
  it('is the mean of ret_gross - 1.25 cost, times K', () => {
    const path = {
      retGross: Float64Array.from([0.02, -0.01]),
      cost: Float64Array.from([0.004, 0]),
    } as unknown as WalkForwardPath;
    expect(costStressAvgMonthlyPnl(path, 10_000)).toBeCloseTo(((0.02 - 0.005 - 0.01) / 2) * 10_000, 10);
  });
});
