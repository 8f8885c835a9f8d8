import {
  type CandidateMetrics,
  type EvaluatedCandidate,
  type ObjectiveName,
  SeededRandom,
  mean,
  objectiveScore,
  perf,
  std,
} from '@step4/core';
import { describe, expect, it } from 'vitest';
import {
  analyseOverfitting,
  blockBootstrapAvgMonthlyPnl,
  bootstrapTailAvgMonthlyPnl,
  candidateBootstrap,
  combinations,
  objectivePbo,
  quantileMcStdError,
  referenceRobustness,
  switchingCost,
} from '../src/index.js';
import { fakeCandidate } from './fake-candidate.js';
import { gaussian } from './gaussian.js';

const monthsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const y = 2000 + Math.floor(i / 12);
    return `${y}-${String((i % 12) + 1).padStart(2, '0')}-28`;
  });

/** A fake candidate whose weights move (so diversity, activity and weight spread differ by candidate). */
function movingCandidate(name: string, ret: Float64Array, months: readonly string[], rng: SeededRandom) {
  const c = fakeCandidate(name, ret, months);
  const w = Float64Array.from(ret, () => rng.nextFloat());
  const p = c.path!;
  const turnover = Float64Array.from(w, (x, k) => (k === 0 ? Math.abs(x - 0.5) : Math.abs(x - w[k - 1])));
  return {
    ...c,
    path: { ...p, weights: [w, Float64Array.from(w, (x) => 1 - x)], turnoverAbs: turnover },
  } as EvaluatedCandidate;
}

/**
 * Brute force: PBO of one objective over S blocks of months [from, to),
 * assembling each half's series and scoring it with core's own perf/mean/std
 * and objectiveScore (bootstrap tail 0, as documented).
 */
function bruteForcePbo(
  cands: readonly EvaluatedCandidate[],
  objective: ObjectiveName,
  S: number,
  from: number,
  to: number,
) {
  const T = to - from;
  const L = Math.floor(T / S);
  const first = from + (T - L * S);
  const N = cands.length;
  let overfit = 0;
  let splits = 0;
  const half = (c: EvaluatedCandidate, blocks: number[]): CandidateMetrics => {
    const idx = blocks.flatMap((b) => Array.from({ length: L }, (_, t) => first + b * L + t));
    const p = c.path!;
    const r = Float64Array.from(idx, (k) => p.retNet[k]);
    const w = p.weights.map((x) => Float64Array.from(idx, (k) => x[k]));
    const t = perf(r, 10_000);
    return {
      full: t,
      train: t,
      test: t,
      stress_1_25_avg_monthly_pnl: 0,
      bootstrap_p10_avg_monthly_pnl: 0,
      avg_turnover_abs: mean(Float64Array.from(idx, (k) => p.turnoverAbs[k])),
      avg_gross_leverage: 1,
      avg_weight_a: mean(w[0]),
      weight_std_a: std(w[0], 0),
      avg_weights: w.map((x) => mean(x)),
      weight_stds: w.map((x) => std(x, 0)),
      train_test_calmar_gap_abs: 0,
    };
  };
  for (const chosen of combinations(S, S / 2)) {
    const is = [...chosen];
    const oos = Array.from({ length: S }, (_, b) => b).filter((b) => !is.includes(b));
    const isScore = cands.map((c) => objectiveScore(objective, half(c, is)));
    const oosScore = cands.map((c) => objectiveScore(objective, half(c, oos)));
    let best = 0;
    for (let n = 1; n < N; n++) if (isScore[n] > isScore[best]) best = n;
    const below = oosScore.filter((v) => v < oosScore[best]).length;
    const ties = oosScore.filter((v, n) => n !== best && v === oosScore[best]).length;
    const w = (below + 1 + ties / 2) / (N + 1);
    if (Math.log(w / (1 - w)) < -1e-12) overfit++;
    splits++;
  }
  return overfit / splits;
}

