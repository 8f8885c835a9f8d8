import { logisticExact, ridgeExact } from './exact.js';

/** Training windows of one candidate, batched: window k has rows[k] rows. */
export interface WindowBatch {
  readonly nWindows: number;
  readonly nFeatures: number;
  /** Rows per window. */
  readonly rows: Int32Array;
  /** Training rows of all windows, concatenated, row-major. */
  readonly X: Float64Array;
  /** The row to predict per window, nWindows x nFeatures. */
  readonly xNew: Float64Array;
}

function windowOffsets(batch: WindowBatch): Int32Array {
  const off = new Int32Array(batch.nWindows + 1);
  for (let k = 0; k < batch.nWindows; k++) off[k + 1] = off[k] + batch.rows[k];
  return off;
}

/** Float64 ridge predictions per window and target (the exact solver, window by window). */
export function ridgePredictBatchExact(
  batch: WindowBatch,
  targets: readonly Float64Array[],
  alpha: number,
): Float64Array[] {
  const f = batch.nFeatures;
  const off = windowOffsets(batch);
  const out = targets.map(() => new Float64Array(batch.nWindows));
  for (let k = 0; k < batch.nWindows; k++) {
    const X = batch.X.subarray(off[k] * f, off[k + 1] * f);
    const ys = targets.map((t) => t.subarray(off[k], off[k + 1]));
    const p = ridgeExact(X, batch.rows[k], f, ys, alpha, batch.xNew.subarray(k * f, (k + 1) * f));
    p.forEach((v, t) => {
      out[t][k] = v;
    });
  }
  return out;
}

/** Float64 logistic P(class 1) per window (Newton to a gradient norm of 1e-13). */
export function logisticPredictBatchExact(batch: WindowBatch, y: Uint8Array, C: number): Float64Array {
  const f = batch.nFeatures;
  const off = windowOffsets(batch);
  const out = new Float64Array(batch.nWindows);
  for (let k = 0; k < batch.nWindows; k++) {
    out[k] = logisticExact(
      batch.X.subarray(off[k] * f, off[k + 1] * f),
      batch.rows[k],
      f,
      y.subarray(off[k], off[k + 1]),
      C,
      batch.xNew.subarray(k * f, (k + 1) * f),
    );
  }
  return out;
}
