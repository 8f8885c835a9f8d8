import type { WindowBatch } from './batch.js';
import { solveSpd, standardise, standardiser } from './exact.js';
import { type MultinomialData, multinomialGradientHessian, softmaxRow } from './multinomial-system.js';
import { dampedNewtonUpdate } from './newton.js';
import { tfReady } from './tf-backend.js';
import { solveSpdBatchMixed } from './tf-solve.js';

/**
 * Multinomial (softmax) logistic regression for `ml_lr` with N > 2 sleeves
 * (docs/model/families.md): scikit-learn's `make_pipeline(StandardScaler(),
 * LogisticRegression(multi_class="multinomial", C, class_weight="balanced"))`
 * solved to convergence, i.e. on standardised features z minimise
 *
 *   C * sum_i sw_i * (-log p_{i, y_i}) + 0.5 * sum_k |W_k|^2,
 *   p_{i,k} = softmax_k(W_k . z_i + b_k),
 *
 * with one coefficient vector per class (all penalised, as scikit-learn's
 * symmetric parametrisation) and unpenalised intercepts, sw_i the "balanced"
 * weight n / (K_present * count_{y_i}). This is the binary `logisticNewton`
 * objective (same C scaling) with the log-loss of the softmax.
 *
 * Only classes present in the window are modelled; absent classes get
 * probability 0, and one present class gets probability 1 (as the binary
 * solver's single-class rule). With K_present = 2 it is scikit-learn's
 * multinomial fit of two classes, which equals the binary logistic
 * regression with 2C (the two penalised vectors split the logit difference).
 *
 * Identifiability: adding a constant to every intercept changes nothing, so
 * the last present class's intercept is fixed at 0 (probabilities are the
 * same for every choice). The coefficients need no such fix: the penalty
 * makes them unique (they sum to zero over classes at the optimum). With that
 * the Hessian is positive definite and Newton's method with Cholesky (or
 * conjugate gradients) applies.
 *
 * Parameter layout (m = Kp * (f + 1) - 1 unknowns, Kp present classes): class
 * k's block starts at k * (f + 1) and holds its f coefficients then its
 * intercept; the last class's block has no intercept.
 */

export interface MultinomialFit {
  /** The classes modelled (present in the training labels), ascending. */
  readonly classes: Int32Array;
  /** Coefficients on standardised features, Kp x f, row-major, row k for classes[k]. */
  readonly coef: Float64Array;
  /** Intercepts per modelled class (the last one is 0: only differences matter). */
  readonly intercept: Float64Array;
  /** Column means of the training features (StandardScaler). */
  readonly mean: Float64Array;
  /** Column population stds of the training features (a constant column gets 1). */
  readonly scale: Float64Array;
  /** Newton iterations used (0 with one class). */
  readonly iterations: number;
  /** Norm of the gradient of the objective at the returned parameters. */
  readonly gradientNorm: number;
}

/** Present classes (ascending) and each row's index among them; labels must lie in [0, K). */
function encodeClasses(y: ArrayLike<number>, K: number): { classes: Int32Array; cls: Int32Array } {
  const count = new Int32Array(K);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0 || v >= K)
      throw new RangeError(`label ${v} at row ${i} is not in [0, ${K})`);
    count[v]++;
  }
  const index = new Int32Array(K).fill(-1);
  const present: number[] = [];
  for (let k = 0; k < K; k++) {
    if (count[k] > 0) {
      index[k] = present.length;
      present.push(k);
    }
  }
  return { classes: Int32Array.from(present), cls: Int32Array.from(y, (v) => index[v]) };
}

/** "balanced" class weights n / (Kp * count_k) as sample weights; cls holds indices in [0, Kp). */
function multinomialBalancedWeights(cls: Int32Array, Kp: number): Float64Array {
  const n = cls.length;
  const count = new Float64Array(Kp);
  for (const v of cls) count[v]++;
  return Float64Array.from(cls, (v) => n / (Kp * count[v]));
}

/** The penalised, weighted multinomial loss at beta (layout: see the file comment). */
function multinomialLoss({ Z, n, f, cls, Kp, sw, C }: MultinomialData, beta: Float64Array): number {
  const p = new Float64Array(Kp);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const lse = softmaxRow(Z, i * f, f, Kp, beta, p);
    const y = cls[i];
    const o = y * (f + 1);
    let etaY = y < Kp - 1 ? beta[o + f] : 0;
    for (let j = 0; j < f; j++) etaY += Z[i * f + j] * beta[o + j];
    loss += C * sw[i] * (lse - etaY);
  }
  for (let k = 0; k < Kp; k++) for (let j = 0; j < f; j++) loss += 0.5 * beta[k * (f + 1) + j] ** 2;
  return loss;
}

