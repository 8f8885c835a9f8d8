import { type BootstrapTail, percentile, SeededRandom, streamSeed } from '@step4/core';

export interface BlockBootstrapOptions {
  /** Number of resampled paths (default 1000; run-all uses 1200). */
  readonly samples: number;
  /** Block length in months (default 6); the expected block length for the stationary bootstrap. */
  readonly blockMonths: number;
  /**
   * 'circular' (the reference): fixed-length blocks that wrap around.
   * 'stationary' (Politis and Romano 1994): block lengths are geometric with
   * mean blockMonths, so the resampled series stays stationary.
   */
  readonly method?: 'circular' | 'stationary';
  /** Seed of the generator; the same seed gives the same resamples. */
  readonly seed: number;
}

/**
 * Circular block bootstrap indices (docs/model/metrics.md): draw a uniform start s in
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

/**
 * Stationary bootstrap indices (Politis and Romano 1994): start at a uniform
 * month; each next month continues the block (s + 1 mod n) with probability
 * 1 - 1/L, or starts a new block at a uniform month with probability 1/L.
 */
export function stationaryIndices(
  n: number,
  meanBlockMonths: number,
  rng: SeededRandom,
  out: Int32Array,
): Int32Array {
  const pNew = 1 / Math.max(1, meanBlockMonths);
  out[0] = rng.nextInt(n);
  for (let k = 1; k < n; k++) out[k] = rng.nextFloat() < pNew ? rng.nextInt(n) : (out[k - 1] + 1) % n;
  return out;
}

/**
 * The average monthly pnl of each bootstrap sample of the returns. The
 * compounded pnl telescopes, so a sample's average monthly pnl is
 * K * (prod(1 + r) - 1) / n; circular samples multiply precomputed block
 * products instead of walking every month.
 */
export function blockBootstrapAvgMonthlyPnl(
  returns: Float64Array,
  startCapital: number,
  opts: BlockBootstrapOptions,
): Float64Array {
  const n = returns.length;
  const out = new Float64Array(Math.max(0, opts.samples));
  if (n === 0) return out;
  if (opts.method === 'stationary') {
    const rng = new SeededRandom(opts.seed);
    const idx = new Int32Array(n);
    for (let s = 0; s < out.length; s++) {
      stationaryIndices(n, opts.blockMonths, rng, idx);
      let g = 1;
      for (let k = 0; k < n; k++) g *= 1 + returns[idx[k]];
      out[s] = (startCapital * (g - 1)) / n;
    }
    return out;
  }
  circularBootstrapInto(
    returns,
    n,
    startCapital,
    opts.blockMonths,
    new DrawStream(opts.seed),
    out,
    new Float64Array(n),
  );
  return out;
}

/**
 * The raw 32-bit draws of one seed, generated once and kept: bootstraps that
 * start from the same seed (one candidate's windows) read the same sequence
 * and only map it differently (`nextInt(n)` depends on n).
 */
class DrawStream {
  readonly #rng: SeededRandom;
  #draws = new Uint32Array(0);
  #length = 0;

  constructor(seed: number) {
    this.#rng = new SeededRandom(seed);
  }

