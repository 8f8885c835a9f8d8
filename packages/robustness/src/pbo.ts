/**
 * Probability of backtest overfitting by combinatorially symmetric
 * cross-validation (CSCV; Bailey, Borwein, López de Prado and Zhu, "The
 * Probability of Backtest Overfitting", 2014).
 *
 * The T x N matrix of the candidates' monthly returns is cut into S
 * contiguous blocks of equal length (the earliest T mod S months are left
 * out). S is the requested number of blocks reduced by `pboBlocks` when the
 * months are too few for blocks of at least 2 months. For every choice of S/2 blocks as in-sample (IS) and the rest as
 * out-of-sample (OOS), the candidate with the best IS performance is taken,
 * and its OOS performance is ranked among all candidates' OOS performance:
 * relative rank w = rank / (N + 1), logit λ = ln(w / (1 - w)). PBO is the
 * share of splits with λ < 0, i.e. where the IS winner is below the OOS
 * median: the paper's PBO = ∫_{-∞}^{0} f(λ) dλ. With an odd N the winner can
 * land exactly on the median (λ = 0); that is not overfit and is reported
 * on its own (`logitZeroShare`). Deterministic: every combination, in
 * lexicographic order.
 */

import { binomial, combinations } from './combinations.js';

export { binomial, combinations };

/** Performance of one candidate on a series of monthly returns (in time order). */
export type PerformanceMeasure = (returns: Float64Array) => number;

export interface PboOptions {
  /** Number of blocks S requested (even, >= 2; default 16); fewer are used on short series (see `pboBlocks`). */
  readonly blocks?: number;
  /** IS/OOS performance of a return series (default: per-period Sharpe ratio). */
  readonly measure?: PerformanceMeasure;
}

export interface PboResult {
  readonly computed: true;
  /** The blocks S asked for. */
  readonly blocksRequested: number;
  /** The blocks S' used: `pboBlocks(T, S)`. */
  readonly blocks: number;
  readonly combinations: number;
  readonly monthsUsed: number;
  /** The earliest months left out so that the blocks have equal length. */
  readonly monthsDropped: number;
  readonly candidates: number;
  /** Share of splits whose IS-best candidate ranks below the OOS median (λ < 0). */
  readonly pbo: number;
  /** Share of splits whose IS-best candidate ranks exactly at the OOS median (λ = 0; possible for odd N). */
  readonly logitZeroShare: number;
  readonly logits: {
    readonly mean: number;
    readonly quantiles: {
      readonly p05: number;
      readonly p25: number;
      readonly p50: number;
      readonly p75: number;
      readonly p95: number;
    };
    /** Histogram of λ: counts per bin between consecutive edges. */
    readonly histogram: { readonly edges: number[]; readonly counts: number[] };
  };
  /**
   * Performance degradation: least-squares line OOS = intercept + slope x IS
   * over the splits' IS-best candidates. A slope below 0 means that the
   * better a candidate looked in sample, the worse it did out of sample.
   */
  readonly degradation: { readonly slope: number; readonly intercept: number; readonly r2: number };
  /** Share of splits whose IS-best candidate lost money out of sample: compounded OOS return below 0. */
  readonly probabilityOfOosLoss: number;
}

/** Why a PBO could not be computed (too few months or candidates); no number stands in for it. */
export interface PboNotComputed {
  readonly computed: false;
  readonly blocksRequested: number;
  readonly months: number;
  readonly candidates: number;
  readonly reason: string;
}

export type PboOutcome = PboResult | PboNotComputed;

/** Shortest block: a block of one month has no variance, so no Sharpe ratio. */
export const PBO_MIN_BLOCK_MONTHS = 2;

/**
 * The block rule: the blocks S' used for T months when S are requested are
 * the largest even S' <= S whose blocks hold at least 2 months
 * (floor(T / S') >= 2, i.e. S' <= T / 2); undefined when not even 2 blocks
 * fit (T < 4). Fewer blocks keep every split's halves long enough to rank on,
 * at the price of fewer splits.
 */
export function pboBlocks(months: number, requested: number): number | undefined {
  if (!(Number.isInteger(requested) && requested >= 2 && requested % 2 === 0))
    throw new RangeError(`PBO: the number of blocks must be an even integer >= 2, got ${requested}`);
  const most = Math.min(requested, Math.floor(months / PBO_MIN_BLOCK_MONTHS));
  const s = most - (most % 2);
  return s >= 2 ? s : undefined;
}

