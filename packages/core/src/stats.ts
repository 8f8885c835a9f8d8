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

/** Percentile q in [0, 100] with linear interpolation (numpy `percentile` default). */
export function percentile(x: ArrayLike<number>, q: number): number {
  const n = x.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(x).sort();
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
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
