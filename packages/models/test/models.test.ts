import { Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { rand } from './helpers.js';
import {
  balancedWeights,
  forestEngine,
  logisticExact,
  logisticNewton,
  ridgeExact,
  solveSpd,
  standardise,
  standardiser,
} from '../src/index.js';

function problem(n: number, f: number, seed: number) {
  const r = rand(seed);
  const X = Float64Array.from({ length: n * f }, () => r() * 2 - 1);
  const y = Float64Array.from(
    { length: n },
    (_, i) => 0.3 * X[i * f] - 0.2 * X[i * f + 1] + 0.1 * (r() - 0.5),
  );
  return { X, y, xNew: Float64Array.from({ length: f }, () => r() - 0.5) };
}

describe('float64 solvers', () => {
  it('solves SPD systems by Cholesky', () => {
    const A = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
    const x = solveSpd(A, Float64Array.from([1, 2, 3]), 3);
    const ref = solve(
      new Matrix([
        [4, 2, 0.6],
        [2, 5, 1],
        [0.6, 1, 3],
      ]),
      Matrix.columnVector([1, 2, 3]),
    ).to1DArray();
    for (const [i, v] of x.entries()) expect(v).toBeCloseTo(ref[i], 13);
  });

  it('gives the bits of the textbook Cholesky solve (one subtraction at a time, k in order)', () => {
    const textbook = (A: Float64Array, b: Float64Array, m: number) => {
      const L = new Float64Array(m * m);
      for (let i = 0; i < m; i++)
        for (let j = 0; j <= i; j++) {
          let s = A[i * m + j];
          for (let k = 0; k < j; k++) s -= L[i * m + k] * L[j * m + k];
          L[i * m + j] = i === j ? Math.sqrt(s) : s / L[j * m + j];
        }
      // Forward then back substitution, one subtraction at a time in k order.
      const y = new Float64Array(m);
      for (let i = 0; i < m; i++)
        y[i] = L.subarray(i * m, i * m + i).reduce((s, l, k) => s - l * y[k], b[i]) / L[i * m + i];
      const x = new Float64Array(m);
      for (let i = m - 1; i >= 0; i--)
        x[i] = x.subarray(i + 1).reduce((s, v, d) => s - L[(i + 1 + d) * m + i] * v, y[i]) / L[i * m + i];
      return x;
    };
    // 1..40 and two larger sizes: the factor is computed four rows at a time plus a remainder.
    for (const m of [...Array.from({ length: 40 }, (_, i) => i + 1), 97, 151]) {
      const r = rand(100 + m);
      const G = Float64Array.from({ length: m * m }, () => r() - 0.5);
      const A = new Float64Array(m * m);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++) {
          let v = i === j ? 0.5 : 0;
          for (let l = 0; l < m; l++) v += G[l * m + i] * G[l * m + j];
          A[i * m + j] = v;
        }
      const b = Float64Array.from({ length: m }, () => r() - 0.5);
      expect(Array.from(solveSpd(A, b, m)), `m = ${m}`).toEqual(Array.from(textbook(A, b, m)));
    }
  });

  it('refuses a matrix that is not positive definite at its first bad pivot, for every row of a block of four', () => {
    for (const bad of [0, 1, 2, 3, 4, 5, 6, 7, 8]) {
      const m = 9;
      // Identity with one row/column made dependent on the first: pivot `bad` is 0 (or row 0's is -1).
      const A = new Float64Array(m * m);
      for (let i = 0; i < m; i++) A[i * m + i] = 1;
      if (bad === 0) A[0] = -1;
      else {
        A[bad * m] = 1;
        A[bad] = 1;
      }
      expect(() => solveSpd(A, new Float64Array(m), m), `bad pivot ${bad}`).toThrow(
        `solveSpd: matrix is not positive definite (pivot ${bad === 0 ? -1 : 0} at ${bad})`,
      );
    }
  });

  it('standardises with the population std and gives a constant column scale 1', () => {
    const X = Float64Array.from([1, 5, 2, 5, 3, 5]);
    const { mean, scale } = standardiser(X, 3, 2);
    expect(Array.from(mean)).toEqual([2, 5]);
    expect(scale[0]).toBeCloseTo(Math.sqrt(2 / 3), 15);
    expect(scale[1]).toBe(1);
    expect(Array.from(standardise(X, 3, 2, mean, scale)).filter((_, i) => i % 2 === 1)).toEqual([0, 0, 0]);
  });

  it('ridge equals the augmented normal equations with an unpenalised intercept', () => {
    const n = 36;
    const f = 17;
    const { X, y, xNew } = problem(n, f, 3);
    const [pred] = ridgeExact(X, n, f, [y], 1.5, xNew);
    // Independent check: solve [Z 1]'[Z 1] + diag(alpha,..,alpha,0) with ml-matrix.
    const { mean, scale } = standardiser(X, n, f);
    const Z = standardise(X, n, f, mean, scale);
    const D = new Matrix(n, f + 1);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < f; j++) D.set(i, j, Z[i * f + j]);
      D.set(i, f, 1);
    }
    const A = D.transpose().mmul(D);
    for (let j = 0; j < f; j++) A.set(j, j, A.get(j, j) + 1.5);
    const beta = solve(A, D.transpose().mmul(Matrix.columnVector(Array.from(y)))).to1DArray();
    let expected = beta[f];
    for (let j = 0; j < f; j++) expected += beta[j] * ((xNew[j] - mean[j]) / scale[j]);
    expect(Math.abs(pred - expected)).toBeLessThan(1e-13);
  });

  it('logistic regression reaches a zero gradient of the penalised, balanced loss', () => {
    const n = 48;
    const f = 17;
    const { X, y: score } = problem(n, f, 11);
    const y = Uint8Array.from(score, (v) => (v > 0.05 ? 1 : 0));
    const { mean, scale } = standardiser(X, n, f);
    const Z = standardise(X, n, f, mean, scale);
    const sw = balancedWeights(y);
    const ones = y.reduce((s, v) => s + v, 0);
    expect(sw[y.indexOf(1)]).toBeCloseTo(n / (2 * ones), 14);
    const fit = logisticNewton(Z, n, f, y, sw, 1);
    expect(fit.gradientNorm).toBeLessThanOrEqual(1e-13);
    expect(fit.iterations).toBeLessThan(30);
  });

  it('puts probability 1 on the only class of a single-class window (docs/model/README.md)', () => {
    const { X, xNew } = problem(24, 17, 5);
    expect(logisticExact(X, 24, 17, new Uint8Array(24).fill(1), 1, xNew)).toBe(1);
    expect(logisticExact(X, 24, 17, new Uint8Array(24), 1, xNew)).toBe(0);
  });
});

