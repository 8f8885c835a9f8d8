/**
 * Counting trials honestly for the deflated Sharpe ratio: a grid of N
 * configurations is rarely N independent trials. Identical return paths
 * (configurations whose parameters never changed a decision) are one trial;
 * correlated paths are fewer than their number.
 *
 * - Average-correlation count N̂ = ρ̄ + (1 − ρ̄)·M: Bailey, D. H. and López de
 *   Prado, M. (2014), "The Deflated Sharpe Ratio: Correcting for Selection
 *   Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio
 *   Management 40(5), 94-107, appendix A.3.
 * - Eigenvalue count: Li, J. and Ji, L. (2005), "Adjusting multiple testing in
 *   multilocus analyses using the eigenvalues of a correlation matrix",
 *   Heredity 95(3), 221-227 (a refinement of Nyholt, D. R. (2004), "A simple
 *   correction for multiple testing for single-nucleotide polymorphisms in
 *   linkage disequilibrium with each other", American Journal of Human
 *   Genetics 74(4), 765-769).
 */

/** One set of identical return paths. */
export interface DistinctPathGroup {
  /** Index of the first path of the group (the one kept). */
  readonly representative: number;
  /** Indices of every path of the group, ascending (the representative first). */
  readonly members: readonly number[];
  /** Names of the members, in the same order, when names were given. */
  readonly names?: readonly string[];
}

/** The distinct return paths among a set of trials. */
export interface DistinctPaths {
  /** Number of paths given. */
  readonly raw: number;
  /** Number of distinct paths. */
  readonly distinct: number;
  /** Every distinct path with its copies, ordered by first occurrence. */
  readonly groups: readonly DistinctPathGroup[];
  /** The groups with more than one member. */
  readonly duplicates: readonly DistinctPathGroup[];
}

const hashBuffer = new Float64Array(1);
const hashWords = new Uint32Array(hashBuffer.buffer);

/** FNV-1a over the bits of the values, with -0 read as 0 and every NaN as one NaN, so equal paths hash alike. */
function hashPath(x: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    hashBuffer[0] = v === 0 ? 0 : Number.isNaN(v) ? Number.NaN : v;
    h = Math.imul(h ^ hashWords[0], 0x01000193) >>> 0;
    h = Math.imul(h ^ hashWords[1], 0x01000193) >>> 0;
  }
  return h;
}

/** Exact equality of every value (0 equals -0, NaN equals NaN). */
function samePath(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}

/**
 * Groups return paths that are exactly equal (same length and every value
 * equal; 0 and -0 are equal, and so are NaNs at the same place) and counts
 * the groups. Paths are bucketed by a hash of their values and compared in
 * full within a bucket, so a hash collision cannot merge different paths.
 * The result does not depend on the order of the paths, except for which
 * member is the representative and the order of the groups.
 *
 * @param series - one return path per trial
 * @param names - optional names of the trials, as many as paths
 */
export function distinctPaths(
  series: readonly ArrayLike<number>[],
  names?: readonly string[],
): DistinctPaths {
  if (names !== undefined && names.length !== series.length)
    throw new RangeError(`distinctPaths: ${names.length} names for ${series.length} paths`);
  const buckets = new Map<string, number[]>();
  const members: number[][] = [];
  const representatives: number[] = [];
  for (let i = 0; i < series.length; i++) {
    const key = `${series[i].length}:${hashPath(series[i])}`;
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      buckets.set(key, bucket);
    }
    let group = -1;
    for (const g of bucket)
      if (samePath(series[representatives[g]], series[i])) {
        group = g;
        break;
      }
    if (group < 0) {
      group = representatives.length;
      representatives.push(i);
      members.push([]);
      bucket.push(group);
    }
    members[group].push(i);
  }
  const groups: DistinctPathGroup[] = representatives.map((representative, g) =>
    names === undefined
      ? { representative, members: members[g] }
      : { representative, members: members[g], names: members[g].map((i) => names[i]) },
  );
  return {
    raw: series.length,
    distinct: groups.length,
    groups,
    duplicates: groups.filter((g) => g.members.length > 1),
  };
}

/** Relative distance (per dimension) within which an eigenvalue counts as an integer in the Li-Ji count. */
const EIGEN_INTEGER_TOLERANCE = 1e-10;

