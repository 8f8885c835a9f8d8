import {
  type CandidateMetrics,
  type ObjectiveName,
  objectiveScore,
  type PerfMetrics,
  perf,
  type WalkForwardPath,
} from '@step4/core';
import { cscv, PBO_MIN_BLOCK_MONTHS, type PboOutcome, pboBlocks, type SplitScorer } from './pbo.js';

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

/**
 * The scorer of the objective PBO. A half of a split is a set of S/2 blocks,
 * and every such set is the IS half of one split and the OOS half of
 * another, so each set's metrics are computed once: all sets are visited
 * depth-first in lexicographic order, a set's state (growth, drawdown,
 * weight and turnover sums, block after block in time order) extending its
 * prefix's. The arithmetic of each half is the one of a walk over its blocks
 * in time order, so the scores are those of that walk to the bit.
 */
function objectiveScorer(
  paths: readonly WalkForwardPath[],
  opts: ObjectivePboOptions,
  S: number,
  T: number,
): SplitScorer {
  const K = opts.startCapital;
  const blockLen = Math.floor(T / S);
  const first = opts.from + (T - blockLen * S); // the earliest months that do not fill a block are left out
  const sleeves = paths[0].weights.length;
  // Per candidate and block: sums of each weight, its square, and the turnover.
  const allSum = paths.map((p) => blockSums(p.weights, first, blockLen, S, (x) => x));
  const allSq = paths.map((p) => blockSums(p.weights, first, blockLen, S, (x) => x * x));
  const allTurn = paths.map((p) => blockSums([p.turnoverAbs], first, blockLen, S, (x) => x)[0]);
  // Candidates with the same returns and block sums score the same: each is scored once (`same`).
  const used = (p: WalkForwardPath) => p.retNet.subarray(first, first + S * blockLen);
  const same = new Int32Array(paths.length);
  const distinct: number[] = [];
  for (let a = 0; a < paths.length; a++) {
    const d = distinct.findIndex(
      (b) =>
        sameValues(used(paths[a]), used(paths[b])) &&
        sameValues(allTurn[a], allTurn[b]) &&
        allSum[a].every((x, s) => sameValues(x, allSum[b][s]) && sameValues(allSq[a][s], allSq[b][s])),
    );
    same[a] = d >= 0 ? d : distinct.push(a) - 1;
  }
  const N = distinct.length;
  const returns = distinct.map((a) => paths[a].retNet);
  const wSum = distinct.map((a) => allSum[a]);
  const wSq = distinct.map((a) => allSq[a]);
  const turn = distinct.map((a) => allTurn[a]);
  const halfBlocks = S / 2;
  const half = halfBlocks * blockLen;
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
  const R = objectives.length;
  const binom = binomials(S);
  const sets = binom[S][halfBlocks];
  // scores[o][set * N + n], growth[set * N + n]: candidate n's on the half made of that set of blocks.
  const scores = Array.from({ length: R }, () => new Float64Array(sets * N));
  const growth = new Float64Array(sets * N);
  // The state after each number i of chosen blocks (level i), per candidate: [i * N + n]; weight sums [(i * sleeves + s) * N + n].
  const levels = halfBlocks + 1;
  const g = new Float64Array(levels * N);
  const peak = new Float64Array(levels * N);
  const worst = new Float64Array(levels * N);
  const t = new Float64Array(levels * N);
  const ws = new Float64Array(levels * sleeves * N);
  const wq = new Float64Array(levels * sleeves * N);
  for (let n = 0; n < N; n++) {
    g[n] = 1;
    peak[n] = Number.NEGATIVE_INFINITY;
  }
  /** Level i + 1 = level i followed by block b. */
  const extend = (i: number, b: number) => {
    const from = first + b * blockLen;
    for (let n = 0; n < N; n++) {
      const r = returns[n];
      let gn = g[i * N + n];
      let pk = peak[i * N + n];
      let wo = worst[i * N + n];
      // The same drawdown as maxDrawdown(): the start capital is not a peak.
      for (let k = from; k < from + blockLen; k++) {
        gn *= 1 + r[k];
        if (gn > pk) pk = gn;
        // g / peak - 1 < worst, without a division per month (the rare new worst divides once).
        else if (gn < pk * (1 + wo)) wo = gn / pk - 1;
      }
      const j = (i + 1) * N + n;
      g[j] = gn;
      peak[j] = pk;
      worst[j] = wo;
      t[j] = t[i * N + n] + turn[n][b];
      for (let s = 0; s < sleeves; s++) {
        ws[((i + 1) * sleeves + s) * N + n] = ws[(i * sleeves + s) * N + n] + wSum[n][s][b];
        wq[((i + 1) * sleeves + s) * N + n] = wq[(i * sleeves + s) * N + n] + wSq[n][s][b];
      }
    }
  };
  const cagrExponent = 1 / Math.max(half / 12, 1 / 12);
  /** Score every candidate on the complete set at level halfBlocks, the set-th in lexicographic order. */
  const finish = (set: number) => {
    const i = halfBlocks;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < sleeves; s++) {
        const mean = ws[(i * sleeves + s) * N + n] / half;
        m.avg_weights[s] = mean;
        m.weight_stds[s] = Math.sqrt(Math.max(0, wq[(i * sleeves + s) * N + n] / half - mean * mean));
      }
      m.avg_weight_a = m.avg_weights[0];
      m.weight_std_a = m.weight_stds[0];
      m.avg_turnover_abs = t[i * N + n] / half;
      const gn = g[i * N + n];
      const mdd = -worst[i * N + n];
      const cagr = Math.max(gn, 1e-9) ** cagrExponent - 1;
      test.end_equity = K * gn;
      test.cagr = cagr;
      test.max_drawdown = mdd;
      test.calmar = mdd > 1e-9 ? cagr / mdd : 0;
      // The pnl telescopes: the mean of K (G_k - G_{k-1}) is K (G_n - 1) / n.
      test.avg_monthly_pnl = (K * (gn - 1)) / half;
      for (let o = 0; o < R; o++) scores[o][set * N + n] = objectiveScore(objectives[o], m);
      growth[set * N + n] = gn;
    }
  };
  // Depth-first over the sets in lexicographic order: block b chosen before block b left out.
  let set = 0;
  const visit = (b: number, i: number) => {
    if (i === halfBlocks) {
      finish(set++);
      return;
    }
    extend(i, b);
    visit(b + 1, i + 1);
    if (S - b - 1 >= halfBlocks - i) visit(b + 1, i);
  };
  visit(0, 0);
  return {
    rankings: R,
    score(inIs, isPerf, oosPerf, oosGrowth) {
      const is = setRank(inIs, 1, binom) * N;
      const oos = setRank(inIs, 0, binom) * N;
      for (let o = 0; o < R; o++) {
        const sc = scores[o];
        const ip = isPerf[o];
        const op = oosPerf[o];
        for (let n = 0; n < same.length; n++) {
          ip[n] = sc[is + same[n]];
          op[n] = sc[oos + same[n]];
        }
      }
      for (let n = 0; n < same.length; n++) oosGrowth[n] = growth[oos + same[n]];
    },
  };
}

/** The same numbers, to the bit (Object.is: -0 is not 0, NaN is NaN). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Pascal's triangle up to n: c[a][b] = C(a, b). */
function binomials(n: number): number[][] {
  const c: number[][] = [];
  for (let a = 0; a <= n; a++) {
    c.push(new Array(a + 1).fill(1));
    for (let b = 1; b < a; b++) c[a][b] = c[a - 1][b - 1] + c[a - 1][b];
  }
  return c;
}

/**
 * Position, in the lexicographic order of `combinations` (the order the
 * depth-first visit numbers them), of the set of blocks b with
 * inIs[b] === side, a set of half the blocks: each block left out while k
 * remain to choose skips the C(S - 1 - b, k - 1) sets that take it.
 */
function setRank(inIs: Uint8Array, side: number, binom: readonly number[][]): number {
  const S = inIs.length;
  let k = S / 2;
  let rank = 0;
  for (let b = 0; b < S && k > 0; b++) {
    if (inIs[b] === side) k--;
    else rank += binom[S - 1 - b][k - 1];
  }
  return rank;
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
