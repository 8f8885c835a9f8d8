import { describe, expect, it } from 'vitest';
import { rand } from './helpers.js';
import {
  type WindowBatch,
  logisticExact,
  multinomialExact,
  multinomialFit,
  multinomialPredictBatch,
  multinomialPredict,
  multinomialPredictBatchExact,
  useTfBackend,
} from '../src/index.js';

/**
 * Labels = the argmax of K noisy linear scores of the features (like "which
 * sleeve has the highest next-month return"), features on the scale of the
 * ML families' (returns and vols ~ 0.1).
 *
 * Checked once against scikit-learn 1.2.1 (throwaway script, not part of the
 * suite): `LogisticRegression(multi_class="multinomial", C=1,
 * class_weight="balanced", solver="newton-cg", tol=1e-14)` on
 * `StandardScaler()` features agreed with `multinomialExact` to <= 2.2e-9 in
 * every probability (9 problems, K = 3 and 4, 24-48 rows x 17-27 features,
 * one with an absent class); lbfgs stopped earlier (line-search warnings) and
 * agreed to 2.5e-5. Our fits end at a gradient norm < 1e-14, so the residual
 * is scikit-learn's stopping point.
 */
function labelled(seed: number, n: number, f: number, K: number) {
  const r = rand(seed);
  const X = Float64Array.from({ length: n * f }, () => r() * 0.2 - 0.1);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const v = 3 * X[i * f + k] + X[i * f + k + 5] - X[i * f + k + 9] + 0.15 * (r() - 0.5);
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    y[i] = best;
  }
  return { X, y, xNew: Float64Array.from({ length: f }, () => r() * 0.2 - 0.1) };
}

/**
 * The gradient of scikit-learn's objective C * sum_i sw_i * logloss_i +
 * 0.5 * sum_k |W_k|^2 in ALL parameters (every class's coefficients and
 * intercept, the over-parametrised form), written independently of the
 * solver, with the balanced weights n / (K_present * count).
 */
