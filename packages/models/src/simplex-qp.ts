/**
 * The exact mean-variance weights of `ml_dual_ridge` for N sleeves
 * (docs/model/families.md, "ml_dual_ridge"):
 *
 *   maximise  mu'w - ra * w'Sw   subject to  w >= 0, sum(w) = 1,
 *
 * S the N x N sample covariance (PSD, possibly singular), ra > 0.
 *
 * Why hand-written: the one maintained small-QP package on npm, `quadprog`
 * (a port of R's Goldfarb-Idnani solver), solves *strictly* convex problems
 * only: it needs S positive definite, and a sample covariance is singular
 * whenever two sleeves are collinear or the window is shorter than N + 1
 * months. Making S definite with a ridge would move the optimum, and the spec
 * asks for the exact one. With N sleeves there are only 2^N - 1 possible
 * supports, so for the handful of sleeves an allocator has, enumerating
 * them is both exact and cheap (N = 5: 31 systems of at most 6 x 6).
 *
 * Method. The objective is concave, so a point is a global maximum iff it
 * satisfies the KKT conditions: with g = mu - 2 ra S w there is a lambda with
 * g_i = lambda on the support T = {i : w_i > 0} and g_i <= lambda off it.
 * For each support T the stationarity and budget equations
 *
 *   [2 ra S_TT  1] [w_T   ]   [mu_T]
 *   [1'         0] [lambda] = [1   ]
 *
 * are solved; the solution is a KKT point iff w_T >= 0 and g_i <= lambda off T.
 * Some optimum always has a support whose matrix is nonsingular (a vertex of
 * the set of optima: if the matrix of its support were singular, a direction
 * v with S v = 0, 1'v = 0 inside the support would keep the objective
 * constant, and the point would not be a vertex), and a single sleeve's
 * matrix [2 ra S_ii 1; 1 0] is never singular, so supports whose matrix is
 * (numerically) singular are skipped without losing the optimum.
 *
 * Tie rule (singular S, e.g. two identical sleeves, where the optimum is not
 * unique): supports are tried by size, then by bit mask (sleeve 0 = bit 0),
 * and the first whose KKT violation is at rounding level (<= 1e-14, in the
 * units below) wins. So the answer is the sparsest optimum, and between
 * identical sleeves the first one gets the weight. When no support is within
 * that tolerance (badly conditioned S), the least violating one is taken.
 *
 * For N = 2 this is the reference's clipped closed form
 * `clip((muA - muB - 2 ra (c - vB)) / (2 ra (vA + vB - 2c)), 0, 1)` whenever
 * vA + vB - 2c >= 1e-8 (the reference floors that denominator at 1e-8, where
 * the two differ).
 */

/** Largest N accepted: the enumeration costs 2^N small solves of size <= N + 1. */
export const MEAN_VARIANCE_SIMPLEX_MAX_N = 12;

/** Pivots below this (in the scaled KKT matrix, entries O(1)) count as singular. */
const SINGULAR_PIVOT = 1e-12;
/** KKT violations up to this count as exact (rounding level) for the tie rule. */
const KKT_TIE = 1e-14;

/**
 * Solve the square system M x = r in place by Gaussian elimination with
 * partial pivoting (M is t x t row-major, destroyed; the result is left in r).
 * Returns false when a pivot is below SINGULAR_PIVOT.
 */
function solveInPlace(M: Float64Array, r: Float64Array, t: number): boolean {
  for (let col = 0; col < t; col++) {
    let piv = col;
    for (let i = col + 1; i < t; i++) if (Math.abs(M[i * t + col]) > Math.abs(M[piv * t + col])) piv = i;
    if (!(Math.abs(M[piv * t + col]) > SINGULAR_PIVOT)) return false;
    if (piv !== col) {
      for (let j = 0; j < t; j++) {
        const tmp = M[col * t + j];
        M[col * t + j] = M[piv * t + j];
        M[piv * t + j] = tmp;
      }
      const tmp = r[col];
      r[col] = r[piv];
      r[piv] = tmp;
    }
    const d = M[col * t + col];
    for (let i = col + 1; i < t; i++) {
      const factor = M[i * t + col] / d;
      if (factor === 0) continue;
      for (let j = col; j < t; j++) M[i * t + j] -= factor * M[col * t + j];
      r[i] -= factor * r[col];
    }
  }
  for (let i = t - 1; i >= 0; i--) {
    let s = r[i];
    for (let j = i + 1; j < t; j++) s -= M[i * t + j] * r[j];
    r[i] = s / M[i * t + i];
  }
  return true;
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v; v &= v - 1) c++;
  return c;
}

