/**
 * The fast kernels of the overfitting analysis against the plain formulas
 * they replace, on random inputs: equal to the bit (toEqual compares numbers
 * with Object.is), not merely close.
 */
import {
  type CandidateMetrics,
  type EvaluatedCandidate,
  type ObjectiveName,
  objectiveScore,
  type PerfMetrics,
  percentile,
  perf,
  type WalkForwardPath,
} from '@step4/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseOverfitting,
  blockBootstrapAvgMonthlyPnl,
  bootstrapP10AvgMonthlyPnl,
  type CandidateOverfittingInputs,
  candidateBootstrap,
  cscv,
  objectivePbo,
  overfittingCandidateInputs,
  pboBlocks,
  SeededRandom,
  type SplitScorer,
  spaTests,
  stepM,
  superiorPredictiveAbility,
  windowMetrics,
  windowsBootstrapP10AvgMonthlyPnl,
} from '../src/index.js';
import { fakeCandidate } from './fake-candidate.js';
import { gaussian } from './gaussian.js';

const monthsOf = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-28`,
  );

/** The circular block bootstrap as first written: a fresh generator, nextInt(n) per block, block products. */
function plainCircularBootstrap(returns: Float64Array, K: number, samples: number, L0: number, seed: number) {
  const n = returns.length;
  const out = new Float64Array(samples);
  const rng = new SeededRandom(seed);
  const L = Math.max(1, Math.floor(L0));
  const blockProduct = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let g = 1;
    for (let j = 0; j < L; j++) g *= 1 + returns[(s + j) % n];
    blockProduct[s] = g;
  }
  for (let s = 0; s < samples; s++) {
    let g = 1;
    let k = 0;
    while (k < n) {
      const start = rng.nextInt(n);
      const len = Math.min(L, n - k);
      if (len === L) g *= blockProduct[start];
      else for (let j = 0; j < len; j++) g *= 1 + returns[(start + j) % n];
      k += len;
    }
    out[s] = (K * (g - 1)) / n;
  }
  return out;
}

describe('circular block bootstrap on a shared draw stream', () => {
  it('gives the samples of a fresh generator per call', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: 1, maxLength: 90 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (xs, L, samples, seed) => {
          const r = Float64Array.from(xs);
          const opts = { samples, blockMonths: L, seed };
          expect(blockBootstrapAvgMonthlyPnl(r, 10_000, opts)).toEqual(
            plainCircularBootstrap(r, 10_000, samples, L, seed),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives every window the p10 of its own bootstrap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (xs, L, samples, seed, picks) => {
          const r = Float64Array.from(xs);
          // Windows in any order, repeated, and shorter than 4 months (p10 0 there).
          const ks = Int32Array.from(picks, (p) => 1 + (p % r.length));
          const opts = { samples, blockMonths: L, seed };
          const fast = windowsBootstrapP10AvgMonthlyPnl(r, 10_000, opts, ks);
          const plain = Float64Array.from(ks, (k) =>
            k < 4 ? 0 : percentile(plainCircularBootstrap(r.subarray(0, k), 10_000, samples, L, seed), 10),
          );
          expect(fast).toEqual(plain);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('leaves the stationary bootstrap to the per-window path', () => {
    const rng = new SeededRandom(3);
    const r = Float64Array.from({ length: 40 }, () => 0.05 * gaussian(rng));
    const opts = { samples: 300, blockMonths: 5, seed: 9, method: 'stationary' as const };
    const ks = [10, 25, 40];
    expect(windowsBootstrapP10AvgMonthlyPnl(r, 1000, opts, ks)).toEqual(
      Float64Array.from(ks, (k) => bootstrapP10AvgMonthlyPnl(r.subarray(0, k), 1000, opts)),
    );
  });
});

/** The objective PBO scorer as first written: walk each half's blocks in time order for every split. */
function plainObjectiveScorer(
  paths: readonly WalkForwardPath[],
  objectives: readonly ObjectiveName[],
  K: number,
  from: number,
  S: number,
  T: number,
): SplitScorer {
  const blockLen = Math.floor(T / S);
  const first = from + (T - blockLen * S);
  const sleeves = paths[0].weights.length;
  const sums = (x: Float64Array, f: (v: number) => number) =>
    Float64Array.from({ length: S }, (_, b) => {
      let s = 0;
      for (let k = first + b * blockLen; k < first + (b + 1) * blockLen; k++) s += f(x[k]);
      return s;
    });
  const wSum = paths.map((p) => p.weights.map((w) => sums(w, (x) => x)));
  const wSq = paths.map((p) => p.weights.map((w) => sums(w, (x) => x * x)));
  const turn = paths.map((p) => sums(p.turnoverAbs, (x) => x));
  const half = (S / 2) * blockLen;
  const metrics = (n: number, inIs: Uint8Array, side: number): { m: CandidateMetrics; g: number } => {
    const r = paths[n].retNet;
    let g = 1;
    let peak = Number.NEGATIVE_INFINITY;
    let worst = 0;
    let t = 0;
    const ws = new Array(sleeves).fill(0);
    const wq = new Array(sleeves).fill(0);
    for (let b = 0; b < S; b++) {
      if (inIs[b] !== side) continue;
      for (let k = first + b * blockLen; k < first + (b + 1) * blockLen; k++) {
        g *= 1 + r[k];
        if (g > peak) peak = g;
        else if (g < peak * (1 + worst)) worst = g / peak - 1;
      }
      for (let s = 0; s < sleeves; s++) {
        ws[s] += wSum[n][s][b];
        wq[s] += wSq[n][s][b];
      }
      t += turn[n][b];
    }
    const avg = ws.map((v) => v / half);
    const sd = wq.map((v, s) => Math.sqrt(Math.max(0, v / half - avg[s] * avg[s])));
    const mdd = -worst;
    const cagr = Math.max(g, 1e-9) ** (1 / Math.max(half / 12, 1 / 12)) - 1;
    const test: PerfMetrics = {
      ...perf([], K),
      n_months: half,
      end_equity: K * g,
      cagr,
      max_drawdown: mdd,
      calmar: mdd > 1e-9 ? cagr / mdd : 0,
      avg_monthly_pnl: (K * (g - 1)) / half,
    };
    const m: CandidateMetrics = {
      full: test,
      train: test,
      test,
      stress_1_25_avg_monthly_pnl: 0,
      bootstrap_p10_avg_monthly_pnl: 0,
      avg_turnover_abs: t / half,
      avg_gross_leverage: 0,
      avg_weight_a: avg[0],
      weight_std_a: sd[0],
      avg_weights: avg,
      weight_stds: sd,
      train_test_calmar_gap_abs: 0,
    };
    return { m, g };
  };
  return {
    rankings: objectives.length,
    score(inIs, isPerf, oosPerf, oosGrowth) {
      paths.forEach((_, n) => {
        const is = metrics(n, inIs, 1);
        const oos = metrics(n, inIs, 0);
        objectives.forEach((o, i) => {
          isPerf[i][n] = objectiveScore(o, is.m);
          oosPerf[i][n] = objectiveScore(o, oos.m);
        });
        oosGrowth[n] = oos.g;
      });
    },
  };
}

function randomPaths(seed: number, N: number, T: number, sleeves: number, duplicates: number) {
  const rng = new SeededRandom(seed);
  const months = monthsOf(T);
  const out: WalkForwardPath[] = [];
  for (let n = 0; n < N; n++) {
    if (n >= 2 && n < 2 + duplicates) {
      out.push({ ...out[n % 2] }); // a candidate that took the same path as another
      continue;
    }
    const c = fakeCandidate(
      `c${n}`,
      Float64Array.from({ length: T }, () => 0.003 * (n % 4) + 0.05 * gaussian(rng)),
      months,
    );
    const raw = Array.from({ length: sleeves }, () =>
      Float64Array.from({ length: T }, () => rng.nextFloat()),
    );
    const weights = raw.map((w, s) =>
      Float64Array.from(w, (x, k) => x / raw.reduce((a, v) => a + v[k], 0) + 0 * s),
    );
    const turnoverAbs = Float64Array.from({ length: T }, () => 0.1 * rng.nextFloat());
    out.push({ ...c.path!, weights, turnoverAbs });
  }
  return out;
}

describe('objective PBO: each half scored once, walking from both ends', () => {
  const objectives: ObjectiveName[] = ['return', 'balanced', 'calmar', 'robust'];

  it('equals the plain per-split walk: every logit, quantile, slope and loss share', () => {
    for (const [seed, N, T, sleeves, dups, S, from] of [
      [1, 7, 48, 2, 2, 16, 0],
      [2, 5, 61, 3, 1, 8, 5],
      [3, 9, 30, 2, 0, 6, 3],
      [4, 4, 20, 4, 2, 16, 0],
      // The fewest blocks: one pair of splits (S = 2), and three (S = 4).
      [5, 6, 12, 2, 1, 2, 0],
      [6, 5, 17, 3, 0, 4, 1],
      [7, 8, 40, 2, 3, 10, 0],
    ] as const) {
      const paths = randomPaths(seed, N, T, sleeves, dups);
      const months = T - from;
      const Sused = pboBlocks(months, S)!;
      const fast = objectivePbo(paths, { objectives, blocks: S, startCapital: 10_000, from });
      const plain = cscv(
        N,
        months,
        S,
        Sused,
        plainObjectiveScorer(paths, objectives, 10_000, from, Sused, months),
      );
      objectives.forEach((o, i) => {
        expect(fast.get(o), `${o} seed ${seed}`).toEqual(plain[i]);
        // Alone, an objective that reads no weights is scored without their sums: the same numbers.
        const alone = objectivePbo(paths, { objectives: [o], blocks: S, startCapital: 10_000, from });
        expect(alone.get(o), `${o} alone, seed ${seed}`).toEqual(plain[i]);
      });
      const returnsOnly = objectivePbo(paths, {
        objectives: ['calmar', 'return'],
        blocks: S,
        startCapital: 10_000,
        from,
      });
      expect(returnsOnly.get('calmar')).toEqual(plain[2]);
      expect(returnsOnly.get('return')).toEqual(plain[0]);
    }
  });
});

describe('SPA, studentized SPA and StepM on one bootstrap', () => {
  it('equal the three separate tests', () => {
    const rng = new SeededRandom(5);
    const T = 40;
    const benchmark = Float64Array.from({ length: T }, () => 0.04 * gaussian(rng));
    const models = Array.from({ length: 12 }, (_, j) =>
      j === 3
        ? benchmark.slice()
        : Float64Array.from({ length: T }, () => 0.004 * (j % 3) + 0.04 * gaussian(rng)),
    );
    for (const studentize of [false, true]) {
      const opts = { meanBlock: 4, reps: 500, seed: 11, studentize };
      const all = spaTests(models, benchmark, { ...opts, stepMAlpha: 0.2 });
      expect(all.unstudentized).toEqual(
        superiorPredictiveAbility(models, benchmark, { ...opts, studentize: false }),
      );
      expect(all.studentized).toEqual(
        superiorPredictiveAbility(models, benchmark, { ...opts, studentize: true }),
      );
      expect(all.stepM).toEqual(stepM(models, benchmark, { ...opts, alpha: 0.2 }));
    }
  });
});

describe('the per-candidate part of the analysis', () => {
  const T = 72;
  const months = monthsOf(T);
  const split = { index: 40, monthEnd: months[39] };
  const rng = new SeededRandom(17);
  const cands: EvaluatedCandidate[] = Array.from({ length: 8 }, (_, n) =>
    fakeCandidate(
      `c${n}`,
      Float64Array.from({ length: T }, () => 0.002 * n + 0.04 * gaussian(rng)),
      months,
    ),
  );
  cands.push({ ...cands[2], path: undefined, error: 'failed' } as EvaluatedCandidate);
  const opts = {
    split,
    startCapital: 10_000,
    bootstrap: { samples: 150, blockMonths: 5, seed: 3 },
    objectives: (['return', 'calmar'] as const).map((objective) => ({ objective, ddCap: 0.5 })),
    spaReplications: 300,
  };

  it('holds the window metrics of every test month (windowMetrics, one window at a time)', () => {
    const c = cands[5];
    const inputs = overfittingCandidateInputs(c, opts)!;
    expect(inputs.firstTest).toBe(40);
    expect(inputs.windows).toEqual(
      Array.from({ length: T - 40 }, (_, j) => windowMetrics(c, 40 + j, 40, 10_000, opts.bootstrap)),
    );
    // Each window's p10 is that of the candidate's own stream on its months, bootstrapped the plain way.
    const own = candidateBootstrap(opts.bootstrap, c.config.name);
    const r = c.path!.retNet;
    expect(inputs.windows[7].bootstrap_p10_avg_monthly_pnl).toBe(
      percentile(plainCircularBootstrap(r.subarray(0, 47), 10_000, 150, 5, own.seed), 10),
    );
    expect(overfittingCandidateInputs(cands[8], opts)).toBeUndefined();
  });

  it('given precomputed (through a structured clone, as from a worker), the analysis is the same', () => {
    const perCandidate = new Map<string, CandidateOverfittingInputs>();
    for (const c of cands) {
      const inputs = overfittingCandidateInputs(c, opts);
      if (inputs) perCandidate.set(c.config.name, structuredClone(inputs));
    }
    const plain = analyseOverfitting(cands, opts);
    expect(analyseOverfitting(cands, { ...opts, perCandidate })).toEqual(plain);
    // Some missing, one computed for another split: those are computed here.
    const partial = new Map(perCandidate);
    partial.delete('c1');
    partial.set(
      'c4',
      overfittingCandidateInputs(cands[4], { ...opts, split: { index: 30, monthEnd: months[29] } })!,
    );
    expect(analyseOverfitting(cands, { ...opts, perCandidate: partial })).toEqual(plain);
  });
});
