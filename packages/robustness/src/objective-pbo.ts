import {
  type CandidateMetrics,
  type ObjectiveName,
  objectiveReadsWeights,
  objectiveScore,
  type PerfMetrics,
  perf,
  type WalkForwardPath,
} from '@step4/core';
import { binomial, nextCombination, previousCombination } from './combinations.js';
import { type AllSplitsScorer, cscv, PBO_MIN_BLOCK_MONTHS, type PboOutcome, pboBlocks } from './pbo.js';

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
 * and every such set is the IS half of one split and the OOS half of its
 * complement's, so each set is scored once. In the lexicographic order of
 * the sets, the complement of the k-th set is the k-th from the end (the
 * smallest block where two sets differ is in the earlier one, and in the
 * other's complement), so two walks, one from each end, meet the two halves
 * of splits k and sets - 1 - k at the same step: nothing is stored between
 * steps. Each walk keeps a set's state block after block in time order
 * (growth, drawdown, weight and turnover sums) and recomputes only from the
 * first block that changed. The arithmetic of each half is the one of a walk
 * over its blocks in time order, so the scores are those of that walk to the
 * bit.
 */
function objectiveScorer(
  paths: readonly WalkForwardPath[],
  opts: ObjectivePboOptions,
  S: number,
  T: number,
): AllSplitsScorer {
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
  // Copied with Object.assign, not spread: V8 gives a spread copy's fields the generic representation,
  // and every number then written to them (five per candidate and half) was a new heap object.
  const test: PerfMetrics = Object.assign({}, perf([], K), { n_months: half });
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
  // The weights' and turnover's sums are kept only when an objective's score reads them.
  const readsWeights = objectives.some(objectiveReadsWeights);
  const cagrExponent = 1 / Math.max(half / 12, 1 / 12);
  const levels = halfBlocks + 1;

  /** A walk over one set of blocks: the state after its first i blocks (level i), per distinct candidate. */
  interface Walk {
    /** The set's blocks, ascending. */
    readonly blocks: Int32Array;
    // [i * N + n]; weight sums [(i * sleeves + s) * N + n].
    readonly g: Float64Array;
    readonly peak: Float64Array;
    readonly worst: Float64Array;
    readonly t: Float64Array;
    readonly ws: Float64Array;
    readonly wq: Float64Array;
    /** The set's scores per objective and its growth, per candidate of `paths` (`same` spread out). */
    readonly perf: Float64Array[];
    readonly growth: Float64Array;
  }
  const newWalk = (): Walk => {
    const w: Walk = {
      blocks: new Int32Array(halfBlocks),
      g: new Float64Array(levels * N),
      peak: new Float64Array(levels * N),
      worst: new Float64Array(levels * N),
      t: new Float64Array(levels * N),
      ws: new Float64Array(levels * sleeves * N),
      wq: new Float64Array(levels * sleeves * N),
      perf: Array.from({ length: R }, () => new Float64Array(same.length)),
      growth: new Float64Array(same.length),
    };
    for (let n = 0; n < N; n++) {
      w.g[n] = 1;
      w.peak[n] = Number.NEGATIVE_INFINITY;
    }
    return w;
  };
  /** Level i + 1 = level i followed by block b. */
  const extend = (w: Walk, i: number, b: number) => {
    const { g, peak, worst, t, ws, wq } = w;
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
      if (!readsWeights) continue;
      t[j] = t[i * N + n] + turn[n][b];
      for (let s = 0; s < sleeves; s++) {
        ws[((i + 1) * sleeves + s) * N + n] = ws[(i * sleeves + s) * N + n] + wSum[n][s][b];
        wq[((i + 1) * sleeves + s) * N + n] = wq[(i * sleeves + s) * N + n] + wSq[n][s][b];
      }
    }
  };
  // One distinct candidate's scores on a complete set, before they are spread to the candidates.
  const scored = Array.from({ length: R }, () => new Float64Array(N));
  const grown = new Float64Array(N);
  /** Extend the walk from level `from` to a complete set of its blocks, and score every candidate on it. */
  const complete = (w: Walk, from: number) => {
    for (let i = from; i < halfBlocks; i++) extend(w, i, w.blocks[i]);
    const { g, worst, t, ws, wq } = w;
    const i = halfBlocks;
    for (let n = 0; n < N; n++) {
      if (readsWeights) {
        for (let s = 0; s < sleeves; s++) {
          const mean = ws[(i * sleeves + s) * N + n] / half;
          m.avg_weights[s] = mean;
          m.weight_stds[s] = Math.sqrt(Math.max(0, wq[(i * sleeves + s) * N + n] / half - mean * mean));
        }
        m.avg_weight_a = m.avg_weights[0];
        m.weight_std_a = m.weight_stds[0];
        m.avg_turnover_abs = t[i * N + n] / half;
      }
      const gn = g[i * N + n];
      const mdd = -worst[i * N + n];
      const cagr = Math.max(gn, 1e-9) ** cagrExponent - 1;
      test.end_equity = K * gn;
      test.cagr = cagr;
      test.max_drawdown = mdd;
      test.calmar = mdd > 1e-9 ? cagr / mdd : 0;
      // The pnl telescopes: the mean of K (G_k - G_{k-1}) is K (G_n - 1) / n.
      test.avg_monthly_pnl = (K * (gn - 1)) / half;
      for (let o = 0; o < R; o++) scored[o][n] = objectiveScore(objectives[o], m);
      grown[n] = gn;
    }
    for (let o = 0; o < R; o++) {
      const out = w.perf[o];
      const sc = scored[o];
      for (let a = 0; a < same.length; a++) out[a] = sc[same[a]];
    }
    for (let a = 0; a < same.length; a++) w.growth[a] = grown[same[a]];
  };
  return {
    rankings: R,
    scoreSplits(blocks, split) {
      if (blocks !== S)
        throw new RangeError(`objective PBO: scorer made for ${S} blocks, asked for ${blocks}`);
      const sets = binomial(S, halfBlocks);
      // `ahead` visits the sets from the first, `behind` from the last: at step k, the IS half
      // of split k and its OOS half (the complement), which are the OOS and IS halves of split sets - 1 - k.
      const ahead = newWalk();
      const behind = newWalk();
      for (let i = 0; i < halfBlocks; i++) {
        ahead.blocks[i] = i;
        behind.blocks[i] = S - halfBlocks + i;
      }
      complete(ahead, 0);
      complete(behind, 0);
      for (let k = 0; k < sets / 2; k++) {
        if (k > 0) {
          complete(ahead, nextCombination(ahead.blocks, S));
          complete(behind, previousCombination(behind.blocks, S));
        }
        split(k, ahead.perf, behind.perf, behind.growth);
        split(sets - 1 - k, behind.perf, ahead.perf, ahead.growth);
      }
    },
  };
}

/** The same numbers, to the bit (Object.is: -0 is not 0, NaN is NaN). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
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