/** Newton iterations at most (the fits here converge in ~10). */
const MAX_NEWTON = 100;

/**
 * Minimise the multinomial loss on standardised features by damped Newton
 * (Cholesky solves in float64) to a gradient norm of `tol`.
 */
function multinomialNewton(
  data: MultinomialData,
  tol = 1e-13,
): { beta: Float64Array; iterations: number; gradientNorm: number } {
  const m = data.Kp * (data.f + 1) - 1;
  const beta = new Float64Array(m);
  const grad = new Float64Array(m);
  const H = new Float64Array(m * m);
  let gnorm = Number.POSITIVE_INFINITY;
  let loss = Number.NaN;
  let it = 0;
  for (; it < MAX_NEWTON; it++) {
    gnorm = multinomialGradientHessian(data, beta, grad, H);
    if (gnorm <= tol) break;
    loss = dampedNewtonUpdate(beta, grad, solveSpd(H, grad, m), (b) => multinomialLoss(data, b), loss).loss;
  }
  return { beta, iterations: it, gradientNorm: gnorm };
}

function unpack(beta: Float64Array, f: number, Kp: number): { coef: Float64Array; intercept: Float64Array } {
  const coef = new Float64Array(Kp * f);
  const intercept = new Float64Array(Kp);
  for (let k = 0; k < Kp; k++) {
    coef.set(beta.subarray(k * (f + 1), k * (f + 1) + f), k * f);
    if (k < Kp - 1) intercept[k] = beta[k * (f + 1) + f];
  }
  return { coef, intercept };
}

/**
 * Newton systems up to this size are solved as they are (151 unknowns for four sleeves: the
 * results of runs with up to four sleeves stay what they were, bit for bit). Larger ones
 * (eight sleeves: up to 623) are first reduced to the training rows' span (`rowSpace`).
 */
const DENSE_MAX_UNKNOWNS = 200;

/** Whether a fit of `classes` classes on n rows x f features is solved in the rows' span (see `DENSE_MAX_UNKNOWNS`). */
function solvedInRowSpace(classes: number, n: number, f: number): boolean {
  return classes * (f + 1) - 1 > DENSE_MAX_UNKNOWNS && n < f;
}

/**
 * Unknowns of each Newton system of a multinomial fit (`multinomialFit`) of
 * `classes` classes on n rows x f features, at most: what its cost grows with
 * (the Cholesky solves, cubically).
 */
export function multinomialUnknowns(classes: number, n: number, f: number): number {
  return classes * ((solvedInRowSpace(classes, n, f) ? n : f) + 1) - 1;
}

/**
 * An orthonormal basis (r x f, row-major, r <= n) of the span of the n rows
 * of Z, by modified Gram-Schmidt with one re-orthogonalisation; a row whose
 * remainder is below 1e-12 of its norm adds nothing (rounding noise).
 *
 * Why: the loss sees the coefficients only through W_k . z_i, and the
 * penalty |W_k|^2 is smallest with no component outside the rows' span, so
 * the optimum lies in it: fitting on the coordinates Q z (r features instead
 * of f) and mapping back W = W' Q is the same model with r + 1 instead of
 * f + 1 unknowns per class (49 instead of 78 for eight sleeves and 48 rows).
 */
function rowSpace(
  Z: Float64Array,
  n: number,
  f: number,
): { Q: Float64Array; r: number; support: Int32Array } {
  const Q = new Float64Array(n * f);
  const v = new Float64Array(f);
  // support[i]: basis vectors built up to row i, the only ones row i has components on.
  const support = new Int32Array(n);
  let r = 0;
  for (let i = 0; i < n; i++) {
    let norm0 = 0;
    for (let j = 0; j < f; j++) {
      v[j] = Z[i * f + j];
      norm0 += v[j] * v[j];
    }
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < r; q++) {
        let d = 0;
        for (let j = 0; j < f; j++) d += Q[q * f + j] * v[j];
        for (let j = 0; j < f; j++) v[j] -= d * Q[q * f + j];
      }
    }
    let norm = 0;
    for (let j = 0; j < f; j++) norm += v[j] * v[j];
    if (norm > 1e-24 * norm0) {
      const s = 1 / Math.sqrt(norm);
      for (let j = 0; j < f; j++) Q[r * f + j] = v[j] * s;
      r++;
    }
    support[i] = r;
  }
  return { Q: Q.subarray(0, r * f), r, support };
}

