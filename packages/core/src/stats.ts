/**
 * Small numeric helpers with the reference's conventions: population std is
 * ddof 0, sample std ddof 1, percentiles interpolate linearly between order
 * statistics (numpy's default).
 */

export function sum(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i];
  return s;
}

export function mean(x: ArrayLike<number>, from = 0, to = x.length): number {
  const n = to - from;
  return n > 0 ? sum(x, from, to) / n : Number.NaN;
}

/** Standard deviation with `ddof` (0 = population, 1 = sample), two-pass. */
export function std(x: ArrayLike<number>, ddof: 0 | 1, from = 0, to = x.length): number {
  const n = to - from;
  if (n - ddof <= 0) return Number.NaN;
  const m = mean(x, from, to);
  let ss = 0;
  for (let i = from; i < to; i++) {
    const d = x[i] - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - ddof));
}

/**
 * Percentile q in [0, 100] with linear interpolation (numpy `percentile` default).
 * The two order statistics it interpolates between are found by selection on a
 * copy (O(n), not a sort): the same values as in the sorted array, so the same
 * result to the bit (-0 and +0 can swap places, which changes no sum here).
 */
export function percentile(x: ArrayLike<number>, q: number): number {
  const n = x.length;
  if (n === 0) return Number.NaN;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = x[i];
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  let hasNaN = false;
  for (let i = 0; i < n; i++) if (Number.isNaN(a[i])) hasNaN = true;
  // NaN sorts last and compares false: only a real sort places it.
  if (hasNaN || !(lo >= 0 && lo < n)) a.sort();
  else {
    selectInPlace(a, lo);
    // Everything after lo is >= a[lo]: the next order statistic is their minimum.
    if (hi > lo) {
      let m = a[hi];
      for (let i = hi + 1; i < n; i++) if (a[i] < m) m = a[i];
      a[hi] = m;
    }
  }
  return a[lo] + (a[hi] - a[lo]) * frac;
}

/**
 * Rearrange `a` (no NaN) so that a[k] is its k-th smallest value, nothing
 * before it larger and nothing after it smaller (C++'s nth_element): Hoare's
 * partition with a median-of-three pivot, and a sort of the rest when the
 * partitions keep coming out lopsided (so never quadratic).
 */
function selectInPlace(a: Float64Array, k: number): number {
  let l = 0;
  let r = a.length - 1;
  let budget = 2 * Math.ceil(Math.log2(a.length + 1)) + 8;
  while (l < r) {
    if (budget-- === 0) {
      a.subarray(l, r + 1).sort();
      return a[k];
    }
    const m = (l + r) >>> 1;
    const x0 = a[l];
    const x1 = a[m];
    const x2 = a[r];
    const x = Math.max(Math.min(x0, x1), Math.min(Math.max(x0, x1), x2)); // median of three
    let i = l;
    let j = r;
    do {
      while (a[i] < x) i++;
      while (x < a[j]) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) l = i;
    if (k < i) r = j;
  }
  return a[k];
}

export function median(x: ArrayLike<number>): number {
  return percentile(x, 50);
}

/**
 * Maximum drawdown of the compounded path prod(1 + r) (docs/model/metrics.md). The
 * path starts at 1 + r0: the capital before the first month is not a peak.
 */
export function maxDrawdown(r: ArrayLike<number>, from = 0, to = r.length): number {
  let value = 1;
  let peak = Number.NEGATIVE_INFINITY;
  let worst = 0;
  for (let i = from; i < to; i++) {
    value *= 1 + r[i];
    if (value > peak) peak = value;
    const dd = value / peak - 1;
    if (dd < worst) worst = dd;
  }
  return Math.abs(worst);
}

export function clip(x: number, lo: number, hi: number): number {
  // numpy's clip order: max with the lower bound first, then min with the upper.
  return Math.min(Math.max(x, lo), hi);
}

/** Pearson correlation of two equal-length series. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