  /** The first `count` draws (or more). */
  upTo(count: number): Uint32Array {
    if (count > this.#length) {
      const grown = new Uint32Array(Math.max(count, 2 * this.#length));
      grown.set(this.#draws.subarray(0, this.#length));
      for (let i = this.#length; i < grown.length; i++) grown[i] = this.#rng.nextUint32();
      this.#draws = grown;
      this.#length = grown.length;
    }
    return this.#draws;
  }
}

/**
 * The circular block bootstrap of returns[0, n) into `out` (one sample per
 * slot), reading the uniform block starts from `stream` exactly as
 * `SeededRandom.nextInt(n)` does (rejection above the largest multiple of
 * n), so the samples are those of circularBlockIndices on a fresh generator.
 * `blockProduct` is scratch of length >= n.
 */
function circularBootstrapInto(
  returns: Float64Array,
  n: number,
  startCapital: number,
  blockMonths: number,
  stream: DrawStream,
  out: Float64Array,
  blockProduct: Float64Array,
): void {
  const L = Math.max(1, Math.floor(blockMonths));
  // Product of the L months starting at each s, wrapping around (circular blocks).
  for (let s = 0; s < n; s++) {
    let g = 1;
    for (let j = 0; j < L; j++) g *= 1 + returns[(s + j) % n];
    blockProduct[s] = g;
  }
  // Per sample: the full blocks, then the last block cut at n (rest months), one draw each.
  const full = Math.floor(n / L);
  const rest = n - full * L;
  const perSample = full + (rest > 0 ? 1 : 0);
  const limit = 0x100000000 - (0x100000000 % n);
  const inv = 1 / n;
  // The last block's code runs for every window, also when there is no last block (L divides n):
  // then its draw is read but not used, and its product is computed and dropped. A window with one
  // then needs no code V8 has not seen yet (the first window often has none, and a branch never
  // taken before V8 optimised the loop cost a deoptimisation when first taken).
  const hasRest = rest > 0 ? 1 : 0;
  const restMonths = rest > 0 ? rest : 1;
  // One draw more than the samples use (the last block's read when there is none).
  let draws = stream.upTo(out.length * perSample + 16);
  let pos = 0;
  for (let s = 0; s < out.length; s++) {
    // Rejections are rare (probability n / 2^32 per draw); each one asks for more draws first.
    if (pos + perSample + 1 > draws.length) draws = stream.upTo(pos + perSample + 16);
    let g = 1;
    for (let b = 0; b < full; b++) {
      let x = draws[pos++];
      while (x >= limit) {
        draws = stream.upTo(pos + perSample + 1);
        x = draws[pos++];
      }
      g *= blockProduct[modulo(x, n, inv)];
    }
    let x = draws[pos];
    pos += hasRest;
    while (x >= limit && hasRest === 1) {
      draws = stream.upTo(pos + 2);
      x = draws[pos++];
    }
    const start = modulo(x, n, inv);
    let gRest = g;
    for (let j = 0; j < restMonths; j++) gRest *= 1 + returns[(start + j) % n];
    if (hasRest === 1) g = gRest;
    out[s] = (startCapital * (g - 1)) / n;
  }
}

/**
 * x % n for integers 0 <= x < 2^32, 1 <= n, without a floating-point
 * remainder (slow in V8 for x >= 2^31): the quotient from the reciprocal is
 * off by at most one, and x - q n is exact, so one correction makes it exact.
 */
function modulo(x: number, n: number, inv: number): number {
  const r = x - Math.floor(x * inv) * n;
  return (r >= n ? r - n : r < 0 ? r + n : r) | 0;
}

/**
 * The p10 of the bootstrapped average monthly pnl (`bootstrapP10AvgMonthlyPnl`)
 * of every leading window returns[0, k) for k in `windows`, all with the same
 * options (seed included): the same numbers as one call per window, with the
 * random draws generated once and the buffers reused.
 */
export function windowsBootstrapP10AvgMonthlyPnl(
  returns: Float64Array,
  startCapital: number,
  opts: BlockBootstrapOptions,
  windows: ArrayLike<number>,
): Float64Array {
  const p10 = new Float64Array(windows.length);
  if (opts.samples <= 0) return p10;
  if (opts.method === 'stationary') {
    for (let i = 0; i < windows.length; i++)
      p10[i] = bootstrapP10AvgMonthlyPnl(returns.subarray(0, windows[i]), startCapital, opts);
    return p10;
  }
  const stream = new DrawStream(opts.seed);
  const samples = new Float64Array(opts.samples);
  const scratch = new Float64Array(returns.length);
  for (let i = 0; i < windows.length; i++) {
    const k = windows[i];
    if (k < 4) continue;
    circularBootstrapInto(returns, k, startCapital, opts.blockMonths, stream, samples, scratch);
    p10[i] = percentile(samples, 10);
  }
  return p10;
}

/**
 * 10th percentile of the bootstrapped average monthly pnl (docs/model/metrics.md):
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

/**
 * Monte Carlo standard error of the q-quantile of B resamples, from their
 * own order statistics (distribution-free; David and Nagaraja, "Order
 * Statistics", 3rd ed., 2003, section 7.1): the number of resamples below
 * the true quantile is Binomial(B, q), so the order statistics at
 * Bq -/+ sqrt(B q (1 - q)) bracket the estimate by about one standard error
 * each side. Half their distance is the standard error: what another seed
 * would move the quantile by.
 */
export function quantileMcStdError(samples: ArrayLike<number>, q: number): number {
  return sortedQuantileMcStdError(Float64Array.from(samples).sort(), q);
}

function sortedQuantileMcStdError(sorted: Float64Array, q: number): number {
  const B = sorted.length;
  if (B < 20) return Number.NaN;
  const spread = Math.sqrt(B * q * (1 - q));
  const lo = Math.max(0, Math.floor(B * q - spread));
  const hi = Math.min(B - 1, Math.ceil(B * q + spread));
  return (sorted[hi] - sorted[lo]) / 2;
}

/** The p10 of the bootstrapped average monthly pnl and its Monte Carlo standard error. */
export function bootstrapTailAvgMonthlyPnl(
  returns: Float64Array,
  startCapital: number,
  opts: BlockBootstrapOptions,
): BootstrapTail {
  if (opts.samples <= 0 || returns.length < 4) return { p10: 0, mcStdError: 0 };
  const sorted = blockBootstrapAvgMonthlyPnl(returns, startCapital, opts).sort();
  // percentile() sorts a copy; sorted already, it gives the same value.
  return { p10: percentile(sorted, 10), mcStdError: sortedQuantileMcStdError(sorted, 0.1) };
}

/**
 * The bootstrap options of one candidate: its own stream, from the run seed
 * and its name (`streamSeed`), so candidates never share resamples and the
 * grid's order does not matter.
 */
export function candidateBootstrap(opts: BlockBootstrapOptions, candidate: string): BlockBootstrapOptions {
  return { ...opts, seed: streamSeed(opts.seed, candidate) };
}
