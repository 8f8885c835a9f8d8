/**
 * Weights on the bounded simplex: w_s >= lo_s, w_s <= hi_s, sum w = 1
 * (docs/model/mechanics.md). "Clip" of the position mechanics is the Euclidean
 * projection onto this set; for two sleeves it is exactly clip(w_A, min_w, max_w).
 */

/** Bounds of every sleeve's weight: sleeve 0 in [min_w, max_w], every other sleeve in [0, 1]. */
export function sleeveBounds(n: number, minW: number, maxW: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(n);
  const hi = new Float64Array(n).fill(1);
  lo[0] = minW;
  hi[0] = maxW;
  return { lo, hi };
}

/** True when some weights within the bounds sum to 1. */
export function boundsFeasible(lo: ArrayLike<number>, hi: ArrayLike<number>): boolean {
  let a = 0;
  let b = 0;
  for (let s = 0; s < lo.length; s++) {
    if (lo[s] > hi[s]) return false;
    a += lo[s];
    b += hi[s];
  }
  return a <= 1 && b >= 1;
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/**
 * Euclidean projection of `v` onto the bounded simplex, into `out`. The
 * projection is clip(v - tau, lo, hi) for the tau where the weights sum to 1;
 * that sum is piecewise linear and non-increasing in tau with breakpoints
 * v_s - hi_s and v_s - lo_s, so tau is found exactly on the segment that
 * crosses 1 (no iteration tolerance, the same answer on every machine).
 * The bounds must be feasible (`boundsFeasible`).
 */
export function projectToBoundedSimplex(
  v: ArrayLike<number>,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  out: Float64Array = new Float64Array(v.length),
): Float64Array {
  const n = v.length;
  const sumAt = (tau: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += clamp(v[i] - tau, lo[i], hi[i]);
    return s;
  };
  const breaks = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    breaks[2 * i] = v[i] - hi[i];
    breaks[2 * i + 1] = v[i] - lo[i];
  }
  breaks.sort();
  // Last breakpoint where the sum is still >= 1 (the first always is: every weight at its upper bound).
  let a = 0;
  let b = breaks.length - 1;
  if (sumAt(breaks[b]) >= 1) {
    // Every weight at its lower bound already sums to 1.
    for (let i = 0; i < n; i++) out[i] = lo[i];
    return out;
  }
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if (sumAt(breaks[m]) >= 1) a = m;
    else b = m;
  }
  // On (breaks[a], breaks[b]) the set of free weights is fixed: sum = fixed + sum(v_free) - m * tau.
  const mid = 0.5 * (breaks[a] + breaks[b]);
  let fixed = 0;
  let free = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i] - mid;
    if (x <= lo[i]) fixed += lo[i];
    else if (x >= hi[i]) fixed += hi[i];
    else {
      fixed += v[i];
      free++;
    }
  }
  const tau = free > 0 ? (fixed - 1) / free : breaks[a];
  for (let i = 0; i < n; i++) out[i] = clamp(v[i] - tau, lo[i], hi[i]);
  return out;
}