/** Options of {@link effectiveNumberOfTrials}. */
export interface EffectiveTrialsOptions {
  /**
   * Largest number of distinct paths for which the eigenvalue count is
   * computed (O(D³) time); above it `effectiveEigen` is NaN. Default 1000.
   */
  readonly maxEigenDimension?: number;
}

/** The number of trials a deflated Sharpe ratio should count. */
export interface EffectiveTrials {
  /** Number of paths given (M). */
  readonly raw: number;
  /** Number of distinct paths (D), see {@link distinctPaths}. */
  readonly distinct: number;
  /**
   * Mean pairwise Pearson correlation ρ̄ of the distinct paths, unclamped;
   * a correlation involving a constant path counts as 0; NaN with fewer than
   * two distinct paths.
   */
  readonly averageCorrelation: number;
  /** ρ + (1 − ρ)·D with ρ = ρ̄ clamped to [0, 1]: between 1 and D (0 without paths). */
  readonly effective: number;
  /**
   * Li and Ji (2005): Σ_i f(|λ_i|) over the eigenvalues λ_i of the distinct
   * paths' correlation matrix, f(x) = 1[x ≥ 1] + (x − ⌊x⌋) (an eigenvalue
   * within 1e-10·D of an integer is read as that integer). NaN above
   * `maxEigenDimension`.
   */
  readonly effectiveEigen: number;
  /** The estimator `effective` uses. */
  readonly method: 'average-correlation';
}

/** Alias of {@link EffectiveTrials}: the trial count a deflated Sharpe ratio uses. */
export type TrialCount = EffectiveTrials;

/**
 * Effective number of independent trials among return paths, for the
 * deflated Sharpe ratio's expected maximum (`expectedMaxSharpe(effective, V)`).
 *
 * 1. Exact duplicates are merged first ({@link distinctPaths}): D distinct
 *    paths out of M.
 * 2. `effective` = ρ + (1 − ρ)·D, ρ the mean pairwise Pearson correlation of
 *    the D distinct paths clamped to [0, 1]: the implied number of
 *    independent trials of Bailey and López de Prado (2014), "The Deflated
 *    Sharpe Ratio", Journal of Portfolio Management 40(5), appendix A.3, who
 *    write it for all M trials. D identical-in-effect paths (ρ = 1) count as
 *    one trial, D uncorrelated ones as D. Counting over distinct paths keeps
 *    exact copies from counting at all; the clamp keeps a slightly negative
 *    mean (noise, or a path and its negative) from counting more than D trials.
 * 3. `effectiveEigen`, a second opinion from the whole correlation matrix
 *    rather than its mean: Li and Ji (2005), Heredity 95(3), 221-227. Equal to
 *    D when every eigenvalue is below 2; a block of k perfectly correlated
 *    paths counts one.
 *
 * Constant paths (zero variance) have no correlation. A correlation involving
 * one is taken as 0 (uncorrelated), so distinct constant paths each count as
 * a trial: the conservative choice for the deflated Sharpe ratio (more
 * trials, higher threshold), and it keeps the matrix positive semi-definite.
 * Identical constant paths were merged in step 1 anyway.
 *
 * @param series - one return path per trial, all the same length, finite values
 * @param options - maxEigenDimension (default 1000)
 * @throws RangeError if the distinct paths differ in length or hold a non-finite value
 */
