import {
  type CandidateMetrics,
  type ObjectiveName,
  type PerfMetrics,
  type WalkForwardPath,
  objectiveScore,
  perf,
} from '@step4/core';
import { type PboOutcome, type SplitScorer, cscv, pboBlocks, PBO_MIN_BLOCK_MONTHS } from './pbo.js';

/**
 * PBO of each objective's own selection: CSCV (./pbo.ts) where each half of
 * a split is scored with the objective's own formula (`objectiveScore`), on
 * the months [from, to) of the paths. The halves' metrics come from the
 * paths' columns over the half's months: end equity, CAGR, max drawdown,
 * Calmar and average monthly pnl of the returns, average and spread of the
 * weights, average turnover.
 *
 * The bootstrap-tail term (calmar and robust objectives) is left out of the
 * halves' scores (p10 = 0): it weighs at most 0.25 x p10 (a few points
 * against scores in the hundreds or thousands), and bootstrapping both halves
 * of every split for every candidate would cost about 10^9 resamples. The
 * gates are not applied inside the halves either: the CSCV ranks by score.
 */
export interface ObjectivePboOptions {
  readonly objectives: readonly ObjectiveName[];
  /** CSCV blocks S requested (even); fewer when the months are short (`pboBlocks`). */
  readonly blocks: number;
  readonly startCapital: number;
  /** First path month used (e.g. the first test month). */
  readonly from: number;
  /** One past the last path month used (default: the path's length). */
  readonly to?: number;
}

/** One PBO per objective, in the order asked for. */
export function objectivePbo(
  paths: readonly WalkForwardPath[],
  opts: ObjectivePboOptions,
): Map<ObjectiveName, PboOutcome> {
  const N = paths.length;
  const to = opts.to ?? (N > 0 ? paths[0].retNet.length : 0);
  const T = Math.max(0, to - opts.from);
  const S = pboBlocks(T, opts.blocks);
  const out = new Map<ObjectiveName, PboOutcome>();
  const notComputed = (reason: string) => {
    for (const o of opts.objectives)
      out.set(o, { computed: false, blocksRequested: opts.blocks, months: T, candidates: N, reason });
    return out;
  };
  if (N < 2) return notComputed(`needs at least 2 candidates that ran, got ${N}`);
  if (S === undefined)
    return notComputed(
      `${T} months cannot make 2 blocks of at least ${PBO_MIN_BLOCK_MONTHS} months (needs ${2 * PBO_MIN_BLOCK_MONTHS})`,
    );
  const results = cscv(N, T, opts.blocks, S, objectiveScorer(paths, opts, S, T));
  opts.objectives.forEach((o, i) => {
    out.set(o, results[i]);
  });
  return out;
}

/**
 * PBO of each objective for every even number of blocks S from 4 to 16 that
 * fits the months (blocks of at least 2 months): how much the answer depends
 * on S. Larger S would multiply the splits (C(18, 9) = 48 620).
 */
export function objectivePboSensitivity(
  paths: readonly WalkForwardPath[],
  opts: Omit<ObjectivePboOptions, 'blocks'> & {
    /** A PBO already computed on the same months, reused for its S. */
    readonly known?: { readonly blocks: number; readonly pbo: ReadonlyMap<ObjectiveName, PboOutcome> };
  },
): { blocks: number; pbo: Partial<Record<ObjectiveName, number>> }[] {
  const to = opts.to ?? (paths.length > 0 ? paths[0].retNet.length : 0);
  const rows: { blocks: number; pbo: Partial<Record<ObjectiveName, number>> }[] = [];
  for (let S = 4; S <= 16; S += 2) {
    if (pboBlocks(to - opts.from, S) !== S) break;
    const byObjective =
      opts.known?.blocks === S ? opts.known.pbo : objectivePbo(paths, { ...opts, blocks: S });
    const pbo: Partial<Record<ObjectiveName, number>> = {};
    for (const [o, p] of byObjective) if (p.computed) pbo[o] = p.pbo;
    rows.push({ blocks: S, pbo });
  }
  return rows;
}