describe('random forests', () => {
  const n = 48;
  const f = 17;
  const r = rand(77);
  const X = Float64Array.from({ length: n * f }, () => r() * 2 - 1);
  const y = Int32Array.from({ length: n }, (_, i) => (X[i * f + 3] > 0 ? 1 : 0));
  const xNew = Float64Array.from(
    [...Array(f)]
      .map((_, j) => (j === 3 ? 0.8 : 0))
      .concat([...Array(f)].map((_, j) => (j === 3 ? -0.8 : 0))),
  );
  const params = {
    nTrees: 220,
    maxDepth: 4,
    minSamplesLeaf: 4,
    maxFeatures: 'sqrt' as const,
    classWeight: 'balanced_subsample' as const,
    seed: 42,
  };

  it.each(['typed', 'ml-random-forest'] as const)(
    '%s: learns a separable rule, probabilities sum to 1',
    (name) => {
      const p = forestEngine(name).fitPredictProba(X, n, f, y, 2, xNew, params);
      expect(p[0] + p[1]).toBeCloseTo(1, 12);
      expect(p[2] + p[3]).toBeCloseTo(1, 12);
      // ml-random-forest samples features once per tree, so fewer of its trees see feature 3.
      expect(p[1] - p[3]).toBeGreaterThan(name === 'typed' ? 0.3 : 0.1);
    },
  );

  it('typed: the same seed gives the same bits, another seed other numbers', () => {
    const e = forestEngine('typed');
    const a = e.fitPredictProba(X, n, f, y, 2, xNew, params);
    expect(Array.from(e.fitPredictProba(X, n, f, y, 2, xNew, params))).toEqual(Array.from(a));
    expect(Array.from(e.fitPredictProba(X, n, f, y, 2, xNew, { ...params, seed: 7 }))).not.toEqual(
      Array.from(a),
    );
  });

  it('typed: balanced_subsample lifts a 10% minority class above its base rate on uninformative features', () => {
    const yImb = Int32Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const noise = Float64Array.from({ length: n * f }, () => r());
    const probe = Float64Array.from({ length: f * 20 }, () => r());
    const mean = (p: Float64Array) => {
      let s = 0;
      for (let i = 1; i < p.length; i += 2) s += p[i];
      return s / (p.length / 2);
    };
    const balanced = mean(forestEngine('typed').fitPredictProba(noise, n, f, yImb, 2, probe, params));
    const plain = mean(
      forestEngine('typed').fitPredictProba(noise, n, f, yImb, 2, probe, { ...params, classWeight: null }),
    );
    // Unweighted leaves follow the 10% base rate; balanced weights count each minority row 9x more.
    expect(plain).toBeLessThan(0.15);
    expect(balanced).toBeGreaterThan(1.5 * plain);
  });

  it('typed: a leaf never holds fewer rows than min_samples_leaf (a depth-1 stump on 8 rows cannot split 3/5)', () => {
    const X1 = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const y1 = Int32Array.from([1, 1, 1, 0, 0, 0, 0, 0]);
    const stump = { nTrees: 1, maxDepth: 1, minSamplesLeaf: 4, maxFeatures: 1, classWeight: null, seed: 1 };
    // Bootstrap rows differ per seed; with min leaf 4 of at most 8 distinct rows, any split is 4/4 or none,
    // so row 2.5 and row 3.5 always land in the same leaf.
    for (let seed = 1; seed < 20; seed++) {
      const p = forestEngine('typed').fitPredictProba(X1, 8, 1, y1, 2, Float64Array.from([2.5, 3.5]), {
        ...stump,
        seed,
      });
      expect(p[1]).toBe(p[3]);
    }
  });
});