export function effectiveNumberOfTrials(
  series: readonly ArrayLike<number>[],
  options: EffectiveTrialsOptions = {},
): EffectiveTrials {
  const maxEigenDimension = options.maxEigenDimension ?? 1000;
  const paths = distinctPaths(series);
  const d = paths.distinct;
  const raw = paths.raw;
  if (d < 2)
    return {
      raw,
      distinct: d,
      averageCorrelation: Number.NaN,
      effective: d,
      effectiveEigen: d,
      method: 'average-correlation',
    };

  const reps = paths.groups.map((g) => series[g.representative]);
  const t = reps[0].length;
  // Unit vectors of the centred paths (null for a constant path): correlation = dot product.
  const units: (Float64Array | null)[] = reps.map((x, p) => {
    if (x.length !== t)
      throw new RangeError(`effectiveNumberOfTrials: path lengths differ (${t} and ${x.length})`);
    // Shifted by the first value, so that a constant path gives exact zeros.
    const x0 = x[0];
    let mean = 0;
    let constant = true;
    for (let i = 0; i < t; i++) {
      if (!Number.isFinite(x[i]))
        throw new RangeError(
          `effectiveNumberOfTrials: non-finite value in path ${paths.groups[p].representative}`,
        );
      if (x[i] !== x0) constant = false;
      mean += x[i] - x0;
    }
    if (constant) return null;
    mean /= t;
    const u = new Float64Array(t);
    let ss = 0;
    for (let i = 0; i < t; i++) {
      u[i] = x[i] - x0 - mean;
      ss += u[i] * u[i];
    }
    if (!(ss > 0)) return null;
    const norm = Math.sqrt(ss);
    for (let i = 0; i < t; i++) u[i] /= norm;
    return u;
  });

  const wantEigen = d <= maxEigenDimension;
  const corr = wantEigen ? new Float64Array(d * d) : null;
  let sum = 0;
  for (let a = 0; a < d; a++) {
    if (corr) corr[a * d + a] = 1;
    const ua = units[a];
    for (let b = a + 1; b < d; b++) {
      const ub = units[b];
      let r = 0;
      if (ua !== null && ub !== null) {
        for (let i = 0; i < t; i++) r += ua[i] * ub[i];
        r = Math.max(-1, Math.min(1, r));
      }
      sum += r;
      if (corr) {
        corr[a * d + b] = r;
        corr[b * d + a] = r;
      }
    }
  }
  const averageCorrelation = sum / ((d * (d - 1)) / 2);
  const rho = Math.max(0, Math.min(1, averageCorrelation));
  let effectiveEigen = Number.NaN;
  if (corr) {
    effectiveEigen = 0;
    for (const lambda of symmetricEigenvalues(corr, d)) {
      // f jumps down by 1 at every integer from 2 on, so an eigenvalue that is an integer up to
      // rounding (perfectly dependent blocks) is read as that integer.
      let x = Math.abs(lambda);
      if (Math.abs(x - Math.round(x)) <= EIGEN_INTEGER_TOLERANCE * d) x = Math.round(x);
      effectiveEigen += (x >= 1 ? 1 : 0) + (x - Math.floor(x));
    }
  }
  return {
    raw,
    distinct: d,
    averageCorrelation,
    effective: rho + (1 - rho) * d,
    effectiveEigen,
    method: 'average-correlation',
  };
}

/**
 * Eigenvalues of a real symmetric n × n matrix (row-major; only read, not
 * modified), ascending: Householder reduction to tridiagonal form, then the QL
 * algorithm with implicit shifts (the tred2/tqli pair of Press, Teukolsky,
 * Vetterling and Flannery, "Numerical Recipes", chapter 11, eigenvalues only).
 *
 * @throws Error if QL does not converge in 60 iterations for an eigenvalue
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  if (matrix.length !== n * n)
    throw new RangeError(`symmetricEigenvalues: ${matrix.length} entries for ${n} × ${n}`);
  const a = Float64Array.from(matrix);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return d;
  // Householder tridiagonalisation: afterwards d holds the diagonal, e[i] the entry (i, i − 1).
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]);
      if (scale === 0) {
        e[i] = a[i * n + l];
      } else {
        for (let k = 0; k <= l; k++) {
          a[i * n + k] /= scale;
          h += a[i * n + k] * a[i * n + k];
        }
        let f = a[i * n + l];
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          g = 0;
          for (let k = 0; k <= j; k++) g += a[j * n + k] * a[i * n + k];
          for (let k = j + 1; k <= l; k++) g += a[k * n + j] * a[i * n + k];
          e[j] = g / h;
          f += e[j] * a[i * n + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[i * n + j];
          g = e[j] - hh * f;
          e[j] = g;
          for (let k = 0; k <= j; k++) a[j * n + k] -= f * e[k] + g * a[i * n + k];
        }
      }
    } else {
      e[i] = a[i * n + l];
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];

  // QL with implicit shifts on the tridiagonal matrix.
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new Error('symmetricEigenvalues: no convergence');
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i];
          const b = c * e[i];
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] -= p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (r === 0 && i >= l) continue;
        d[l] -= p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
  return d.sort();
}