function objectiveScorer(
  paths: readonly WalkForwardPath[],
  opts: ObjectivePboOptions,
  S: number,
  T: number,
): SplitScorer {
  const N = paths.length;
  const K = opts.startCapital;
  const blockLen = Math.floor(T / S);
  const first = opts.from + (T - blockLen * S); // the earliest months that do not fill a block are left out
  const sleeves = paths[0].weights.length;
  // Per candidate and block: sums of each weight, its square, and the turnover.
  const wSum = paths.map((p) => blockSums(p.weights, first, blockLen, S, (x) => x));
  const wSq = paths.map((p) => blockSums(p.weights, first, blockLen, S, (x) => x * x));
  const turn = paths.map((p) => blockSums([p.turnoverAbs], first, blockLen, S, (x) => x)[0]);
  const half = (S / 2) * blockLen;
  // One metrics object, refilled for every half (the halves' median pnl and hit rate are not scored).
  const test: PerfMetrics = { ...perf([], K), n_months: half };
  const m: CandidateMetrics = {
    full: test,
    train: test,
    test,
    stress_1_25_avg_monthly_pnl: 0,
    bootstrap_p10_avg_monthly_pnl: 0,
    avg_turnover_abs: 0,
    avg_gross_leverage: 0,
    avg_weight_a: 0,
    weight_std_a: 0,
    avg_weights: new Array(sleeves).fill(0),
    weight_stds: new Array(sleeves).fill(0),
    train_test_calmar_gap_abs: 0,
  };
  const objectives = opts.objectives;
  /** Fill `m` with candidate n's metrics over the blocks with inIs[b] === side; returns the growth. */
  const fill = (n: number, inIs: Uint8Array, side: number): number => {
    const r = paths[n].retNet;
    let g = 1;
    let peak = Number.NEGATIVE_INFINITY;
    let worst = 0;
    let t = 0;
    for (let s = 0; s < sleeves; s++) {
      m.avg_weights[s] = 0;
      m.weight_stds[s] = 0;
    }
    for (let b = 0; b < S; b++) {
      if (inIs[b] !== side) continue;
      const from = first + b * blockLen;
      // The same drawdown as maxDrawdown(): the start capital is not a peak.
      for (let k = from; k < from + blockLen; k++) {
        g *= 1 + r[k];
        if (g > peak) peak = g;
        // g / peak - 1 < worst, without a division per month (the rare new worst divides once).
        else if (g < peak * (1 + worst)) worst = g / peak - 1;
      }
      for (let s = 0; s < sleeves; s++) {
        m.avg_weights[s] += wSum[n][s][b];
        m.weight_stds[s] += wSq[n][s][b];
      }
      t += turn[n][b];
    }
    for (let s = 0; s < sleeves; s++) {
      const mean = m.avg_weights[s] / half;
      m.avg_weights[s] = mean;
      m.weight_stds[s] = Math.sqrt(Math.max(0, m.weight_stds[s] / half - mean * mean));
    }
    m.avg_weight_a = m.avg_weights[0];
    m.weight_std_a = m.weight_stds[0];
    m.avg_turnover_abs = t / half;
    const mdd = -worst;
    const cagr = Math.max(g, 1e-9) ** (1 / Math.max(half / 12, 1 / 12)) - 1;
    test.end_equity = K * g;
    test.cagr = cagr;
    test.max_drawdown = mdd;
    test.calmar = mdd > 1e-9 ? cagr / mdd : 0;
    // The pnl telescopes: the mean of K (G_k - G_{k-1}) is K (G_n - 1) / n.
    test.avg_monthly_pnl = (K * (g - 1)) / half;
    return g;
  };
  return {
    rankings: objectives.length,
    score(inIs, isPerf, oosPerf, oosGrowth) {
      for (let n = 0; n < N; n++) {
        fill(n, inIs, 1);
        for (let o = 0; o < objectives.length; o++) isPerf[o][n] = objectiveScore(objectives[o], m);
        oosGrowth[n] = fill(n, inIs, 0);
        for (let o = 0; o < objectives.length; o++) oosPerf[o][n] = objectiveScore(objectives[o], m);
      }
    },
  };
}

/** sums[s][b] = sum of f(series[s][k]) over block b's months. */
function blockSums(
  series: readonly Float64Array[],
  first: number,
  blockLen: number,
  S: number,
  f: (x: number) => number,
): Float64Array[] {
  return series.map((x) => {
    const out = new Float64Array(S);
    for (let b = 0; b < S; b++) {
      let s = 0;
      for (let k = first + b * blockLen; k < first + (b + 1) * blockLen; k++) s += f(x[k]);
      out[b] = s;
    }
    return out;
  });
}