describe("PBO of each objective's own selection", () => {
  const rng = new SeededRandom(21);
  const months = monthsOf(60);
  const cands = Array.from({ length: 9 }, (_, n) =>
    movingCandidate(
      `c${n}`,
      Float64Array.from({ length: 60 }, () => 0.002 * n + 0.04 * gaussian(rng)),
      months,
      rng,
    ),
  );
  const objectives: ObjectiveName[] = ['return', 'balanced', 'calmar', 'robust'];

  it('equals a brute-force CSCV that scores every half with the objective formula (block sums cannot drift)', () => {
    for (const [S, from] of [
      [6, 0],
      [8, 24],
    ] as const) {
      const fast = objectivePbo(
        cands.map((c) => c.path!),
        { objectives, blocks: S, startCapital: 10_000, from },
      );
      for (const o of objectives) {
        const p = fast.get(o)!;
        expect(p.computed).toBe(true);
        if (p.computed)
          expect(p.pbo, `${o} S=${S} from ${from}`).toBeCloseTo(bruteForcePbo(cands, o, S, from, 60), 12);
      }
    }
  });

  it('the return objective ranks by end equity, Calmar and drawdown only: weights do not change its PBO', () => {
    const still = cands.map((c) => fakeCandidate(c.config.name, c.path!.retNet, months));
    const a = objectivePbo(
      cands.map((c) => c.path!),
      { objectives: ['return', 'robust'], blocks: 8, startCapital: 10_000, from: 0 },
    );
    const b = objectivePbo(
      still.map((c) => c.path!),
      { objectives: ['return', 'robust'], blocks: 8, startCapital: 10_000, from: 0 },
    );
    expect((b.get('return') as { pbo: number }).pbo).toBe((a.get('return') as { pbo: number }).pbo);
    // The robust score rewards diversity and activity, which the moving weights change: its split scores move.
    const slope = (m: typeof a) =>
      (m.get('robust') as { degradation: { intercept: number } }).degradation.intercept;
    expect(slope(b)).not.toBeCloseTo(slope(a), 6);
  });
});

describe('bootstrap streams per candidate', () => {
  const r = Float64Array.from({ length: 48 }, (_, i) => 0.01 + 0.05 * Math.sin(i * 1.3));
  const base = { samples: 1200, blockMonths: 6, seed: 42 };

  it('two candidates with the same returns draw different resamples; the grid order changes nothing', () => {
    const probe = referenceRobustness(base);
    const a = probe.tailAvgMonthlyPnlP10(r, 10_000, 'alpha');
    const b = probe.tailAvgMonthlyPnlP10(r, 10_000, 'beta');
    expect(a).not.toEqual(b);
    // The stream depends on the name only: asking in another order gives the same numbers.
    expect(probe.tailAvgMonthlyPnlP10(r, 10_000, 'beta')).toEqual(b);
    expect(probe.tailAvgMonthlyPnlP10(r, 10_000, 'alpha')).toEqual(a);
    expect(candidateBootstrap(base, 'alpha').seed).not.toBe(base.seed);
  });

  it("the p10's Monte Carlo standard error matches the spread of the p10 over 200 seeds", () => {
    const p10s = Array.from(
      { length: 200 },
      (_, s) => bootstrapTailAvgMonthlyPnl(r, 10_000, { ...base, seed: s + 1 }).p10,
    );
    const spread = std(Float64Array.from(p10s), 1);
    const ses = Array.from(
      { length: 20 },
      (_, s) => bootstrapTailAvgMonthlyPnl(r, 10_000, { ...base, seed: 1000 + s }).mcStdError,
    );
    const se = mean(Float64Array.from(ses));
    // The order-statistic estimate is itself noisy (about 20% per run); the mean of 20 must be within 25% of the truth.
    expect(se / spread).toBeGreaterThan(0.75);
    expect(se / spread).toBeLessThan(1.25);
  });

  it('quantile standard error: exact for a uniform sample, NaN when too few', () => {
    // B uniform order statistics on [0, 1): the q-quantile's sd is sqrt(q (1 - q) / B). The estimate
    // sums about 2 sqrt(B q (1 - q)) = 190 spacings, so it is itself off by about 1/sqrt(190) = 7%.
    const B = 100_000;
    const rng = new SeededRandom(5);
    const u = Float64Array.from({ length: B }, () => rng.nextFloat());
    const ratio = quantileMcStdError(u, 0.1) / Math.sqrt(0.09 / B);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.2);
    expect(quantileMcStdError(new Float64Array(5), 0.1)).toBeNaN();
    expect(blockBootstrapAvgMonthlyPnl(r, 10_000, base).length).toBe(1200);
  });
});

