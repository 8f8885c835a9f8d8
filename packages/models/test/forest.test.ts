import { describe, expect, it } from 'vitest';
import { type ForestParams, typedForest } from '../src/index.js';
import { referenceForest } from './forest-reference.js';
import { rand } from './helpers.js';

/**
 * The typed forest presorts each feature once per fit, filters that order per
 * node, stops growing a tree once every new row has its leaf, and makes only
 * the random draws of nodes whose children no new row reaches. None of that may
 * change a bit: every probability must equal the straightforward forest's
 * (forest-reference.ts) exactly, on random problems with and without tied
 * values, signed zeros and NaN.
 */
function problem(seed: number) {
  const r = rand(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const n = int(2, 60);
  const f = int(1, 20);
  const k = int(2, 5);
  const m = int(0, 4);
  // Half the problems draw from a few levels, so nodes hold tied values.
  const levels = r() < 0.5 ? int(2, 6) : 0;
  const special = r() < 0.3;
  const value = () => {
    if (special && r() < 0.05) return [0, -0, Number.NaN][int(0, 2)];
    return levels ? int(0, levels - 1) / levels : r() * 2 - 1;
  };
  const X = Float64Array.from({ length: n * f }, value);
  const y = Int32Array.from({ length: n }, () => int(0, k - 1));
  const xNew = Float64Array.from({ length: m * f }, value);
  const params: ForestParams = {
    nTrees: int(1, 25),
    maxDepth: int(0, 6),
    minSamplesLeaf: int(1, 5),
    maxFeatures: r() < 0.5 ? 'sqrt' : int(1, f),
    classWeight: r() < 0.7 ? 'balanced_subsample' : null,
    seed: int(0, 2 ** 31),
  };
  return { n, f, k, X, y, xNew, params };
}

const bits = (a: Float64Array) => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v)));

describe('typed forest = reference forest, bit for bit', () => {
  it('on 400 random problems (ties, signed zeros, NaN, 2-5 classes, 0-4 new rows)', () => {
    for (let s = 1; s <= 400; s++) {
      const { n, f, k, X, y, xNew, params } = problem(s);
      const fast = typedForest.fitPredictProba(X, n, f, y, k, xNew, params);
      const ref = referenceForest.fitPredictProba(X, n, f, y, k, xNew, params);
      expect(bits(fast), `problem ${s}`).toEqual(bits(ref));
    }
  });

  it('when forests share a seed and a row count (bootstrap draws made once, replayed, extended)', () => {
    const r = rand(5);
    const f = 3;
    // Seed 7 throughout; 9 or 10 rows; tree counts growing and shrinking; new data each time.
    for (const [n, nTrees] of [
      [9, 5],
      [10, 30],
      [9, 12],
      [10, 4],
      [9, 60],
      [9, 1],
    ] as const) {
      const X = Float64Array.from({ length: n * f }, () => Math.floor(r() * 4));
      const y = Int32Array.from({ length: n }, () => Math.floor(r() * 2));
      const xNew = Float64Array.from({ length: 2 * f }, () => Math.floor(r() * 4));
      const params: ForestParams = {
        nTrees,
        maxDepth: 3,
        minSamplesLeaf: 1,
        maxFeatures: 'sqrt',
        classWeight: 'balanced_subsample',
        seed: 7,
      };
      expect(
        bits(typedForest.fitPredictProba(X, n, f, y, 2, xNew, params)),
        `${n} rows, ${nTrees} trees`,
      ).toEqual(bits(referenceForest.fitPredictProba(X, n, f, y, 2, xNew, params)));
    }
  });

  it('on the ml_rf / regime_rf shape: 48 x 17, 220-260 trees, depth 4, one and several new rows', () => {
    const r = rand(77);
    for (const [nTrees, minSamplesLeaf, k] of [
      [220, 4, 2],
      [260, 3, 2],
      [220, 4, 4],
    ] as const) {
      const n = 48;
      const f = 17;
      const X = Float64Array.from({ length: n * f }, () => r() * 0.2 - 0.1);
      const y = Int32Array.from({ length: n }, () => Math.floor(r() * k));
      const xNew = Float64Array.from({ length: 3 * f }, () => r() * 0.2 - 0.1);
      const params: ForestParams = {
        nTrees,
        maxDepth: 4,
        minSamplesLeaf,
        maxFeatures: 'sqrt',
        classWeight: 'balanced_subsample',
        seed: 42,
      };
      for (const rows of [xNew.subarray(0, f), xNew]) {
        const fast = typedForest.fitPredictProba(X, n, f, y, k, rows, params);
        expect(bits(fast)).toEqual(bits(referenceForest.fitPredictProba(X, n, f, y, k, rows, params)));
      }
    }
  });
});
