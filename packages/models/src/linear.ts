import { type WindowBatch, logisticPredictBatchExact, ridgePredictBatchExact } from './batch.js';

/** Ridge predictions per target and window (batched). */
export async function ridgePredictBatch(
  batch: WindowBatch,
  targets: readonly Float64Array[],
  alpha: number,
): Promise<Float64Array[]> {
  return ridgePredictBatchExact(batch, targets, alpha);
}

/** Logistic P(class 1) per window (batched). */
export async function logisticPredictBatch(
  batch: WindowBatch,
  y: Uint8Array,
  C: number,
): Promise<Float64Array> {
  return logisticPredictBatchExact(batch, y, C);
}
