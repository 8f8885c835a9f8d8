import type { DecisionContext, DecisionPanel } from '@step4/core/contract';
import type { WindowBatch } from './batch.js';
import type { ForestEngine, ForestParams } from './forest.js';

/** Fewest labelled rows an ML policy trains on; below it the policy holds 50/50 (spec section 4). */
export const MIN_TRAINING_ROWS = 24;

/**
 * The shared training window of the ML policies for the decision at Z row
 * `step` (spec section 4): history rows j < step - 1 that have a next-month
 * target (row j + 1 is still history), the last max(24, lookback) of them.
 * The last history row has no target and is never used.
 */
export interface TrainingWindow {
  /** First labelled Z row (inclusive). */
  readonly from: number;
  /** One past the last labelled Z row: always `step - 1` or less. */
  readonly to: number;
}

export function trainingWindow(step: number, lookback: number): TrainingWindow {
  const to = Math.max(0, step - 1);
  const keep = Math.max(MIN_TRAINING_ROWS, lookback);
  return { from: Math.max(0, to - keep), to };
}

export function windowSize(w: TrainingWindow): number {
  return w.to - w.from;
}

/**
 * Features of rows [from, to) of the panel, row-major, copied: a model never
 * sees a row at or after the decision month.
 */
export function windowFeatures(panel: DecisionPanel, w: TrainingWindow): Float64Array {
  const f = panel.featureNames.length;
  return panel.features.slice(w.from * f, w.to * f);
}

/** Next-month targets of rows [from, to): returns of rows [from + 1, to + 1). */
export function windowTargets(panel: DecisionPanel, w: TrainingWindow): { a: Float64Array; b: Float64Array } {
  return { a: panel.retA.slice(w.from + 1, w.to + 1), b: panel.retB.slice(w.from + 1, w.to + 1) };
}

/** The current month's features (already lagged). */
export function currentFeatures(panel: DecisionPanel, step: number): Float64Array {
  const f = panel.featureNames.length;
  return panel.features.slice(step * f, (step + 1) * f);
}

/**
 * Memo of decisions shared by candidates that differ only in position
 * mechanics (e.g. max_gross): same panel, same model parameters, same steps.
 * Keyed by the panel's feature buffer, so it is dropped with the panel.
 */
export class DecisionCache<T> {
  readonly #byPanel = new WeakMap<Float64Array, Map<string, Promise<T>>>();

  get(panel: DecisionPanel, key: string, compute: () => Promise<T>): Promise<T> {
    let m = this.#byPanel.get(panel.features);
    if (!m) {
      m = new Map();
      this.#byPanel.set(panel.features, m);
    }
    let v = m.get(key);
    if (!v) {
      v = compute();
      m.set(key, v);
      // A failure must not be remembered for the next candidate.
      v.catch(() => m!.delete(key));
    }
    return v;
  }
}

/** Training windows of every step with at least 24 labelled rows, batched for the linear models. */
export interface StepWindows {
  readonly trained: readonly { readonly step: number; readonly k: number; readonly window: TrainingWindow }[];
  readonly batch: WindowBatch;
  /** Next-month targets of every trained window, concatenated like the batch rows. */
  readonly targetA: Float64Array;
  readonly targetB: Float64Array;
}

export function stepWindows(panel: DecisionPanel, steps: readonly number[], lookback: number): StepWindows {
  const f = panel.featureNames.length;
  const trained = steps
    .map((step, k) => ({ step, k, window: trainingWindow(step, lookback) }))
    .filter((t) => windowSize(t.window) >= MIN_TRAINING_ROWS);
  const rows = Int32Array.from(trained, (t) => windowSize(t.window));
  const total = rows.reduce((s, r) => s + r, 0);
  const X = new Float64Array(total * f);
  const xNew = new Float64Array(trained.length * f);
  const targetA = new Float64Array(total);
  const targetB = new Float64Array(total);
  let o = 0;
  trained.forEach((t, j) => {
    X.set(windowFeatures(panel, t.window), o * f);
    const y = windowTargets(panel, t.window);
    targetA.set(y.a, o);
    targetB.set(y.b, o);
    o += y.a.length;
    xNew.set(currentFeatures(panel, t.step), j * f);
  });
  return { trained, batch: { nWindows: trained.length, nFeatures: f, rows, X, xNew }, targetA, targetB };
}

/** The decision context as a panel of Z rows 0..step (row `step` has features only). */
export function panelFromContext(ctx: DecisionContext): DecisionPanel {
  const f = ctx.featureNames.length;
  const features = new Float64Array((ctx.step + 1) * f);
  features.set(ctx.history.features);
  features.set(ctx.features, ctx.step * f);
  return {
    length: ctx.step + 1,
    monthEnds: [...ctx.history.monthEnds, ctx.monthEnd],
    retA: ctx.history.retA,
    retB: ctx.history.retB,
    features,
    featureNames: ctx.featureNames,
  };
}

/**
 * P(class 1) of a forest fitted on one step's training window; one class in
 * the window gives that class probability 1 (as scikit-learn's forests do).
 */
export function forestClass1(
  engine: ForestEngine,
  panel: DecisionPanel,
  step: number,
  lookback: number,
  label: (nextA: number, nextB: number) => 0 | 1,
  params: ForestParams,
): { p1: number; classes: number } | undefined {
  const window = trainingWindow(step, lookback);
  const n = windowSize(window);
  if (n < MIN_TRAINING_ROWS) return undefined;
  const y = windowTargets(panel, window);
  const labels = Int32Array.from(y.a, (a, i) => label(a, y.b[i]));
  let ones = 0;
  for (const l of labels) ones += l;
  if (ones === 0 || ones === n) return { p1: ones === 0 ? 0 : 1, classes: 1 };
  const f = panel.featureNames.length;
  const proba = engine.fitPredictProba(
    windowFeatures(panel, window),
    n,
    f,
    labels,
    2,
    currentFeatures(panel, step),
    params,
  );
  return { p1: proba[1], classes: 2 };
}
