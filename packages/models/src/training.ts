import type { DecisionContext, DecisionPanel } from '@step4/core/contract';
import type { WindowBatch } from './batch.js';
import type { ForestEngine, ForestParams } from './forest.js';

/** Fewest labelled rows an ML policy trains on; below it the policy holds 50/50 (docs/model/families.md). */
export const MIN_TRAINING_ROWS = 24;

/**
 * The shared training window of the ML policies for the decision at Z row
 * `step` (docs/model/families.md): history rows j < step - 1 that have a next-month
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
  return { a: panel.returns[0].slice(w.from + 1, w.to + 1), b: panel.returns[1].slice(w.from + 1, w.to + 1) };
}

/** Every sleeve's next-month targets of rows [from, to), sleeve order. */
export function windowSleeveTargets(panel: DecisionPanel, w: TrainingWindow): Float64Array[] {
  return panel.returns.map((r) => r.slice(w.from + 1, w.to + 1));
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
  /** Every sleeve's next-month targets, sleeve order (`targets[0] = targetA`). */
  readonly targets: readonly Float64Array[];
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
  const targets = panel.returns.map(() => new Float64Array(total));
  let o = 0;
  trained.forEach((t, j) => {
    X.set(windowFeatures(panel, t.window), o * f);
    const y = windowSleeveTargets(panel, t.window);
    y.forEach((v, s) => {
      targets[s].set(v, o);
    });
    o += y[0].length;
    xNew.set(currentFeatures(panel, t.step), j * f);
  });
  return {
    trained,
    batch: { nWindows: trained.length, nFeatures: f, rows, X, xNew },
    targetA: targets[0],
    targetB: targets[1],
    targets,
  };
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
    sleeveNames: ctx.sleeveNames,
    returns: ctx.history.returns,
    retA: ctx.history.returns[0],
    retB: ctx.history.returns[1],
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

/**
 * Class probabilities (one per sleeve) of a forest fitted on one step's
 * training window with labels `label(next returns of every sleeve)`. Classes
 * that never occur in the window get probability 0 and the forest is fitted
 * on the classes that do (a single class gets probability 1).
 */
export function forestSleeveProba(
  engine: ForestEngine,
  panel: DecisionPanel,
  step: number,
  lookback: number,
  label: (next: readonly number[]) => number,
  params: ForestParams,
): Float64Array | undefined {
  const window = trainingWindow(step, lookback);
  const n = windowSize(window);
  if (n < MIN_TRAINING_ROWS) return undefined;
  const k = panel.returns.length;
  const y = windowSleeveTargets(panel, window);
  const labels = Int32Array.from({ length: n }, (_, i) => label(y.map((v) => v[i])));
  const { present, compact } = compactClasses(labels, k);
  const proba = new Float64Array(k);
  if (present.length === 1) {
    proba[present[0]] = 1;
    return proba;
  }
  const f = panel.featureNames.length;
  const p = engine.fitPredictProba(
    windowFeatures(panel, window),
    n,
    f,
    compact,
    present.length,
    currentFeatures(panel, step),
    params,
  );
  present.forEach((c, j) => {
    proba[c] = p[j];
  });
  return proba;
}

/** The classes that occur (ascending) and the labels renumbered 0..present-1. */
export function compactClasses(labels: Int32Array, k: number): { present: number[]; compact: Int32Array } {
  const seen = new Uint8Array(k);
  for (const l of labels) seen[l] = 1;
  const present: number[] = [];
  const index = new Int32Array(k).fill(-1);
  for (let c = 0; c < k; c++) if (seen[c]) index[c] = present.push(c) - 1;
  return { present, compact: Int32Array.from(labels, (l) => index[l]) };
}

/** The sleeve with the highest value; ties go to the last (`'last'`) or the first (`'first'`) tied sleeve. */
export function bestSleeve(values: readonly number[], ties: 'first' | 'last'): number {
  let best = 0;
  for (let s = 1; s < values.length; s++) {
    if (values[s] > values[best] || (ties === 'last' && values[s] === values[best])) best = s;
  }
  return best;
}
