import { SeededRandom, percentile } from '@step4/core';

export interface BlockBootstrapOptions {
  /** Number of resampled paths (default 1000; run-all uses 1200). */
  readonly samples: number;
  /** Block length in months (default 6). */
  readonly blockMonths: number;
  /** Seed of the generator; the same seed gives the same resamples. */
  readonly seed: number;
}

/**
 * Circular block bootstrap indices (spec section 5): draw a uniform start s in
 * [0, n) and append s, s+1, ... (mod n) block-length times, until n indices.
 * Writes into `out` (length n) to avoid allocating per sample.
 */
export function circularBlockIndices(
  n: number,
  blockMonths: number,
  rng: SeededRandom,
  out: Int32Array,
): Int32Array {
  let k = 0;
  while (k < n) {
    const s = rng.nextInt(n);
    for (let j = 0; j < blockMonths && k < n; j++) out[k++] = (s + j) % n;
  }
  return out;
}

/** Average monthly pnl of a compounded path: (K * prod(1 + r) - K) / n. */
function avgMonthlyPnlOfIndices(r: Float64Array, idx: Int32Array, startCapital: number): number {
  // Mirrors perf(): pnl_t = equity_t - equity_{t-1}, averaged.
  let equity = startCapital;
  let growth = 1;
  let total = 0;
  for (let k = 0; k < idx.length; k++) {
    growth *= 1 + r[idx[k]];
    const next = startCapital * growth;
    total += next - equity;
    equity = next;
  }
  return total / idx.length;
}

/** The average monthly pnl of each bootstrap sample of the returns. */
export function blockBootstrapAvgMonthlyPnl(
  returns: Float64Array,
  startCapital: number,
  opts: BlockBootstrapOptions,
): Float64Array {
  const n = returns.length;
  const out = new Float64Array(Math.max(0, opts.samples));
  if (n === 0) return out;
  const rng = new SeededRandom(opts.seed);
  const idx = new Int32Array(n);
  for (let s = 0; s < out.length; s++) {
    circularBlockIndices(n, opts.blockMonths, rng, idx);
    out[s] = avgMonthlyPnlOfIndices(returns, idx, startCapital);
  }
  return out;
}

/**
 * 10th percentile of the bootstrapped average monthly pnl (spec section 5):
 * 0 when samples <= 0 or fewer than 4 returns.
 */
export function bootstrapP10AvgMonthlyPnl(
  returns: Float64Array,
  startCapital: number,
  opts: BlockBootstrapOptions,
): number {
  if (opts.samples <= 0 || returns.length < 4) return 0;
  return percentile(blockBootstrapAvgMonthlyPnl(returns, startCapital, opts), 10);
}
