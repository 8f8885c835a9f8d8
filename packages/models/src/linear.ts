import type { WindowBatch } from './batch.js';
import {
  balancedWeights,
  centredRhs,
  logisticGradientHessian,
  ridgeGram,
  standardise,
  standardiser,
} from './exact.js';
import { tfReady } from './tf-backend.js';
import { dampedNewtonUpdate } from './newton.js';
import { solveSpdBatchMixed } from './tf-solve.js';

/**
 * The linear models of the ML families on TensorFlow.js, every walk-forward
 * window of a candidate in one batch. The normal equations and Newton
 * systems are assembled in float64 here; TensorFlow.js solves them in
 * float32 and float64 refinement makes the answers exact to ~1e-15
 * (`solveSpdBatchMixed`).
 */

function offsets(batch: WindowBatch): Int32Array {
  const off = new Int32Array(batch.nWindows + 1);
  for (let k = 0; k < batch.nWindows; k++) off[k + 1] = off[k] + batch.rows[k];
  return off;
}

interface Standardised {
  Z: Float64Array;
  zNew: Float64Array;
}

function standardiseWindow(batch: WindowBatch, off: Int32Array, k: number): Standardised {
  const f = batch.nFeatures;
  const n = batch.rows[k];
  const X = batch.X.subarray(off[k] * f, off[k + 1] * f);
  const { mean, scale } = standardiser(X, n, f);
  const xNew = batch.xNew.subarray(k * f, (k + 1) * f);
  return {
    Z: standardise(X, n, f, mean, scale),
    zNew: Float64Array.from(xNew, (v, j) => (v - mean[j]) / scale[j]),
  };
}

/**
 * Ridge predictions (`StandardScaler` + `Ridge(alpha)`, intercept unpenalised)
 * for every window and target: result[t][k] is target t's prediction for window k.
 */
export async function ridgePredictBatch(
  batch: WindowBatch,
  targets: readonly Float64Array[],
  alpha: number,
): Promise<Float64Array[]> {
  await tfReady();
  const f = batch.nFeatures;
  const W = batch.nWindows;
  const T = targets.length;
  const off = offsets(batch);
  const A = new Float64Array(W * T * f * f);
  const b = new Float64Array(W * T * f);
  const windows = Array.from({ length: W }, (_, k) => standardiseWindow(batch, off, k));
  const means = targets.map(() => new Float64Array(W));
  windows.forEach(({ Z }, k) => {
    const n = batch.rows[k];
    const gram = ridgeGram(Z, n, f, alpha);
    targets.forEach((y, t) => {
      const e = k * T + t;
      A.set(gram, e * f * f);
      const { rhs, mean } = centredRhs(Z, n, f, y.subarray(off[k], off[k + 1]));
      b.set(rhs, e * f);
      means[t][k] = mean;
    });
  });
  const w = solveSpdBatchMixed({ count: W * T, size: f, A, b });
  return targets.map((_, t) =>
    Float64Array.from({ length: W }, (_, k) => {
      const e = k * T + t;
      let p = means[t][k];
      for (let a = 0; a < f; a++) p += w[e * f + a] * windows[k].zNew[a];
      return p;
    }),
  );
}

/** Penalised, weighted logistic loss C * sum sw * logloss + 0.5 |w|^2 (intercept last, unpenalised). */
function logisticLoss(
  Z: Float64Array,
  n: number,
  f: number,
  y: Uint8Array,
  sw: Float64Array,
  C: number,
  beta: Float64Array,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let eta = beta[f];
    for (let j = 0; j < f; j++) eta += Z[i * f + j] * beta[j];
    // log(1 + e^eta) - y * eta, computed stably.
    const softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
    loss += C * sw[i] * (softplus - y[i] * eta);
  }
  for (let j = 0; j < f; j++) loss += 0.5 * beta[j] * beta[j];
  return loss;
}

/**
 * P(class 1) for every window of a balanced, L2-penalised logistic regression
 * on standardised features (scikit-learn's `LogisticRegression(C,
 * class_weight="balanced")`), solved to convergence by Newton's method: the
 * gradient and Hessian in float64, each Newton system solved on TensorFlow.js
 * with float64 refinement. A window stops at its own gradient norm of 1e-12,
 * independent of the other windows. A single-class window gives that class
 * probability 1 (docs/model/README.md).
 */
export async function logisticPredictBatch(
  batch: WindowBatch,
  y: Uint8Array,
  C: number,
): Promise<Float64Array> {
  await tfReady();
  const f = batch.nFeatures;
  const m = f + 1;
  const off = offsets(batch);
  const out = new Float64Array(batch.nWindows);
  interface Active {
    k: number;
    n: number;
    Z: Float64Array;
    zNew: Float64Array;
    y: Uint8Array;
    sw: Float64Array;
    beta: Float64Array;
    /** The loss at beta once known (the last line-search evaluation). */
    loss: number;
  }
  let active: Active[] = [];
  for (let k = 0; k < batch.nWindows; k++) {
    const yk = y.subarray(off[k], off[k + 1]);
    const n = batch.rows[k];
    let ones = 0;
    for (const v of yk) ones += v;
    if (ones === 0 || ones === n) {
      out[k] = ones === 0 ? 0 : 1;
      continue;
    }
    const { Z, zNew } = standardiseWindow(batch, off, k);
    active.push({
      k,
      n,
      Z,
      zNew,
      y: yk,
      sw: balancedWeights(yk),
      beta: new Float64Array(m),
      loss: Number.NaN,
    });
  }
  const all = active;
  for (let iter = 0; iter < 60 && active.length > 0; iter++) {
    const A = new Float64Array(active.length * m * m);
    const g = new Float64Array(active.length * m);
    const still: Active[] = [];
    const systems: number[] = [];
    active.forEach((w, s) => {
      const H = A.subarray(s * m * m, (s + 1) * m * m);
      const grad = g.subarray(s * m, (s + 1) * m);
      if (logisticGradientHessian(w.Z, w.n, f, w.y, w.sw, C, w.beta, grad, H) > 1e-12) {
        still.push(w);
        systems.push(s);
      }
    });
    if (still.length === 0) break;
    const pick = (src: Float64Array, size: number) => {
      const dst = new Float64Array(systems.length * size);
      for (const [j, s] of systems.entries()) dst.set(src.subarray(s * size, (s + 1) * size), j * size);
      return dst;
    };
    const gs = pick(g, m);
    const step = solveSpdBatchMixed({ count: still.length, size: m, A: pick(A, m * m), b: gs });
    const moved = still.filter((w, j) => {
      // Never a step that raises the loss; the full step once the decrement is negligible.
      const update = dampedNewtonUpdate(
        w.beta,
        gs.subarray(j * m, (j + 1) * m),
        step.subarray(j * m, (j + 1) * m),
        (b) => logisticLoss(w.Z, w.n, f, w.y, w.sw, C, b),
        w.loss,
      );
      w.loss = update.loss;
      return update.moved;
    });
    // A window whose update left beta bit for bit unchanged would repeat the very same iteration
    // (rounding keeps its gradient norm above the tolerance) until the cap: its final beta is this one.
    active = moved;
  }
  // Windows that hit the iteration cap keep their last iterate.
  for (const w of all) {
    let eta = w.beta[f];
    for (let j = 0; j < f; j++) eta += w.beta[j] * w.zNew[j];
    out[w.k] = 1 / (1 + Math.exp(-eta));
  }
  return out;
}