/**
 * Coordinates Q z of every row of Z (n x f) in the basis Q (r x f): n x r.
 * Row i's coordinates past support[i] are 0 by construction (its remainder there is rounding
 * noise): they are left exactly 0, which the Hessian accumulation skips.
 */
function project(
  Z: Float64Array,
  n: number,
  f: number,
  Q: Float64Array,
  r: number,
  support: Int32Array,
): Float64Array {
  const out = new Float64Array(n * r);
  for (let i = 0; i < n; i++)
    for (let q = 0; q < support[i]; q++) {
      let d = 0;
      for (let j = 0; j < f; j++) d += Q[q * f + j] * Z[i * f + j];
      out[i * r + q] = d;
    }
  return out;
}

export interface MultinomialFitOptions {
  /**
   * Fit in the span of the training rows (see `rowSpace`): `true`, `false`,
   * or 'auto' (default), which reduces when the system has more than 200
   * unknowns and there are fewer rows than features.
   */
  readonly rowSpace?: boolean | 'auto';
}

/**
 * Fit the balanced multinomial logistic regression on X (n x f, row-major)
 * with labels y in [0, K), on the classes present in y. With one present
 * class there is nothing to fit (coef 0, intercept 0).
 */
export function multinomialFit(
  X: Float64Array,
  n: number,
  f: number,
  y: Int32Array,
  K: number,
  C: number,
  options: MultinomialFitOptions = {},
): MultinomialFit {
  const { classes, cls } = encodeClasses(y.subarray(0, n), K);
  const { mean, scale } = standardiser(X, n, f);
  const Kp = classes.length;
  if (Kp < 2)
    return {
      classes,
      coef: new Float64Array(Kp * f),
      intercept: new Float64Array(Kp),
      mean,
      scale,
      iterations: 0,
      gradientNorm: 0,
    };
  const Z = standardise(X, n, f, mean, scale);
  const sw = multinomialBalancedWeights(cls, Kp);
  const mode = options.rowSpace ?? 'auto';
  if (mode === true || (mode === 'auto' && solvedInRowSpace(Kp, n, f))) {
    const { Q, r, support } = rowSpace(Z, n, f);
    const fit = multinomialNewton({ Z: project(Z, n, f, Q, r, support), n, f: r, cls, Kp, sw, C });
    const reduced = unpack(fit.beta, r, Kp);
    // Back to the standardised features: W = W' Q.
    const coef = new Float64Array(Kp * f);
    for (let k = 0; k < Kp; k++)
      for (let q = 0; q < r; q++) {
        const w = reduced.coef[k * r + q];
        for (let j = 0; j < f; j++) coef[k * f + j] += w * Q[q * f + j];
      }
    return {
      classes,
      coef,
      intercept: reduced.intercept,
      mean,
      scale,
      iterations: fit.iterations,
      gradientNorm: fit.gradientNorm,
    };
  }
  const fit = multinomialNewton({ Z, n, f, cls, Kp, sw, C });
  return {
    classes,
    ...unpack(fit.beta, f, Kp),
    mean,
    scale,
    iterations: fit.iterations,
    gradientNorm: fit.gradientNorm,
  };
}

/** K class probabilities of a fitted model for one raw row x (length f); absent classes get 0. */
export function multinomialPredict(fit: MultinomialFit, x: ArrayLike<number>, K: number): Float64Array {
  const out = new Float64Array(K);
  const Kp = fit.classes.length;
  if (Kp === 1) {
    out[fit.classes[0]] = 1;
    return out;
  }
  const f = fit.mean.length;
  const eta = new Float64Array(Kp);
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < Kp; k++) {
    let e = fit.intercept[k];
    for (let j = 0; j < f; j++) e += fit.coef[k * f + j] * ((x[j] - fit.mean[j]) / fit.scale[j]);
    eta[k] = e;
    if (e > max) max = e;
  }
  let s = 0;
  for (let k = 0; k < Kp; k++) s += Math.exp(eta[k] - max);
  for (let k = 0; k < Kp; k++) out[fit.classes[k]] = Math.exp(eta[k] - max) / s;
  return out;
}

/**
 * Float64 reference: the K class probabilities for xNew of the balanced,
 * L2-penalised multinomial logistic regression fitted on X (n x f) and
 * labels y in [0, K) (Newton to a gradient norm of 1e-13).
 */
export function multinomialExact(
  X: Float64Array,
  n: number,
  f: number,
  y: Int32Array,
  K: number,
  C: number,
  xNew: Float64Array,
): Float64Array {
  return multinomialPredict(multinomialFit(X, n, f, y, K, C), xNew, K);
}