/**
 * The exact maximiser of `mu'w - riskAversion * w'Sw` over the simplex
 * (w >= 0, sum w = 1). `cov` is S, N x N row-major, symmetric PSD (possibly
 * singular); riskAversion > 0. Pure; see the file comment for the method and
 * the tie rule between equal optima.
 */
export function meanVarianceSimplex(
  mu: ArrayLike<number>,
  cov: Float64Array,
  riskAversion: number,
): Float64Array {
  const N = mu.length;
  if (N < 1) throw new RangeError('meanVarianceSimplex: mu is empty');
  if (N > MEAN_VARIANCE_SIMPLEX_MAX_N)
    throw new RangeError(
      `meanVarianceSimplex: ${N} sleeves; support enumeration is written for at most ${MEAN_VARIANCE_SIMPLEX_MAX_N}`,
    );
  if (cov.length !== N * N)
    throw new RangeError(`meanVarianceSimplex: cov has ${cov.length} entries, want ${N * N}`);
  if (!(riskAversion > 0) || !Number.isFinite(riskAversion))
    throw new RangeError(
      `meanVarianceSimplex: riskAversion must be positive and finite, got ${riskAversion}`,
    );
  for (let i = 0; i < N; i++)
    if (!Number.isFinite(mu[i])) throw new RangeError(`meanVarianceSimplex: mu[${i}] is ${mu[i]}`);
  for (let i = 0; i < N * N; i++)
    if (!Number.isFinite(cov[i])) throw new RangeError(`meanVarianceSimplex: cov[${i}] is ${cov[i]}`);
  if (N === 1) return Float64Array.of(1);

  // Scale to O(1) entries so the singularity and tie thresholds are unit-free:
  // maximise c'w - 0.5 w'Qw with Q = 2 ra S / s, c = mu / s, s = 2 ra max_i S_ii
  // (|S_ij| <= max_i S_ii for a PSD S). S = 0 keeps s = 1: then every support
  // but the vertices is singular and the answer is the best mu.
  let maxDiag = 0;
  for (let i = 0; i < N; i++) maxDiag = Math.max(maxDiag, cov[i * N + i]);
  const s = maxDiag > 0 ? 2 * riskAversion * maxDiag : 1;
  const Q = Float64Array.from(cov, (v) => (2 * riskAversion * v) / s);
  const c = Float64Array.from({ length: N }, (_, i) => mu[i] / s);
  let gScale = 1;
  for (let i = 0; i < N; i++) gScale = Math.max(gScale, Math.abs(c[i]));

  // Supports ordered by size, then by mask: the tie rule's order.
  const masks = Array.from({ length: (1 << N) - 1 }, (_, i) => i + 1);
  masks.sort((a, b) => popcount(a) - popcount(b) || a - b);

  const idx = new Int32Array(N);
  const M = new Float64Array((N + 1) * (N + 1));
  const r = new Float64Array(N + 1);
  const w = new Float64Array(N);
  let best: Float64Array | null = null;
  let bestViolation = Number.POSITIVE_INFINITY;
  for (const mask of masks) {
    let t = 0;
    for (let i = 0; i < N; i++) if (mask & (1 << i)) idx[t++] = i;
    const size = t + 1;
    for (let a = 0; a < t; a++) {
      for (let b = 0; b < t; b++) M[a * size + b] = Q[idx[a] * N + idx[b]];
      M[a * size + t] = 1;
      M[t * size + a] = 1;
      r[a] = c[idx[a]];
    }
    M[t * size + t] = 0;
    r[t] = 1;
    if (!solveInPlace(M.subarray(0, size * size), r, size)) continue;
    const lambda = r[t];
    w.fill(0);
    let violation = 0;
    for (let a = 0; a < t; a++) {
      w[idx[a]] = r[a];
      violation = Math.max(violation, -r[a]);
    }
    // Dual feasibility off the support: g_i = c_i - (Q w)_i <= lambda.
    for (let i = 0; i < N; i++) {
      if (mask & (1 << i)) continue;
      let g = c[i];
      for (let a = 0; a < t; a++) g -= Q[i * N + idx[a]] * w[idx[a]];
      violation = Math.max(violation, (g - lambda) / gScale);
    }
    if (violation < bestViolation) {
      bestViolation = violation;
      best = Float64Array.from(w);
      if (violation <= KKT_TIE) break; // a KKT point: the first in the tie order
    }
  }
  // best is set: every single-sleeve support is solvable.
  const out = best as Float64Array;
  // Rounding can leave -1e-17 on the support; clip and renormalise onto the simplex.
  let sum = 0;
  for (let i = 0; i < N; i++) {
    if (out[i] < 0) out[i] = 0;
    sum += out[i];
  }
  for (let i = 0; i < N; i++) out[i] /= sum;
  return out;
}
