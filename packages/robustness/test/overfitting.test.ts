import { perf } from '@step4/core';
import { describe, expect, it } from 'vitest';
import {
  blockBootstrapAvgMonthlyPnl,
  deflatedSharpeRatio,
  expectedMaxSharpe,
  honestRun,
  normalCdf,
  normalQuantile,
  probabilisticSharpeRatio,
  probabilityOfBacktestOverfitting,
  returnMoments,
  SeededRandom,
  stationaryIndices,
} from '../src/index.js';
import { fakeCandidate } from './fake-candidate.js';
import { gaussian } from './gaussian.js';

describe('deflated and probabilistic Sharpe ratios', () => {
  it('reproduces the numerical example of "The Deflated Sharpe Ratio" (Bailey and López de Prado, 2014)', () => {
    // N = 100 trials, variance of their annualised Sharpe ratios 1/2, best annualised SR 2.5,
    // T = 1250 daily returns (250 a year), skewness -3, kurtosis 10.
    const sr0 = expectedMaxSharpe(100, 0.5 / 250);
    expect(sr0.toFixed(4)).toBe('0.1132'); // the paper's expected maximum daily SR
    const dsr = probabilisticSharpeRatio(2.5 / Math.sqrt(250), sr0, 1250, -3, 10);
    expect(dsr.toFixed(4)).toBe('0.9004'); // the paper's DSR
    const d = deflatedSharpeRatio(
      { n: 1250, sharpe: 2.5 / Math.sqrt(250), skewness: -3, kurtosis: 10 },
      100,
      0.5 / 250,
    );
    expect(d.deflatedSharpeRatio).toBe(dsr);
  });

  it('reproduces the PSR example of "The Sharpe Ratio Efficient Frontier" (Bailey and López de Prado, 2012)', () => {
    // 24 monthly returns, annualised SR 1.585, skewness -2.448, kurtosis 10.164: PSR(0) = 0.913.
    const psr = probabilisticSharpeRatio(1.585 / Math.sqrt(12), 0, 24, -2.448, 10.164);
    expect(psr.toFixed(3)).toBe('0.913');
    expect(psr).toBeCloseTo(0.91323430688486, 9);
  });

  it('PSR against 0 of normal returns, by hand: Φ(SR sqrt(T-1) / sqrt(1 + SR²/2))', () => {
    // SR 0.1, T = 100, skew 0, kurtosis 3: z = 0.1 * sqrt(99) / sqrt(1.005) = 0.992475...
    const z = (0.1 * Math.sqrt(99)) / Math.sqrt(1.005);
    expect(probabilisticSharpeRatio(0.1, 0, 100, 0, 3)).toBeCloseTo(normalCdf(z), 15);
    expect(normalCdf(0.992475)).toBeCloseTo(0.8395, 4);
    // Negative skew and fat tails widen the band: a lower PSR for the same SR.
    expect(probabilisticSharpeRatio(0.1, 0, 100, -1, 6)).toBeLessThan(
      probabilisticSharpeRatio(0.1, 0, 100, 0, 3),
    );
  });

  it('normal quantile and cdf invert each other', () => {
    for (const p of [1e-9, 0.01, 0.3, 0.5, 0.975, 1 - 1e-9])
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
  });

  it('moments: skewness and kurtosis of a known sample', () => {
    const m = returnMoments([1, 2, 3, 4, 10]);
    // mean 4, deviations -3 -2 -1 0 6: m2 = 10, m3 = 36 * 6 / 5 - ... computed: (−27 −8 −1 + 0 + 216)/5 = 36
    expect(m.skewness).toBeCloseTo(36 / 10 ** 1.5, 12);
    expect(m.kurtosis).toBeCloseTo((81 + 16 + 1 + 0 + 1296) / 5 / 100, 12);
    expect(m.sharpe).toBeCloseTo(4 / Math.sqrt(50 / 4), 12);
  });
});

