// biome-ignore-all lint/correctness/noPrecisionLoss: published coefficients (Cody, Acklam), kept as printed
/**
 * Sharpe-ratio statistics of Bailey and López de Prado: the probabilistic
 * Sharpe ratio (PSR, "The Sharpe Ratio Efficient Frontier", 2012) and the
 * deflated Sharpe ratio (DSR, "The Deflated Sharpe Ratio: Correcting for
 * Selection Bias, Backtest Overfitting and Non-Normality", 2014). All Sharpe
 * ratios are per period (monthly here), not annualised.
 */

/** Euler-Mascheroni constant. */
export const EULER_GAMMA = 0.5772156649015329;

/** erfc(x) by W. J. Cody's rational approximations (relative error ~1e-15). */
export function erfc(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) {
    const t = x * x;
    const top =
      (((0.185777706184603153 * t + 3.1611237438705656) * t + 113.864154151050156) * t +
        377.485237685302021) *
        t +
      3209.37758913846947;
    const bot =
      (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t +
      2844.23683343917062;
    return 1 - (x * top) / bot;
  }
  if (ax < 4) {
    const top =
      (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax +
        66.1191906371416295) *
        ax +
        298.635138197400131) *
        ax +
        881.95222124176909) *
        ax +
        1712.04761263407058) *
        ax +
        2051.07837782607147) *
        ax +
      1230.33935479799725;
    const bot =
      (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax +
        1621.38957456669019) *
        ax +
        3290.79923573345963) *
        ax +
        4362.61909014324716) *
        ax +
        3439.36767414372164) *
        ax +
      1230.33935480374942;
    r = (Math.exp(-ax * ax) * top) / bot;
  } else {
    const z = 1 / (ax * ax);
    const top =
      ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z +
        0.125781726111229246) *
        z +
        0.0160837851487422766) *
        z +
      6.58749161529837803e-4;
    const bot =
      ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z +
        0.0605183413124413191) *
        z +
      2.33520497626869185e-3;
    r = (Math.exp(-ax * ax) / ax) * (0.5641895835477563 - (z * top) / bot);
  }
  return x < 0 ? 2 - r : r;
}

/** Standard normal cumulative distribution function. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Standard normal quantile: Acklam's approximation refined by one Halley step (about 1e-15). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1))
    return p === 0 ? Number.NEGATIVE_INFINITY : p === 1 ? Number.POSITIVE_INFINITY : Number.NaN;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

export interface ReturnMoments {
  /** Number of returns T. */
  readonly n: number;
  /** Per-period Sharpe ratio mean / sample std (0 when the std is 0). */
  readonly sharpe: number;
  /** Skewness (third standardised moment, population). */
  readonly skewness: number;
  /** Kurtosis (fourth standardised moment, population; 3 for a normal distribution). */
  readonly kurtosis: number;
}

export function returnMoments(r: ArrayLike<number>): ReturnMoments {
  const n = r.length;
  if (n < 2) return { n, sharpe: 0, skewness: 0, kurtosis: 3 };
  let m = 0;
  for (let i = 0; i < n; i++) m += r[i];
  m /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = r[i] - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const sd = Math.sqrt((m2 * n) / (n - 1));
  return {
    n,
    sharpe: sd > 0 ? m / sd : 0,
    skewness: m2 > 0 ? m3 / m2 ** 1.5 : 0,
    kurtosis: m2 > 0 ? m4 / (m2 * m2) : 3,
  };
}

/**
 * The asymptotic variance of the per-period Sharpe ratio estimate times the
 * number of returns, for IID returns with skewness γ3 and (non-excess)
 * kurtosis γ4: 1 − γ3·SR + (γ4 − 1)/4·SR².
 *
 * Mertens (2002) writes it 1 + SR²/2 − γ3·SR + (γ4 − 3)/4·SR², the same
 * expression; for normal returns (γ3 = 0, γ4 = 3) it is Lo's (2002) IID value
 * 1 + SR²/2. It is the squared denominator of the PSR and of the MinTRL of
 * Bailey and López de Prado (2012), and never negative for a real
 * distribution, since γ4 ≥ 1 + γ3² makes it at least (1 − γ3·SR/2)².
 *
 * @param sr - per-period Sharpe ratio
 * @param skewness - γ3, 0 for a normal distribution
 * @param kurtosis - γ4, non-excess: 3 for a normal distribution
 */
export function sharpeRatioVarianceFactor(sr: number, skewness: number, kurtosis: number): number {
  return 1 - skewness * sr + ((kurtosis - 1) / 4) * sr * sr;
}

/**
 * PSR(SR*): the probability that the true Sharpe ratio exceeds SR*, given
 * an estimate from T returns with their skewness and kurtosis:
 * Φ((SR - SR*) sqrt(T - 1) / sqrt(1 - γ3 SR + (γ4 - 1) / 4 SR²)).
 */
export function probabilisticSharpeRatio(
  sr: number,
  srStar: number,
  n: number,
  skewness: number,
  kurtosis: number,
): number {
  const v = sharpeRatioVarianceFactor(sr, skewness, kurtosis);
  if (!(n > 1) || !(v > 0)) return Number.NaN;
  return normalCdf(((sr - srStar) * Math.sqrt(n - 1)) / Math.sqrt(v));
}

/**
 * Expected maximum Sharpe ratio of N independent trials with true Sharpe 0
 * and variance V of the estimated Sharpe ratios:
 * sqrt(V) ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e))).
 */
export function expectedMaxSharpe(nTrials: number, sharpeVariance: number): number {
  if (nTrials < 2 || !(sharpeVariance > 0)) return 0;
  return (
    Math.sqrt(sharpeVariance) *
    ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / nTrials) +
      EULER_GAMMA * normalQuantile(1 - 1 / (nTrials * Math.E)))
  );
}

export interface DeflatedSharpe {
  readonly sharpe: number;
  readonly skewness: number;
  readonly kurtosis: number;
  readonly nReturns: number;
  readonly nTrials: number;
  readonly sharpeVarianceAcrossTrials: number;
  /** The Sharpe ratio the best of N skill-less trials would show: the benchmark DSR deflates by. */
  readonly expectedMaxSharpe: number;
  /** PSR against the expected maximum: the probability that the Sharpe ratio is real after N trials. */
  readonly deflatedSharpeRatio: number;
  /** PSR against 0: the probability that the true Sharpe ratio is positive, ignoring the search. */
  readonly probabilisticSharpeRatio0: number;
}

/** DSR = PSR(expected maximum Sharpe of N trials). */
export function deflatedSharpeRatio(
  m: ReturnMoments,
  nTrials: number,
  sharpeVariance: number,
): DeflatedSharpe {
  const sr0 = expectedMaxSharpe(nTrials, sharpeVariance);
  return {
    sharpe: m.sharpe,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
    nReturns: m.n,
    nTrials,
    sharpeVarianceAcrossTrials: sharpeVariance,
    expectedMaxSharpe: sr0,
    deflatedSharpeRatio: probabilisticSharpeRatio(m.sharpe, sr0, m.n, m.skewness, m.kurtosis),
    probabilisticSharpeRatio0: probabilisticSharpeRatio(m.sharpe, 0, m.n, m.skewness, m.kurtosis),
  };
}
