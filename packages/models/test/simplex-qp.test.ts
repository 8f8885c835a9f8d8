import { describe, expect, it } from 'vitest';
import { rand } from './helpers.js';
import { MEAN_VARIANCE_SIMPLEX_MAX_N, meanVarianceSimplex } from '../src/index.js';

/** Standard normal draws from the seeded uniform generator (Box-Muller). */
function gauss(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * A random mean-variance problem from simulated monthly returns: N sleeves,
 * n months, correlated through a common factor; sample covariance (n - 1).
 * mu is drawn on the scale of ridge forecasts, so optima are interior,
 * on faces and at vertices depending on the draw.
 */
function problem(seed: number, N: number, n = 24, muSd = 0.02) {
  const r = rand(seed);
  const g = gauss(r);
  const load = Float64Array.from({ length: N }, () => r() * 1.5);
  const vol = Float64Array.from({ length: N }, () => 0.02 + 0.06 * r());
  const R = new Float64Array(n * N);
  for (let t = 0; t < n; t++) {
    const common = g();
    for (let s = 0; s < N; s++)
      R[t * N + s] = (vol[s] * (load[s] * common + g())) / Math.sqrt(1 + load[s] ** 2);
  }
  const mu = Float64Array.from({ length: N }, () => 0.01 + muSd * g());
  const ra = 0.8 + 4 * r();
  return { mu, cov: sampleCov(R, n, N), ra };
}

function sampleCov(R: Float64Array, n: number, N: number): Float64Array {
  const mean = new Float64Array(N);
  for (let t = 0; t < n; t++) for (let s = 0; s < N; s++) mean[s] += R[t * N + s] / n;
  const S = new Float64Array(N * N);
  for (let a = 0; a < N; a++)
    for (let b = 0; b < N; b++) {
      let c = 0;
      for (let t = 0; t < n; t++) c += (R[t * N + a] - mean[a]) * (R[t * N + b] - mean[b]);
      S[a * N + b] = c / (n - 1);
    }
  return S;
}

function objective(mu: ArrayLike<number>, S: Float64Array, ra: number, w: ArrayLike<number>): number {
  const N = mu.length;
  let lin = 0;
  let quad = 0;
  for (let a = 0; a < N; a++) {
    lin += mu[a] * w[a];
    for (let b = 0; b < N; b++) quad += w[a] * S[a * N + b] * w[b];
  }
  return lin - ra * quad;
}

/** Every point of the simplex in R^N with coordinates on a grid of 1/steps. */
function* grid(N: number, steps: number): Generator<Float64Array> {
  const w = new Float64Array(N);
  function* rec(s: number, left: number): Generator<Float64Array> {
    if (s === N - 1) {
      w[s] = left / steps;
      yield w;
      return;
    }
    for (let i = 0; i <= left; i++) {
      w[s] = i / steps;
      yield* rec(s + 1, left - i);
    }
  }
  yield* rec(0, steps);
}

/**
 * Checks the KKT conditions of max mu'w - ra w'Sw on the simplex and returns
 * the multipliers: g = mu - 2 ra S w, lambda (budget), nu_i = lambda - g_i >= 0
 * (w_i >= 0), nu_i w_i = 0.
 */
function expectKkt(mu: ArrayLike<number>, S: Float64Array, ra: number, w: Float64Array) {
  const N = mu.length;
  const g = Float64Array.from({ length: N }, (_, a) => {
    let v = mu[a];
    for (let b = 0; b < N; b++) v -= 2 * ra * S[a * N + b] * w[b];
    return v;
  });
  let scale = 0;
  for (let a = 0; a < N; a++) scale = Math.max(scale, Math.abs(mu[a]), 2 * ra * S[a * N + a]);
  const tol = 1e-12 * scale;
  // Feasibility.
  let sum = 0;
  for (const v of w) {
    expect(v).toBeGreaterThanOrEqual(0);
    sum += v;
  }
  expect(Math.abs(sum - 1)).toBeLessThanOrEqual(1e-15);
  // lambda = the largest gradient entry (it is attained on the support).
  const lambda = Math.max(...g);
  for (let a = 0; a < N; a++) {
    const nu = lambda - g[a];
    expect(nu).toBeGreaterThanOrEqual(-tol); // dual feasibility
    expect(nu * w[a]).toBeLessThanOrEqual(tol); // complementary slackness (stationarity on the support)
  }
}

describe('meanVarianceSimplex', () => {
  it('equals the reference clipped closed form for N = 2 within 1e-12', () => {
    let interior = 0;
    let clipped = 0;
    let worst = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const { mu, cov, ra } = problem(seed, 2, 12 + (seed % 25));
      const [vA, c, , vB] = cov;
      const den = vA + vB - 2 * c;
      expect(den).toBeGreaterThan(1e-6); // non-degenerate
      const raw = (mu[0] - mu[1] - 2 * ra * (c - vB)) / (2 * ra * Math.max(den, 1e-8));
      const ref = Math.min(1, Math.max(0, raw));
      if (raw > 0 && raw < 1) interior++;
      else clipped++;
      const w = meanVarianceSimplex(mu, cov, ra);
      worst = Math.max(worst, Math.abs(w[0] - ref));
      expect(Math.abs(w[0] - ref), `seed ${seed}`).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(w[0] + w[1] - 1)).toBeLessThanOrEqual(1e-15);
    }
    // Both regimes are exercised; measured worst |difference| ~ 1e-16.
    expect(interior).toBeGreaterThan(50);
    expect(clipped).toBeGreaterThan(50);
    expect(worst).toBeLessThan(1e-12);
  });

  it.each([3, 4])('satisfies the KKT conditions and beats a 0.01 grid of the simplex for N = %i', (N) => {
    const supports = new Set<number>();
    const problems = N === 3 ? 60 : 16;
    for (let seed = 1; seed <= problems; seed++) {
      const { mu, cov, ra } = problem(1000 * N + seed, N, 12 + (seed % 25), seed % 2 ? 0.02 : 0.002);
      const w = meanVarianceSimplex(mu, cov, ra);
      expectKkt(mu, cov, ra, w);
      supports.add(w.reduce((m, v, i) => (v > 0 ? m | (1 << i) : m), 0));
      const best = objective(mu, cov, ra, w);
      let gridBest = Number.NEGATIVE_INFINITY;
      for (const p of grid(N, 100)) gridBest = Math.max(gridBest, objective(mu, cov, ra, p));
      expect(best, `seed ${seed}`).toBeGreaterThanOrEqual(gridBest - 1e-15);
    }
    // Vertices, edges and interiors all occur.
    const sizes = new Set([...supports].map((m) => m.toString(2).replace(/0/g, '').length));
    expect(sizes.size).toBeGreaterThanOrEqual(3);
  });

  it('is equivariant under permutations of the sleeves', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { mu, cov, ra } = problem(7000 + seed, 4);
      const perm = [2, 0, 3, 1];
      const muP = perm.map((p) => mu[p]);
      const covP = new Float64Array(16);
      for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) covP[a * 4 + b] = cov[perm[a] * 4 + perm[b]];
      const w = meanVarianceSimplex(mu, cov, ra);
      const wP = meanVarianceSimplex(muP, covP, ra);
      for (let a = 0; a < 4; a++) expect(Math.abs(wP[a] - w[perm[a]])).toBeLessThanOrEqual(1e-12);
    }
  });

  it('gives a valid optimum when S is singular (two identical sleeves), the first duplicate taking the weight', () => {
    for (let seed = 1; seed <= 30; seed++) {
      // Sleeves 1 and 2 are the same series: S has a zero eigenvalue along e1 - e2.
      const base = problem(9000 + seed, 2);
      const [vA, c, , vB] = base.cov;
      const cov = Float64Array.from([vA, c, c, c, vB, vB, c, vB, vB]);
      const mu = Float64Array.from([base.mu[0], base.mu[1], base.mu[1]]);
      const w = meanVarianceSimplex(mu, cov, base.ra);
      expectKkt(mu, cov, base.ra, w);
      // Optimal: the merged two-sleeve problem's value, and no grid point does better.
      const merged = meanVarianceSimplex(base.mu, base.cov, base.ra);
      const opt = objective(base.mu, base.cov, base.ra, merged);
      expect(Math.abs(objective(mu, cov, base.ra, w) - opt)).toBeLessThanOrEqual(1e-15);
      let gridBest = Number.NEGATIVE_INFINITY;
      for (const p of grid(3, 100)) gridBest = Math.max(gridBest, objective(mu, cov, base.ra, p));
      expect(objective(mu, cov, base.ra, w)).toBeGreaterThanOrEqual(gridBest - 1e-15);
      // Tie rule: the sparsest optimum, the first of the identical sleeves.
      expect(w[2]).toBe(0);
      expect(Math.abs(w[0] - merged[0])).toBeLessThanOrEqual(1e-12);
    }
  });

  it('handles rank-deficient S from a window shorter than N (and S = 0) deterministically', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { mu, cov, ra } = problem(11000 + seed, 5, 3); // rank <= 2
      const w = meanVarianceSimplex(mu, cov, ra);
      expectKkt(mu, cov, ra, w);
      expect(Array.from(meanVarianceSimplex(mu, cov, ra))).toEqual(Array.from(w));
      let gridBest = Number.NEGATIVE_INFINITY;
      for (const p of grid(5, 20)) gridBest = Math.max(gridBest, objective(mu, cov, ra, p));
      expect(objective(mu, cov, ra, w)).toBeGreaterThanOrEqual(gridBest - 1e-15);
    }
    // S = 0: a linear programme; the best mu wins, the first of tied ones.
    expect(Array.from(meanVarianceSimplex([0.01, 0.03, 0.02], new Float64Array(9), 1))).toEqual([0, 1, 0]);
    expect(Array.from(meanVarianceSimplex([0.03, 0.01, 0.03], new Float64Array(9), 1))).toEqual([1, 0, 0]);
    // Identical sleeves with identical means: all weight on the first.
    const S = Float64Array.from([0.002, 0.002, 0.002, 0.002]);
    expect(Array.from(meanVarianceSimplex([0.01, 0.01], S, 2))).toEqual([1, 0]);
  });

  it('rejects bad input', () => {
    expect(() => meanVarianceSimplex([], new Float64Array(0), 1)).toThrow(RangeError);
    expect(() => meanVarianceSimplex([0, 0], new Float64Array(3), 1)).toThrow(RangeError);
    expect(() => meanVarianceSimplex([0, 0], new Float64Array(4), 0)).toThrow(RangeError);
    expect(() => meanVarianceSimplex([0, Number.NaN], new Float64Array(4), 1)).toThrow(RangeError);
    const n = MEAN_VARIANCE_SIMPLEX_MAX_N + 1;
    expect(() => meanVarianceSimplex(new Float64Array(n), new Float64Array(n * n), 1)).toThrow(RangeError);
    expect(Array.from(meanVarianceSimplex([0.5], Float64Array.of(1), 1))).toEqual([1]);
  });
});
