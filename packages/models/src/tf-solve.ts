import { tf } from './tf-backend.js';

/**
 * Batched solves of small symmetric positive definite systems A_k x_k = b_k
 * in mixed precision (like LAPACK's dsgesv): TensorFlow.js runs conjugate
 * gradients in float32 for every system at once, the residual r = b - A x is
 * computed in float64 here, and each refinement round solves A d = r and adds
 * d in float64. A fixed number of rounds and CG iterations per system keeps
 * every system's result independent of which other systems share the batch
 * (the look-ahead checks compare decisions bit for bit).
 */

export interface SpdBatch {
  /** Number of systems. */
  readonly count: number;
  /** Size m of each system. */
  readonly size: number;
  /** count x m x m, row-major, float64. */
  readonly A: Float64Array;
  /** count x m, float64. */
  readonly b: Float64Array;
}

export interface SolveOptions {
  /** Refinement rounds (default 3: float32 CG gains ~6 digits a round). */
  readonly rounds?: number;
  /** CG iterations per round (default m + 2). */
  readonly cgIterations?: number;
}

/** float32 conjugate gradients on a batch: A [W, m, m], r [W, m, 1]; returns x [W, m, 1]. */
function cgFloat32(A: tf.Tensor3D, r: tf.Tensor3D, iterations: number): tf.Tensor3D {
  return tf.tidy(() => {
    // A converged system has rr = pAp = 0: the tiny term makes its steps 0 instead of NaN.
    const tiny = tf.scalar(1e-30);
    let x = tf.zerosLike(r) as tf.Tensor3D;
    let res = r;
    // p starts as a copy, not r itself: the wasm backend's batched matMul caches by tensor id.
    let p = tf.add(r, tf.scalar(0)) as tf.Tensor3D;
    let rr = tf.sum(tf.mul(res, res), 1, true);
    for (let k = 0; k < iterations; k++) {
      const Ap = tf.matMul(A, p) as tf.Tensor3D;
      const alpha = tf.div(rr, tf.add(tf.sum(tf.mul(p, Ap), 1, true), tiny));
      x = tf.add(x, tf.mul(alpha, p)) as tf.Tensor3D;
      res = tf.sub(res, tf.mul(alpha, Ap)) as tf.Tensor3D;
      const rrNew = tf.sum(tf.mul(res, res), 1, true);
      p = tf.add(res, tf.mul(tf.div(rrNew, tf.add(rr, tiny)), p)) as tf.Tensor3D;
      rr = rrNew;
    }
    return x;
  });
}

/** Solve every system of the batch to float64 accuracy (backend must be ready: see `tfReady`). */
export function solveSpdBatchMixed(batch: SpdBatch, opts: SolveOptions = {}): Float64Array {
  const { count, size: m } = batch;
  const rounds = opts.rounds ?? 3;
  const iterations = opts.cgIterations ?? m + 2;
  const x = new Float64Array(count * m);
  if (count === 0) return x;
  // Pad a single system to two: batched matMul with batch size 1 is where the wasm backend's
  // tensor-id cache returns wrong numbers (tfjs 4.22).
  const W = count === 1 ? 2 : count;
  const A32 = new Float32Array(W * m * m);
  A32.set(Float32Array.from(batch.A));
  for (let k = count; k < W; k++) for (let i = 0; i < m; i++) A32[k * m * m + i * m + i] = 1;
  const A = tf.tensor3d(A32, [W, m, m]);
  const r = new Float64Array(count * m);
  const scaled = new Float32Array(W * m);
  const norms = new Float64Array(count);
  try {
    for (let round = 0; round < rounds; round++) {
      // r = b - A x in float64, scaled to unit norm so float32 neither under- nor overflows.
      for (let k = 0; k < count; k++) {
        const o = k * m;
        let nrm = 0;
        for (let i = 0; i < m; i++) {
          let s = batch.b[o + i];
          const row = (k * m + i) * m;
          for (let j = 0; j < m; j++) s -= batch.A[row + j] * x[o + j];
          r[o + i] = s;
          nrm += s * s;
        }
        norms[k] = Math.sqrt(nrm);
        for (let i = 0; i < m; i++) scaled[o + i] = norms[k] > 0 ? r[o + i] / norms[k] : 0;
      }
      const rhs = tf.tensor3d(scaled, [W, m, 1]);
      const d = cgFloat32(A, rhs, iterations);
      const d32 = d.dataSync();
      rhs.dispose();
      d.dispose();
      for (let k = 0; k < count; k++) for (let i = 0; i < m; i++) x[k * m + i] += d32[k * m + i] * norms[k];
    }
  } finally {
    A.dispose();
  }
  return x;
}