describe('probability of backtest overfitting (CSCV, Bailey et al. 2014)', () => {
  it('worked example computed by hand: 3 candidates, 4 blocks of 2 months, mean as the measure', () => {
    // Block means: A = 4 1 1 1, B = 1 3 1 2, C = 2 2 2 2. For the 6 choices of 2 IS blocks
    // the IS winner and its OOS rank among 3 are (by hand):
    // {0,1} A: OOS A 1, B 1.5, C 2 -> rank 1;  {0,2} A: 1, 2.5, 2 -> 1;  {0,3} A: 1, 2, 2 -> 1;
    // {1,2} B (tie with C, earlier wins): A 2.5, B 1.5, C 2 -> 1;  {1,3} B: 2.5, 1, 2 -> 1;
    // {2,3} C: A 2.5, B 2, C 2 -> 1.5 (tie averaged). w = rank / 4, λ = ln(w / (1 - w)).
    const block = (...means: number[]) => Float64Array.from(means.flatMap((m) => [m, m]));
    const r = [block(4, 1, 1, 1), block(1, 3, 1, 2), block(2, 2, 2, 2)];
    const mean = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;
    const p = probabilityOfBacktestOverfitting(r, { blocks: 4, measure: mean });
    expect(p.combinations).toBe(6);
    expect(p.pbo).toBe(1);
    expect(p.logits.mean).toBeCloseTo((5 * Math.log(1 / 3) + Math.log(0.6)) / 6, 12);
    // IS of the winners 2.5 2.5 2.5 2 2.5 2, OOS 1 1 1 1.5 1 2: least-squares slope -1.5.
    expect(p.degradation.slope).toBeCloseTo(-1.5, 12);
    expect(p.probabilityOfOosLoss).toBe(0);
  });

  it('pure noise candidates: PBO near 0.5', () => {
    const rng = new SeededRandom(3);
    const r = Array.from({ length: 20 }, () =>
      Float64Array.from({ length: 160 }, () => 0.04 * gaussian(rng)),
    );
    const p = probabilityOfBacktestOverfitting(r, { blocks: 16 });
    expect(p.combinations).toBe(12870);
    expect(p.pbo).toBeGreaterThan(0.3);
    expect(p.pbo).toBeLessThan(0.8);
  });

  it('one strongly dominant candidate: PBO near 0', () => {
    const rng = new SeededRandom(4);
    const r = Array.from({ length: 20 }, (_, n) =>
      Float64Array.from({ length: 160 }, () => (n === 7 ? 0.03 : 0) + 0.02 * gaussian(rng)),
    );
    const p = probabilityOfBacktestOverfitting(r, { blocks: 16 });
    expect(p.pbo).toBeLessThan(0.02);
    expect(p.probabilityOfOosLoss).toBe(0);
  });

  it('drops the earliest months that do not fill a block, and is deterministic', () => {
    const rng = new SeededRandom(5);
    const r = Array.from({ length: 5 }, () => Float64Array.from({ length: 90 }, () => 0.03 * gaussian(rng)));
    const a = probabilityOfBacktestOverfitting(r, { blocks: 16 });
    expect([a.monthsUsed, a.monthsDropped]).toEqual([80, 10]);
    expect(probabilityOfBacktestOverfitting(r, { blocks: 16 })).toEqual(a);
    expect(() => probabilityOfBacktestOverfitting(r, { blocks: 5 })).toThrow(/even/);
  });
});

describe('stationary bootstrap (Politis and Romano 1994)', () => {
  it('draws blocks with geometric lengths of the requested mean', () => {
    const rng = new SeededRandom(9);
    const idx = new Int32Array(100_000);
    stationaryIndices(idx.length, 6, rng, idx);
    let blocks = 1;
    for (let k = 1; k < idx.length; k++) if (idx[k] !== (idx[k - 1] + 1) % idx.length) blocks++;
    expect(idx.length / blocks).toBeGreaterThan(5.6);
    expect(idx.length / blocks).toBeLessThan(6.4);
  });

  it('is selectable and seeded', () => {
    const r = Float64Array.from({ length: 48 }, (_, i) => 0.01 + 0.05 * Math.sin(i));
    const opts = { samples: 300, blockMonths: 6, seed: 1, method: 'stationary' as const };
    const a = blockBootstrapAvgMonthlyPnl(r, 10_000, opts);
    expect(blockBootstrapAvgMonthlyPnl(r, 10_000, opts)).toEqual(a);
    expect(blockBootstrapAvgMonthlyPnl(r, 10_000, { ...opts, method: 'circular' })).not.toEqual(a);
  });
});

describe('selection-honest walk-forward', () => {
  const months = Array.from(
    { length: 40 },
    (_, i) =>
      `20${String(10 + Math.floor(i / 12)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}-28`,
  );
  const fake = (name: string, ret: Float64Array) => fakeCandidate(name, ret, months);
  const rng = new SeededRandom(11);
  const cands = Array.from({ length: 6 }, (_, k) =>
    fake(
      `c${k}`,
      Float64Array.from({ length: 40 }, () => 0.005 * k + 0.03 * gaussian(rng)),
    ),
  );
  const opts = {
    objective: 'return' as const,
    ddCap: 0.5,
    split: { index: 20, monthEnd: months[19] },
    startCapital: 10_000,
    bootstrap: { samples: 200, blockMonths: 6, seed: 42 },
  };

  it('earns, each test month, the return of the candidate that was best on the months before it', () => {
    const h = honestRun(cands, opts);
    expect(h.monthEnds).toEqual(months.slice(20));
    h.chosen.forEach((name, j) => {
      expect(h.returns[j]).toBe(cands.find((c) => c.config.name === name)!.path!.retNet[20 + j]);
    });
    expect(h.test).toEqual(perf(h.returns, 10_000));
  });

  it("never reads a month's own returns when choosing for it (poison the month and everything after)", () => {
    const base = honestRun(cands, opts);
    for (const cut of [20, 27, 39]) {
      const poisoned = cands.map((c) => {
        const r = c.path!.retNet.slice();
        for (let t = cut; t < r.length; t++) r[t] = rng.nextFloat() * 2 - 0.9;
        return fake(c.config.name, r);
      });
      const h = honestRun(poisoned, opts);
      expect(h.chosen.slice(0, cut - 20 + 1)).toEqual(base.chosen.slice(0, cut - 20 + 1));
    }
  });
});