/** Per-period Sharpe ratio mean / sample std (0 when flat). */
export function sharpeOf(r: Float64Array): number {
  const n = r.length;
  if (n < 2) return 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += r[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (r[i] - m) ** 2;
  const sd = Math.sqrt(v / (n - 1));
  return sd > 0 ? m / sd : 0;
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * PBO of a search over candidates whose monthly returns are `returns[n]`
 * (all of the same length T, aligned in time), or why there is none: fewer
 * than 2 candidates (nothing was selected) or fewer than 4 months (not even
 * 2 blocks of 2 months).
 */
export function pboOutcome(returns: readonly Float64Array[], options: PboOptions = {}): PboOutcome {
  const requested = options.blocks ?? 16;
  const N = returns.length;
  const T = N > 0 ? returns[0].length : 0;
  const S = pboBlocks(T, requested);
  const notComputed = (reason: string): PboNotComputed => ({
    computed: false,
    blocksRequested: requested,
    months: T,
    candidates: N,
    reason,
  });
  if (N < 2) return notComputed(`needs at least 2 candidates that ran, got ${N}`);
  if (S === undefined)
    return notComputed(
      `${T} months cannot make 2 blocks of at least ${PBO_MIN_BLOCK_MONTHS} months (needs ${2 * PBO_MIN_BLOCK_MONTHS})`,
    );
  for (const r of returns)
    if (r.length !== T)
      throw new RangeError(`PBO: every return series must have ${T} months, got ${r.length}`);
  return cscv(N, T, requested, S, seriesScorer(returns, options.measure ?? sharpeOf))[0];
}

/** The PBO, for callers that know it can be computed: throws a RangeError saying why when it cannot. */
export function probabilityOfBacktestOverfitting(
  returns: readonly Float64Array[],
  options: PboOptions = {},
): PboResult {
  const p = pboOutcome(returns, options);
  if (!p.computed) throw new RangeError(`PBO: ${p.reason}`);
  return p;
}

/**
 * What ranks the candidates in the splits: one or more rankings (e.g. one
 * per objective) of every candidate's IS and OOS performance, and the
 * candidates' compounded OOS growth (below 1 = lost money). A scorer scores
 * one split at a time, or all of them in an order of its own when it shares
 * work between splits.
 */
export type SplitScorer = PerSplitScorer | AllSplitsScorer;

/** A scorer of one split at a time, in the order `cscv` asks. */
export interface PerSplitScorer {
  /** Number of rankings scored per split. */
  readonly rankings: number;
  /** Fill the performances and OOS growth of the split whose IS blocks are those with `inIs[b]` = 1. */
  score(
    inIs: Uint8Array,
    isPerf: readonly Float64Array[],
    oosPerf: readonly Float64Array[],
    oosGrowth: Float64Array,
  ): void;
}

/** A scorer of every split at once, in an order of its own (it shares work between splits). */
export interface AllSplitsScorer {
  /** Number of rankings scored per split. */
  readonly rankings: number;
  /**
   * Call `split` once per split, in any order, with its index in the order
   * of `combinations(S, S / 2)` (its IS blocks) and the numbers a
   * `PerSplitScorer` would fill. `cscv` records each split at its index, so
   * the summaries are those of the splits in order.
   */
  scoreSplits(S: number, split: SplitRecorder): void;
}

/** Takes one split's scores (`AllSplitsScorer.scoreSplits`); it reads them before returning. */
export type SplitRecorder = (
  index: number,
  isPerf: readonly Float64Array[],
  oosPerf: readonly Float64Array[],
  oosGrowth: Float64Array,
) => void;

/** A scorer that applies one measure to each half's returns (blocks kept in time order). */
function seriesScorer(returns: readonly Float64Array[], measure: PerformanceMeasure): SplitScorer {
  const N = returns.length;
  const T = returns[0].length;
  return {
    rankings: 1,
    score(inIs, isPerf, oosPerf, oosGrowth) {
      const S = inIs.length;
      const blockLen = Math.floor(T / S);
      const dropped = T - blockLen * S;
      const isSeries = new Float64Array((S / 2) * blockLen);
      const oosSeries = new Float64Array((S / 2) * blockLen);
      for (let n = 0; n < N; n++) {
        const r = returns[n];
        let i = 0;
        let o = 0;
        for (let b = 0; b < S; b++) {
          const from = dropped + b * blockLen;
          if (inIs[b]) for (let t = 0; t < blockLen; t++) isSeries[i++] = r[from + t];
          else for (let t = 0; t < blockLen; t++) oosSeries[o++] = r[from + t];
        }
        isPerf[0][n] = measure(isSeries);
        oosPerf[0][n] = measure(oosSeries);
        let g = 1;
        for (let t = 0; t < o; t++) g *= 1 + oosSeries[t];
        oosGrowth[n] = g;
      }
    },
  };
}

/**
 * Run every split of S blocks over N candidates and summarise each ranking:
 * the one CSCV loop of every PBO this package computes.
 */
export function cscv(N: number, T: number, requested: number, S: number, scorer: SplitScorer): PboResult[] {
  const R = scorer.rankings;
  const half = S / 2;
  const blockLen = Math.floor(T / S);
  const C = binomial(S, half);
  // Per ranking and split (by index): the IS winner's logit, IS and OOS performance, and whether it lost OOS.
  const splits = Array.from({ length: R }, () => ({
    logits: new Float64Array(C),
    isBest: new Float64Array(C),
    oosOfBest: new Float64Array(C),
    lost: new Uint8Array(C),
  }));
  const record: SplitRecorder = (index, isPerf, oosPerf, oosGrowth) => {
    for (let m = 0; m < R; m++) {
      const is = isPerf[m];
      const oos = oosPerf[m];
      let best = 0;
      for (let n = 1; n < N; n++) if (is[n] > is[best]) best = n;
      // Rank of the IS winner among the OOS performances (1 = worst, ties averaged).
      let below = 0;
      let ties = 0;
      for (let n = 0; n < N; n++) {
        if (oos[n] < oos[best]) below++;
        else if (n !== best && oos[n] === oos[best]) ties++;
      }
      const rank = below + 1 + ties / 2;
      const w = rank / (N + 1);
      const sp = splits[m];
      sp.logits[index] = Math.log(w / (1 - w));
      sp.lost[index] = oosGrowth[best] < 1 ? 1 : 0;
      sp.isBest[index] = is[best];
      sp.oosOfBest[index] = oos[best];
    }
  };
  if ('scoreSplits' in scorer) scorer.scoreSplits(S, record);
  else {
    const isPerf = Array.from({ length: R }, () => new Float64Array(N));
    const oosPerf = Array.from({ length: R }, () => new Float64Array(N));
    const oosGrowth = new Float64Array(N);
    const inIs = new Uint8Array(S);
    let index = 0;
    for (const chosen of combinations(S, half)) {
      inIs.fill(0);
      for (const b of chosen) inIs[b] = 1;
      scorer.score(inIs, isPerf, oosPerf, oosGrowth);
      record(index++, isPerf, oosPerf, oosGrowth);
    }
  }
  return splits.map((sp) => summariseSplits(sp, { requested, S, N, monthsUsed: blockLen * S, T }));
}

function summariseSplits(
  sp: { logits: Float64Array; isBest: Float64Array; oosOfBest: Float64Array; lost: Uint8Array },
  shape: { requested: number; S: number; N: number; monthsUsed: number; T: number },
): PboResult {
  const { logits, isBest, oosOfBest } = sp;
  const C = logits.length;
  let losses = 0;
  for (let k = 0; k < C; k++) losses += sp.lost[k];
  // Indexed loops and sums, not iterators and reduce: this runs once per ranking, mostly before V8
  // optimises it, and the unoptimised iterators allocated a boxed number per split (same sums,
  // same order).
  let overfit = 0;
  let atMedian = 0;
  let logitSum = 0;
  for (let k = 0; k < C; k++) {
    const l = logits[k];
    logitSum += l;
    // |λ| below 1e-12 is the median rank (w = 1/2) up to rounding.
    if (Math.abs(l) < 1e-12) atMedian++;
    else if (l < 0) overfit++;
  }
  const sorted = Float64Array.from(logits).sort();
  const lo = sorted[0];
  const hi = sorted[C - 1];
  const bins = 20;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Array(bins).fill(0);
  for (let k = 0; k < C; k++)
    counts[hi > lo ? Math.min(bins - 1, Math.floor(((logits[k] - lo) / (hi - lo)) * bins)) : 0]++;
  // Least squares OOS ~ IS over the splits.
  let isSum = 0;
  let oosSum = 0;
  for (let k = 0; k < C; k++) {
    isSum += isBest[k];
    oosSum += oosOfBest[k];
  }
  const mx = isSum / C;
  const my = oosSum / C;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let k = 0; k < C; k++) {
    sxx += (isBest[k] - mx) ** 2;
    sxy += (isBest[k] - mx) * (oosOfBest[k] - my);
    syy += (oosOfBest[k] - my) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return {
    computed: true,
    blocksRequested: shape.requested,
    blocks: shape.S,
    combinations: C,
    monthsUsed: shape.monthsUsed,
    monthsDropped: shape.T - shape.monthsUsed,
    candidates: shape.N,
    pbo: overfit / C,
    logitZeroShare: atMedian / C,
    logits: {
      mean: logitSum / C,
      quantiles: {
        p05: quantile(sorted, 0.05),
        p25: quantile(sorted, 0.25),
        p50: quantile(sorted, 0.5),
        p75: quantile(sorted, 0.75),
        p95: quantile(sorted, 0.95),
      },
      histogram: { edges, counts },
    },
    degradation: {
      slope,
      intercept: my - slope * mx,
      r2: sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0,
    },
    probabilityOfOosLoss: losses / C,
  };
}