function offsets(batch: WindowBatch): Int32Array {
  const off = new Int32Array(batch.nWindows + 1);
  for (let k = 0; k < batch.nWindows; k++) off[k + 1] = off[k] + batch.rows[k];
  return off;
}

/** Float64 reference per window: nWindows x K probabilities, row-major (multinomialExact window by window). */
export function multinomialPredictBatchExact(
  batch: WindowBatch,
  labels: Int32Array,
  K: number,
  C: number,
): Float64Array {
  const f = batch.nFeatures;
  const off = offsets(batch);
  const out = new Float64Array(batch.nWindows * K);
  for (let k = 0; k < batch.nWindows; k++) {
    const p = multinomialExact(
      batch.X.subarray(off[k] * f, off[k + 1] * f),
      batch.rows[k],
      f,
      labels.subarray(off[k], off[k + 1]),
      K,
      C,
      batch.xNew.subarray(k * f, (k + 1) * f),
    );
    out.set(p, k * K);
  }
  return out;
}

/**
 * The K class probabilities of every window's xNew row (nWindows x K,
 * row-major), as `multinomialExact` per window, with the Newton systems of
 * all windows solved together on TensorFlow.js (float32 conjugate gradients
 * with float64 refinement, `solveSpdBatchMixed`), as `logisticPredictBatch`
 * does for the binary model. Gradients, Hessians and the line search stay in
 * float64 here. Windows with different numbers of present classes have
 * systems of different sizes and are solved in one batch per size. Each
 * window stops at its own gradient norm of 1e-12, so its result does not
 * depend on the other windows of the batch.
 */
export async function multinomialPredictBatch(
  batch: WindowBatch,
  labels: Int32Array,
  K: number,
  C: number,
): Promise<Float64Array> {
  await tfReady();
  const f = batch.nFeatures;
  const off = offsets(batch);
  const out = new Float64Array(batch.nWindows * K);
  interface Active {
    k: number;
    data: MultinomialData;
    classes: Int32Array;
    m: number;
    mean: Float64Array;
    scale: Float64Array;
    beta: Float64Array;
    grad: Float64Array;
    H: Float64Array;
    /** The loss at beta once known (the last line-search evaluation). */
    loss: number;
  }
  let active: Active[] = [];
  for (let k = 0; k < batch.nWindows; k++) {
    const n = batch.rows[k];
    const { classes, cls } = encodeClasses(labels.subarray(off[k], off[k + 1]), K);
    const Kp = classes.length;
    if (Kp === 1) {
      out[k * K + classes[0]] = 1;
      continue;
    }
    const X = batch.X.subarray(off[k] * f, off[k + 1] * f);
    const { mean, scale } = standardiser(X, n, f);
    const m = Kp * (f + 1) - 1;
    active.push({
      k,
      data: {
        Z: standardise(X, n, f, mean, scale),
        n,
        f,
        cls,
        Kp,
        sw: multinomialBalancedWeights(cls, Kp),
        C,
      },
      classes,
      m,
      mean,
      scale,
      beta: new Float64Array(m),
      grad: new Float64Array(m),
      H: new Float64Array(m * m),
      loss: Number.NaN,
    });
  }
  const all = active;
  for (let iter = 0; iter < MAX_NEWTON && active.length > 0; iter++) {
    const still = active.filter((w) => multinomialGradientHessian(w.data, w.beta, w.grad, w.H) > 1e-12);
    // One batch per system size, in ascending size (deterministic).
    const sizes = [...new Set(still.map((w) => w.m))].sort((a, b) => a - b);
    for (const m of sizes) {
      const group = still.filter((w) => w.m === m);
      const A = new Float64Array(group.length * m * m);
      const b = new Float64Array(group.length * m);
      group.forEach((w, j) => {
        A.set(w.H, j * m * m);
        b.set(w.grad, j * m);
      });
      const step = solveSpdBatchMixed({ count: group.length, size: m, A, b });
      group.forEach((w, j) => {
        w.loss = dampedNewtonUpdate(
          w.beta,
          w.grad,
          step.subarray(j * m, (j + 1) * m),
          (b) => multinomialLoss(w.data, b),
          w.loss,
        ).loss;
      });
    }
    active = still;
  }
  // Windows that hit the iteration cap keep their last iterate.
  for (const w of all) {
    const { coef, intercept } = unpack(w.beta, f, w.data.Kp);
    const fit: MultinomialFit = {
      classes: w.classes,
      coef,
      intercept,
      mean: w.mean,
      scale: w.scale,
      iterations: 0,
      gradientNorm: 0,
    };
    out.set(multinomialPredict(fit, batch.xNew.subarray(w.k * f, (w.k + 1) * f), K), w.k * K);
  }
  return out;
}