function fullGradient(
  X: Float64Array,
  n: number,
  f: number,
  y: Int32Array,
  C: number,
  fit: ReturnType<typeof multinomialFit>,
) {
  const Kp = fit.classes.length;
  const count = new Float64Array(Kp);
  const index = (label: number) => fit.classes.indexOf(label);
  for (const v of y) count[index(v)]++;
  const gW = new Float64Array(Kp * f);
  const gb = new Float64Array(Kp);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: f }, (_, j) => (X[i * f + j] - fit.mean[j]) / fit.scale[j]);
    const eta = Array.from(
      { length: Kp },
      (_, k) => fit.intercept[k] + z.reduce((s, v, j) => s + v * fit.coef[k * f + j], 0),
    );
    const mx = Math.max(...eta);
    const e = eta.map((v) => Math.exp(v - mx));
    const tot = e.reduce((s, v) => s + v, 0);
    const sw = n / (Kp * count[index(y[i])]);
    for (let k = 0; k < Kp; k++) {
      const r = C * sw * (e[k] / tot - (index(y[i]) === k ? 1 : 0));
      gb[k] += r;
      for (let j = 0; j < f; j++) gW[k * f + j] += r * z[j];
    }
  }
  for (let u = 0; u < Kp * f; u++) gW[u] += fit.coef[u];
  return { gW, gb };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('multinomialExact (float64 Newton)', () => {
  it.each([
    [48, 17, 3, 1],
    [36, 17, 4, 2],
    [24, 17, 4, 3],
    [48, 27, 4, 4],
  ])('zeroes the gradient of the objective: n=%i f=%i K=%i', (n, f, K, seed) => {
    const { X, y } = labelled(seed, n, f, K);
    for (const C of [1, 0.1]) {
      const fit = multinomialFit(X, n, f, y, K, C);
      expect(Array.from(fit.classes)).toEqual(Array.from({ length: K }, (_, k) => k));
      expect(fit.gradientNorm).toBeLessThanOrEqual(1e-13);
      expect(fit.iterations).toBeLessThan(20);
      const { gW, gb } = fullGradient(X, n, f, y, C, fit);
      expect(maxAbs(gW)).toBeLessThan(1e-12);
      expect(maxAbs(gb)).toBeLessThan(1e-12);
      // Symmetric solution: the penalty makes the class coefficient vectors sum to 0.
      for (let j = 0; j < f; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += fit.coef[k * f + j];
        expect(Math.abs(s)).toBeLessThan(1e-12);
      }
    }
  });

  it('gives probabilities that sum to 1 and follow the signal', () => {
    const n = 48;
    const f = 17;
    const { X, y } = labelled(5, n, f, 4);
    let right = 0;
    for (let i = 0; i < n; i++) {
      const p = multinomialExact(X, n, f, y, 4, 1, X.subarray(i * f, (i + 1) * f));
      expect(Math.abs(p.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-15);
      for (const v of p) expect(v).toBeGreaterThan(0);
      if (p.indexOf(Math.max(...p)) === y[i]) right++;
    }
    expect(right).toBeGreaterThan(0.8 * n); // in-sample fit of a learnable signal
  });

  it('gives absent classes probability 0 and fits the present ones only', () => {
    const n = 40;
    const f = 17;
    const { X, y } = labelled(6, n, f, 3);
    const y4 = Int32Array.from(y, (v) => (v === 1 ? 3 : v)); // classes {0, 2, 3} of K = 5
    const p5 = multinomialExact(X, n, f, y4, 5, 1, X.subarray(0, f));
    expect(p5[1]).toBe(0);
    expect(p5[4]).toBe(0);
    expect(Math.abs(p5[0] + p5[2] + p5[3] - 1)).toBeLessThan(1e-15);
    // Same fit as relabelling the present classes 0, 1, 2 of K = 3.
    const p3 = multinomialExact(X, n, f, y, 3, 1, X.subarray(0, f));
    expect(Math.abs(p5[0] - p3[0])).toBeLessThan(1e-14);
    expect(Math.abs(p5[3] - p3[1])).toBeLessThan(1e-14);
    expect(Math.abs(p5[2] - p3[2])).toBeLessThan(1e-14);
    // One present class: probability 1 for it.
    expect(Array.from(multinomialExact(X, n, f, new Int32Array(n).fill(2), 4, 1, X.subarray(0, f)))).toEqual([
      0, 0, 1, 0,
    ]);
  });

  it('with two present classes equals binary logistic regression with 2C (softmax of two penalised vectors)', () => {
    const n = 40;
    const f = 17;
    const r = rand(11);
    const X = Float64Array.from({ length: n * f }, () => r() - 0.5);
    const y = Int32Array.from({ length: n }, (_, i) => (X[i * f] + 0.3 * (r() - 0.5) > 0 ? 2 : 0));
    for (let t = 0; t < 5; t++) {
      const xNew = Float64Array.from({ length: f }, () => r() - 0.5);
      const p = multinomialExact(X, n, f, y, 3, 1, xNew);
      const b = logisticExact(
        X,
        n,
        f,
        Uint8Array.from(y, (v) => (v === 2 ? 1 : 0)),
        2,
        xNew,
      );
      expect(Math.abs(p[2] - b)).toBeLessThan(1e-13);
      expect(p[1]).toBe(0);
    }
  });

  it('rejects labels outside [0, K)', () => {
    const { X, y } = labelled(7, 24, 17, 3);
    expect(() => multinomialExact(X, 24, 17, y, 2, 1, X.subarray(0, 17))).toThrow(RangeError);
  });
});

describe('multinomialFit in the span of the training rows (more features than rows)', () => {
  // Eight-sleeve sizes (77 features, 24-48 rows, 8 classes: 623 unknowns dense), and smaller ones
  // with rank-deficient rows (repeated rows) and fewer present classes.
  it.each([
    [24, 77, 8, 11, false],
    [20, 40, 5, 13, true],
    [30, 60, 6, 14, false],
  ])('zeroes the full gradient and gives the dense fit: n=%i f=%i K=%i', (n, f, K, seed, repeatRows) => {
    const { X, y, xNew } = labelled(seed, n, f, K);
    if (repeatRows) X.copyWithin(0, 5 * f, 8 * f); // rows 0-2 = rows 5-7
    if (repeatRows) y.copyWithin(0, 5, 8);
    const fit = multinomialFit(X, n, f, y, K, 1, { rowSpace: true });
    expect(fit.gradientNorm).toBeLessThanOrEqual(1e-13);
    const { gW, gb } = fullGradient(X, n, f, y, 1, fit);
    expect(maxAbs(gW)).toBeLessThan(1e-11);
    expect(maxAbs(gb)).toBeLessThan(1e-11);
    const dense = multinomialFit(X, n, f, y, K, 1, { rowSpace: false });
    expect(maxAbs(fit.coef.map((v, u) => v - dense.coef[u]))).toBeLessThan(1e-10);
    const p = multinomialPredict(fit, xNew, K);
    const q = multinomialPredict(dense, xNew, K);
    expect(maxAbs(p.map((v, k) => v - q[k]))).toBeLessThan(1e-12);
  });

  it('is what multinomialExact uses for large systems, and not for four sleeves', () => {
    const { X, y, xNew } = labelled(15, 24, 77, 8);
    const auto = multinomialExact(X, 24, 77, y, 8, 1, xNew);
    const reduced = multinomialPredict(multinomialFit(X, 24, 77, y, 8, 1, { rowSpace: true }), xNew, 8);
    expect(Array.from(auto)).toEqual(Array.from(reduced));
    const four = labelled(16, 24, 37, 4);
    expect(Array.from(multinomialExact(four.X, 24, 37, four.y, 4, 1, four.xNew))).toEqual(
      Array.from(
        multinomialPredict(multinomialFit(four.X, 24, 37, four.y, 4, 1, { rowSpace: false }), four.xNew, 4),
      ),
    );
  });
});

/** Windows of 24-48 rows x 17 features with K = 4 labels; window 1 lacks class 1, window 3 has one class. */
function windows(seed: number, sizes = [24, 36, 48, 30, 47, 40]) {
  const f = 17;
  const K = 4;
  const parts = sizes.map((n, k) => labelled(seed * 100 + k, n, f, K));
  const labels = new Int32Array(sizes.reduce((s, n) => s + n, 0));
  let o = 0;
  parts.forEach(({ y }, k) => {
    labels.set(
      y.map((v) => (k === 1 && v === 1 ? 2 : k === 3 ? 3 : v)),
      o,
    );
    o += y.length;
  });
  const batch: WindowBatch = {
    nWindows: sizes.length,
    nFeatures: f,
    rows: Int32Array.from(sizes),
    X: Float64Array.from(parts.flatMap(({ X }) => Array.from(X))),
    xNew: Float64Array.from(parts.flatMap(({ xNew }) => Array.from(xNew))),
  };
  return { batch, labels, K };
}

describe.each(['wasm', 'cpu'] as const)('multinomialPredictBatch on the %s backend', (backend) => {
  it('switches to the backend', async () => {
    expect(await useTfBackend(backend)).toBe(true);
  });

  it('equals the float64 solver to 1e-9 (measured <= 2e-13), with absent and single classes', async () => {
    const { batch, labels, K } = windows(1);
    const p = await multinomialPredictBatch(batch, labels, K, 1);
    const e = multinomialPredictBatchExact(batch, labels, K, 1);
    expect(p.length).toBe(batch.nWindows * K);
    for (let k = 0; k < batch.nWindows; k++) {
      const row = p.subarray(k * K, (k + 1) * K);
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1), `window ${k}`).toBeLessThan(1e-15);
      for (let c = 0; c < K; c++)
        expect(Math.abs(row[c] - e[k * K + c]), `window ${k} class ${c}`).toBeLessThan(1e-9);
    }
    expect(p[1 * K + 1]).toBe(0); // window 1: class 1 absent
    expect(Array.from(p.subarray(3 * K, 4 * K))).toEqual([0, 0, 0, 1]); // window 3: one class
  });

  it('gives every window the same bits alone as in a batch', async () => {
    const { batch, labels, K } = windows(2);
    const all = await multinomialPredictBatch(batch, labels, K, 1);
    const f = batch.nFeatures;
    let offset = 0;
    for (let k = 0; k < batch.nWindows; k++) {
      const n = batch.rows[k];
      const one: WindowBatch = {
        nWindows: 1,
        nFeatures: f,
        rows: Int32Array.of(n),
        X: batch.X.slice(offset * f, (offset + n) * f),
        xNew: batch.xNew.slice(k * f, (k + 1) * f),
      };
      const alone = await multinomialPredictBatch(one, labels.slice(offset, offset + n), K, 1);
      expect(Array.from(alone), `window ${k}`).toEqual(Array.from(all.subarray(k * K, (k + 1) * K)));
      offset += n;
    }
  });
});