describe('switching costs of the selection-honest run', () => {
  const months = monthsOf(4);
  const flat = Float64Array.from({ length: 4 }, () => 0.01);
  const holding = (name: string, w0: number) => {
    const c = fakeCandidate(name, flat, months);
    const p = c.path!;
    return {
      ...c,
      config: { ...c.config, turn_cost_bps: 10, gross_cost_bps: 4 },
      path: {
        ...p,
        weights: [new Float64Array(4).fill(w0), new Float64Array(4).fill(1 - w0)],
        grossLeverage: new Float64Array(4).fill(w0 === 1 ? 1.2 : 1),
      },
    } as EvaluatedCandidate;
  };

  it('pays the move from the previous candidate position with the new candidate rates, less what its path charged', () => {
    const allA = holding('all_a', 1);
    const allB = holding('all_b', 0);
    // From all in A at gross 1.2 to all in B at gross 1: one-way turnover 1, gross change 0.2; all_b charged 0.
    expect(switchingCost(allA, allB, 2)).toBeCloseTo(10e-4 * 1 + 4e-4 * 0.2, 15);
    expect(switchingCost(allA, allA, 2)).toBe(0);
  });
});

describe('synthetic universes with a known truth', () => {
  const T = 120;
  const months = monthsOf(T);
  const split = { index: 60, monthEnd: months[59] };
  const objectives = (['return', 'balanced', 'calmar', 'robust'] as const).map((objective) => ({
    objective,
    ddCap: 0.9,
  }));
  const run = (cands: EvaluatedCandidate[]) =>
    analyseOverfitting(cands, {
      split,
      startCapital: 10_000,
      bootstrap: { samples: 200, blockMonths: 6, seed: 7 },
      objectives,
      spaReplications: 2000,
    });
  const universe = (seed: number, edge: number) => {
    const rng = new SeededRandom(seed);
    return Array.from({ length: 20 }, (_, n) =>
      fakeCandidate(
        `c${n}`,
        Float64Array.from({ length: T }, () => (n === 13 ? edge : 0) + 0.04 * gaussian(rng)),
        months,
      ),
    );
  };

  it('pure noise: PBO near 0.5, SPA p-values not small, DSR of the best low', () => {
    for (const seed of [1, 2, 3]) {
      const a = run(universe(seed, 0));
      for (const { objective } of objectives) {
        const p = a.perObjective[objective]!.pbo.pbo;
        expect(p, `${objective} seed ${seed}`).toBeGreaterThan(0.2);
        expect(p, `${objective} seed ${seed}`).toBeLessThan(0.85);
      }
      expect(a.spa!.pvalueConsistent).toBeGreaterThan(0.1);
      const best = Math.max(...[...a.dsr.values()].map((d) => d.deflatedSharpeRatio));
      expect(best).toBeLessThan(0.9);
      expect(a.trials.distinct).toBe(20);
      expect(a.trials.effective).toBeGreaterThan(15);
    }
  });

  it('a planted edge: PBO near 0, a small SPA p-value, the edge in the StepM set', () => {
    const a = run(universe(4, 0.03));
    for (const { objective } of objectives)
      expect(a.perObjective[objective]!.pbo.pbo, objective).toBeLessThan(0.05);
    expect(a.spa!.pvalueConsistent).toBeLessThan(0.01);
    expect(a.spa!.stepMSuperior).toContain('c13');
    expect(a.dsr.get('c13')!.deflatedSharpeRatio).toBeGreaterThan(0.95);
  });
});
