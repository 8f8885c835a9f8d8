import { mirrorLowerAndNorm } from './newton.js';
/**
 * Float64 reference solvers for the tiny regressions of the ML families
 * (<= 48 rows x 17 features). They are the ground truth the batched
 * TensorFlow.js solvers are refined against, and what parity is judged by.
 */

/** Column means and population stds (a constant column gets scale 1), scikit-learn's StandardScaler. */
export function standardiser(
  X: Float64Array,
  n: number,
  f: number,
): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(f);
  const scale = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += X[i * f + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (X[i * f + j] - m) ** 2;
    const sd = Math.sqrt(v / n);
    mean[j] = m;
    // StandardScaler treats a (near) constant column as scale 1.
    scale[j] = sd < 10 * Number.EPSILON * Math.max(1, Math.abs(m)) ? 1 : sd;
  }
  return { mean, scale };
}

export function standardise(
  X: Float64Array,
  n: number,
  f: number,
  mean: Float64Array,
  scale: Float64Array,
): Float64Array {
  const Z = new Float64Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) Z[i * f + j] = (X[i * f + j] - mean[j]) / scale[j];
  return Z;
}

/** Solve the symmetric positive definite system A x = b (A is m x m, row-major) by Cholesky; A and b are not changed. */
export function solveSpd(A: Float64Array, b: Float64Array, m: number): Float64Array {
  const L = choleskyLower(A, m);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * m + k] * y[k];
    y[i] = s / L[i * m + i];
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < m; k++) s -= L[k * m + i] * x[k];
    x[i] = s / L[i * m + i];
  }
  return x;
}

/**
 * Entry (i, j), j <= i, of the Cholesky factor before its division (or square
 * root): A[i][j] minus the products L[i][k] L[j][k], one at a time in k order.
 * Both ways of computing the factor below do exactly this per entry, so they
 * agree bit for bit.
 */
function choleskyEntry(A: Float64Array, L: Float64Array, m: number, i: number, j: number): number {
  const ri = i * m;
  const rj = j * m;
  let s = A[ri + j];
  let k = 0;
  for (; k + 3 < j; k += 4)
    s =
      s -
      L[ri + k] * L[rj + k] -
      L[ri + k + 1] * L[rj + k + 1] -
      L[ri + k + 2] * L[rj + k + 2] -
      L[ri + k + 3] * L[rj + k + 3];
  for (; k < j; k++) s -= L[ri + k] * L[rj + k];
  return s;
}

/**
 * The lower Cholesky factor of the SPD matrix A (m x m, row-major), row by
 * row; throws at the first pivot that is not positive.
 *
 * Why four rows at a time: each entry is a chain of dependent subtractions
 * (its order fixes its bits), so one row at a time waits on the latency of
 * every subtraction. Rows i..i+3 below the diagonal block are independent
 * chains over the same L[j][k]: interleaved they run about three times as
 * fast with every entry's operations, and so its bits, unchanged.
 */
function choleskyLower(A: Float64Array, m: number): Float64Array {
  const L = new Float64Array(m * m);
  let i0 = 0;
  for (; i0 + 3 < m; i0 += 4) {
    const r0 = i0 * m;
    const r1 = r0 + m;
    const r2 = r1 + m;
    const r3 = r2 + m;
    for (let j = 0; j < i0; j++) {
      const rj = j * m;
      let s0 = A[r0 + j];
      let s1 = A[r1 + j];
      let s2 = A[r2 + j];
      let s3 = A[r3 + j];
      let k = 0;
      for (; k + 3 < j; k += 4) {
        const l0 = L[rj + k];
        const l1 = L[rj + k + 1];
        const l2 = L[rj + k + 2];
        const l3 = L[rj + k + 3];
        s0 = s0 - L[r0 + k] * l0 - L[r0 + k + 1] * l1 - L[r0 + k + 2] * l2 - L[r0 + k + 3] * l3;
        s1 = s1 - L[r1 + k] * l0 - L[r1 + k + 1] * l1 - L[r1 + k + 2] * l2 - L[r1 + k + 3] * l3;
        s2 = s2 - L[r2 + k] * l0 - L[r2 + k + 1] * l1 - L[r2 + k + 2] * l2 - L[r2 + k + 3] * l3;
        s3 = s3 - L[r3 + k] * l0 - L[r3 + k + 1] * l1 - L[r3 + k + 2] * l2 - L[r3 + k + 3] * l3;
      }
      for (; k < j; k++) {
        const l = L[rj + k];
        s0 -= L[r0 + k] * l;
        s1 -= L[r1 + k] * l;
        s2 -= L[r2 + k] * l;
        s3 -= L[r3 + k] * l;
      }
      const d = L[rj + j];
      L[r0 + j] = s0 / d;
      L[r1 + j] = s1 / d;
      L[r2 + j] = s2 / d;
      L[r3 + j] = s3 / d;
    }
    for (let i = i0; i < i0 + 4; i++) choleskyRow(A, L, m, i, i0);
  }
  for (let i = i0; i < m; i++) choleskyRow(A, L, m, i, 0);
  return L;
}

/** Entries (i, from..i) of the factor, in order, the pivot last. */
function choleskyRow(A: Float64Array, L: Float64Array, m: number, i: number, from: number): void {
  const ri = i * m;
  for (let j = from; j < i; j++) L[ri + j] = choleskyEntry(A, L, m, i, j) / L[j * m + j];
  const s = choleskyEntry(A, L, m, i, i);
  if (!(s > 0)) throw new Error(`solveSpd: matrix is not positive definite (pivot ${s} at ${i})`);
  L[ri + i] = Math.sqrt(s);
}

/**
 * Ridge on standardised features with an unpenalised intercept
 * (`make_pipeline(StandardScaler(), Ridge(alpha))`): predictions for xNew,
 * one per target. With centred features the intercept is the target mean.
 */
