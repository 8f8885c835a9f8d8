import type { TensorInfo } from '@tensorflow/tfjs-core';
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

type KernelFn = (args: { inputs: object; backend: unknown; attrs: object }) => TensorInfo | TensorInfo[];

/**
 * The backend's TensorFlow.js kernels called directly. The systems are tiny
 * (18 unknowns for two sleeves), so the engine's per-op bookkeeping (scopes,
 * tensor tracking, kernel look-up) cost far more than the arithmetic; the
 * kernels themselves, and so every float32 result, are the ones `tf.matMul`,
 * `tf.sum`, ... run. Every output is disposed by the caller (`free`).
 */
class Kernels {
  readonly #backend = tf.backend();
  readonly #fns = new Map<string, KernelFn>();

  #fn(name: string): KernelFn {
    let fn = this.#fns.get(name);
    if (!fn) {
      const config = tf.getKernel(name, tf.getBackend());
      if (!config) throw new Error(`TensorFlow.js backend ${tf.getBackend()} has no kernel ${name}`);
      fn = config.kernelFunc as unknown as KernelFn;
      this.#fns.set(name, fn);
    }
    return fn;
  }

  run(name: string, inputs: Record<string, TensorInfo>, attrs: object = {}): TensorInfo {
    return this.#fn(name)({ inputs, backend: this.#backend, attrs }) as TensorInfo;
  }

  write(values: Float32Array, shape: number[]): TensorInfo {
    return { dataId: this.#backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
  }

  read(t: TensorInfo): Float32Array {
    return this.#backend.readSync(t.dataId) as Float32Array;
  }

  free(...ts: TensorInfo[]): void {
    for (const t of ts) this.#backend.disposeData(t.dataId);
  }

  add = (a: TensorInfo, b: TensorInfo) => this.run(tf.Add, { a, b });
  sub = (a: TensorInfo, b: TensorInfo) => this.run(tf.Sub, { a, b });
  mul = (a: TensorInfo, b: TensorInfo) => this.run(tf.Multiply, { a, b });
  div = (a: TensorInfo, b: TensorInfo) => this.run(tf.RealDiv, { a, b });
  /** Sum over axis 1, kept: [W, m, 1] to [W, 1, 1]. */
  sum1 = (x: TensorInfo) => this.run(tf.Sum, { x }, { axis: 1, keepDims: true });
  matMul = (a: TensorInfo, b: TensorInfo) =>
    this.run(tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
}

/**
 * float32 conjugate gradients on a batch: A [W, m, m], r [W, m, 1]; returns x [W, m, 1]
 * (the caller frees it). Every temporary is freed as soon as it is consumed.
 */
function cgFloat32(K: Kernels, A: TensorInfo, r: TensorInfo, iterations: number): TensorInfo {
  // A converged system has rr = pAp = 0: the tiny term makes its steps 0 instead of NaN.
  const tiny = K.write(Float32Array.of(1e-30), []);
  const zero = K.write(Float32Array.of(0), []);
  let x = K.run(tf.ZerosLike, { x: r });
  let res = r;
  // p starts as a copy, not r itself: the wasm backend's batched matMul caches by tensor id.
  let p = K.add(r, zero);
  let t = K.mul(res, res);
  let rr = K.sum1(t);
  K.free(t, zero);
  for (let k = 0; k < iterations; k++) {
    const Ap = K.matMul(A, p);
    t = K.mul(p, Ap);
    const pAp = K.sum1(t);
    const den = K.add(pAp, tiny);
    const alpha = K.div(rr, den);
    K.free(t, pAp, den);
    t = K.mul(alpha, p);
    const xNew = K.add(x, t);
    K.free(t, x);
    x = xNew;
    t = K.mul(alpha, Ap);
    const resNew = K.sub(res, t);
    K.free(t, alpha, Ap);
    if (res !== r) K.free(res);
    res = resNew;
    t = K.mul(res, res);
    const rrNew = K.sum1(t);
    K.free(t);
    const rrTiny = K.add(rr, tiny);
    const beta = K.div(rrNew, rrTiny);
    t = K.mul(beta, p);
    const pNew = K.add(res, t);
    K.free(rrTiny, beta, t, p, rr);
    p = pNew;
    rr = rrNew;
  }
  K.free(tiny, p, rr);
  if (res !== r) K.free(res);
  return x;
}

/** Solve every system of the batch to float64 accuracy (backend must be ready: see `tfReady`). */
export function solveSpdBatchMixed(batch: SpdBatch, opts: SolveOptions = {}): Float64Array {
  const { count, size: m } = batch;
  const rounds = opts.rounds ?? 3;
  const iterations = opts.cgIterations ?? m + 2;
  const x = new Float64Array(count * m);
  if (count === 0) return x;
  const K = new Kernels();
  // Pad a single system to two: batched matMul with batch size 1 is where the wasm backend's
  // tensor-id cache returns wrong numbers (tfjs 4.22).
  const W = count === 1 ? 2 : count;
  const A32 = new Float32Array(W * m * m);
  A32.set(batch.A);
  for (let k = count; k < W; k++) for (let i = 0; i < m; i++) A32[k * m * m + i * m + i] = 1;
  const A = K.write(A32, [W, m, m]);
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
      const rhs = K.write(scaled, [W, m, 1]);
      const d = cgFloat32(K, A, rhs, iterations);
      const d32 = K.read(d);
      K.free(rhs, d);
      for (let k = 0; k < count; k++) for (let i = 0; i < m; i++) x[k * m + i] += d32[k * m + i] * norms[k];
    }
  } finally {
    K.free(A);
  }
  return x;
}