export function ridgeExact(
  X: Float64Array,
  n: number,
  f: number,
  targets: readonly Float64Array[],
  alpha: number,
  xNew: Float64Array,
): number[] {
  const { mean, scale } = standardiser(X, n, f);
  const Z = standardise(X, n, f, mean, scale);
  const A = ridgeGram(Z, n, f, alpha);
  const zNew = Float64Array.from(xNew, (v, j) => (v - mean[j]) / scale[j]);
  return targets.map((y) => {
    const { rhs, mean: ym } = centredRhs(Z, n, f, y);
    const w = solveSpd(A, rhs, f);
    let p = ym;
    for (let a = 0; a < f; a++) p += w[a] * zNew[a];
    return p;
  });
}

/** Z'Z + alpha I of standardised features (the ridge normal equations, intercept handled by centring). */
export function ridgeGram(Z: Float64Array, n: number, f: number, alpha: number): Float64Array {
  const A = new Float64Array(f * f);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < f; a++) {
      const za = Z[i * f + a];
      for (let b = 0; b <= a; b++) A[a * f + b] += za * Z[i * f + b];
    }
  }
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < a; b++) A[b * f + a] = A[a * f + b];
    A[a * f + a] += alpha;
  }
  return A;
}

/** Z'(y - mean(y)) and mean(y): the ridge right-hand side; the mean is the intercept. */
export function centredRhs(
  Z: Float64Array,
  n: number,
  f: number,
  y: ArrayLike<number>,
): { rhs: Float64Array; mean: number } {
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i];
  ym /= n;
  const rhs = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let a = 0; a < f; a++) rhs[a] += Z[i * f + a] * (y[i] - ym);
  return { rhs, mean: ym };
}

/** "balanced" class weights n / (2 * count_c) of binary labels, as sample weights. */
export function balancedWeights(y: Uint8Array): Float64Array {
  const n = y.length;
  let ones = 0;
  for (const v of y) ones += v;
  const w1 = n / (2 * ones);
  const w0 = n / (2 * (n - ones));
  return Float64Array.from(y, (v) => (v ? w1 : w0));
}

export interface LogisticFit {
  /** Coefficients on standardised features, then the intercept. */
  readonly beta: Float64Array;
  readonly iterations: number;
  readonly gradientNorm: number;
}

/**
 * Penalised logistic regression on standardised features:
 * minimise C * sum_i sw_i * logloss_i + 0.5 * |w|^2 (intercept unpenalised),
 * by Newton's method to a gradient norm of `tol`. `start` warm-starts it.
 */
export function logisticNewton(
  Z: Float64Array,
  n: number,
  f: number,
  y: Uint8Array,
  sw: Float64Array,
  C: number,
  tol = 1e-13,
  start?: Float64Array,
): LogisticFit {
  const m = f + 1;
  const beta = start ? Float64Array.from(start) : new Float64Array(m);
  const grad = new Float64Array(m);
  const H = new Float64Array(m * m);
  let gnorm = Number.POSITIVE_INFINITY;
  let it = 0;
  for (; it < 100; it++) {
    gnorm = logisticGradientHessian(Z, n, f, y, sw, C, beta, grad, H);
    if (gnorm <= tol) break;
    const step = solveSpd(H, grad, m);
    for (let a = 0; a < m; a++) beta[a] -= step[a];
  }
  return { beta, iterations: it, gradientNorm: gnorm };
}

/**
 * Gradient and Hessian of C * sum_i sw_i * logloss_i + 0.5 |w|^2 at beta
 * (coefficients, then the unpenalised intercept), written into grad (m) and
 * H (m x m, m = f + 1). Returns the gradient norm.
 */
export function logisticGradientHessian(
  Z: Float64Array,
  n: number,
  f: number,
  y: ArrayLike<number>,
  sw: Float64Array,
  C: number,
  beta: Float64Array,
  grad: Float64Array,
  H: Float64Array,
): number {
  const m = f + 1;
  grad.fill(0);
  H.fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * f;
    let eta = beta[f];
    for (let j = 0; j < f; j++) eta += Z[o + j] * beta[j];
    const p = 1 / (1 + Math.exp(-eta));
    const g = C * sw[i] * (p - y[i]);
    const h = C * sw[i] * p * (1 - p);
    for (let a = 0; a < m; a++) {
      const ra = a < f ? Z[o + a] : 1;
      grad[a] += g * ra;
      for (let b = 0; b <= a; b++) H[a * m + b] += h * ra * (b < f ? Z[o + b] : 1);
    }
  }
  for (let a = 0; a < f; a++) {
    grad[a] += beta[a];
    H[a * m + a] += 1;
  }
  return mirrorLowerAndNorm(H, grad, m);
}

/**
 * P(class 1) for xNew of a balanced, L2-penalised logistic regression on
 * standardised features (scikit-learn's `LogisticRegression(C, class_weight="balanced")`
 * solved to convergence). A window with a single class gives that class
 * probability 1 (docs/model/README.md).
 */
export function logisticExact(
  X: Float64Array,
  n: number,
  f: number,
  y: Uint8Array,
  C: number,
  xNew: Float64Array,
): number {
  let ones = 0;
  for (const v of y) ones += v;
  if (ones === 0) return 0;
  if (ones === n) return 1;
  const { mean, scale } = standardiser(X, n, f);
  const Z = standardise(X, n, f, mean, scale);
  const { beta } = logisticNewton(Z, n, f, y, balancedWeights(y), C);
  let eta = beta[f];
  for (let j = 0; j < f; j++) eta += beta[j] * ((xNew[j] - mean[j]) / scale[j]);
  return 1 / (1 + Math.exp(-eta));
}
