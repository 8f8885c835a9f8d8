import { SeededRandom } from '@step4/core';
import { describe, expect, it } from 'vitest';
import { distinctPaths, effectiveNumberOfTrials, symmetricEigenvalues } from '../src/trials.js';
import { gaussian } from './gaussian.js';

/** Standard normal draw by Box-Muller. */

function noise(rng: SeededRandom, t: number): Float64Array {
  return Float64Array.from({ length: t }, () => gaussian(rng));
}

/** n paths with pairwise correlation rho: sqrt(rho)·(common factor) + sqrt(1 - rho)·(own noise). */
function equicorrelated(rng: SeededRandom, n: number, t: number, rho: number): Float64Array[] {
  const f = noise(rng, t);
  return Array.from({ length: n }, () =>
    Float64Array.from(f, (x) => Math.sqrt(rho) * x + Math.sqrt(1 - rho) * gaussian(rng)),
  );
}

function shuffled<T>(xs: readonly T[], rng: SeededRandom): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('distinctPaths', () => {
  it('groups exact duplicates and counts the distinct paths', () => {
    const rng = new SeededRandom(1);
    const a = noise(rng, 24);
    const b = noise(rng, 24);
    const c = noise(rng, 24);
    const series = [a, b, Float64Array.from(a), c, Array.from(b), Float64Array.from(a), noise(rng, 24)];
    const names = ['a', 'b', 'a2', 'c', 'b2', 'a3', 'd'];
    const d = distinctPaths(series, names);
    expect(d.raw).toBe(7);
    expect(d.distinct).toBe(4);
    expect(d.groups.map((g) => g.members)).toEqual([[0, 2, 5], [1, 4], [3], [6]]);
    expect(d.groups.map((g) => g.representative)).toEqual([0, 1, 3, 6]);
    expect(d.duplicates.map((g) => g.names)).toEqual([
      ['a', 'a2', 'a3'],
      ['b', 'b2'],
    ]);
  });

  it('compares every value exactly: a last-digit change, a prefix or another length is distinct', () => {
    const base = [0.01, -0.02, 0.03, 0.004];
    const bumped = base.slice();
    bumped[3] += Number.EPSILON * 0.004;
    expect(bumped[3]).not.toBe(base[3]);
    const d = distinctPaths([base, bumped, base.slice(0, 3), [...base, 0], base.slice()]);
    expect(d.distinct).toBe(4);
    expect(d.duplicates.map((g) => g.members)).toEqual([[0, 4]]);
  });

  it('treats 0 and -0 as equal, and NaN at the same place as equal', () => {
    const d = distinctPaths([
      [0, 1, Number.NaN],
      [-0, 1, Number.NaN],
      [0, Number.NaN, 1],
    ]);
    expect(d.distinct).toBe(2);
    expect(d.groups[0].members).toEqual([0, 1]);
  });

  it('handles no paths, one path, and rejects a wrong number of names', () => {
    expect(distinctPaths([])).toEqual({ raw: 0, distinct: 0, groups: [], duplicates: [] });
    expect(distinctPaths([[1, 2]]).distinct).toBe(1);
    expect(() => distinctPaths([[1], [2]], ['x'])).toThrow(RangeError);
  });
});

describe('effectiveNumberOfTrials', () => {
  it('counts N identical paths as one trial', () => {
    const path = noise(new SeededRandom(2), 60);
    const e = effectiveNumberOfTrials(Array.from({ length: 25 }, () => Float64Array.from(path)));
    expect(e.raw).toBe(25);
    expect(e.distinct).toBe(1);
    expect(e.effective).toBe(1);
    expect(e.effectiveEigen).toBe(1);
    expect(e.averageCorrelation).toBeNaN();
    expect(e.method).toBe('average-correlation');
  });

  it('counts N independent noise paths as about N', () => {
    const n = 40;
    const t = 600;
    const rng = new SeededRandom(3);
    const e = effectiveNumberOfTrials(Array.from({ length: n }, () => noise(rng, t)));
    // Pairwise sample correlations of independent paths have mean ~0 and variance ~1/T, and are
    // pairwise uncorrelated, so the mean of the n(n-1)/2 of them has sd sqrt(2/(T·n·(n-1))); the
    // clamp at 0 caps effective at n. Allow 4 sd: effective >= n - 4·(n - 1)·sd.
    const sd = Math.sqrt(2 / (t * n * (n - 1)));
    expect(Math.abs(e.averageCorrelation)).toBeLessThan(4 * sd);
    expect(e.effective).toBeLessThanOrEqual(n);
    expect(e.effective).toBeGreaterThanOrEqual(n - 4 * (n - 1) * sd);
    // With n/T = 1/15 every eigenvalue lies below the Marchenko-Pastur edge (1 + sqrt(n/T))² ≈ 1.58 < 2,
    // where Li and Ji's count equals the trace, n.
    expect(e.effectiveEigen).toBeCloseTo(n, 9);
  });

  it('counts 59 paths with pairwise correlation 0.9 as about 0.9 + 0.1·59 = 6.8', () => {
    const n = 59;
    const rho = 0.9;
    const t = 1000;
    const e = effectiveNumberOfTrials(equicorrelated(new SeededRandom(4), n, t, rho));
    expect(e.distinct).toBe(n);
    // In the one-factor model the sample correlation is about ρ·s²/(ρ·s² + 1 - ρ), s² the factor's
    // sample variance (sd sqrt(2/T)), so ρ̄ has sd about ρ(1 - ρ)·sqrt(2/T) and effective about
    // (n - 1) times that. Allow 4 sd (0.93 at T = 1000).
    const sd = (n - 1) * rho * (1 - rho) * Math.sqrt(2 / t);
    expect(Math.abs(e.effective - (rho + (1 - rho) * n))).toBeLessThan(4 * sd);
    expect(Math.abs(e.averageCorrelation - rho)).toBeLessThan((4 * sd) / (n - 1));
    // Li and Ji on the population matrix: eigenvalues 1 + 58·0.9 = 53.2 (counts 1.2) and 0.1 (58
    // times, 5.8 together): 7. On a sample it is 60 - floor(λ1), so 7 ± 1.
    expect(Math.abs(e.effectiveEigen - 7)).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('ignores exact copies: adding duplicates changes nothing but raw', () => {
    const rng = new SeededRandom(5);
    const base = equicorrelated(rng, 12, 120, 0.5);
    const withCopies = [...base, Float64Array.from(base[3]), Float64Array.from(base[3]), Array.from(base[7])];
    const e0 = effectiveNumberOfTrials(base);
    const e1 = effectiveNumberOfTrials(withCopies);
    expect(e1.raw).toBe(15);
    expect(e1.distinct).toBe(12);
    expect(e1.effective).toBe(e0.effective);
    expect(e1.averageCorrelation).toBe(e0.averageCorrelation);
    expect(e1.effectiveEigen).toBe(e0.effectiveEigen);
  });

  it('does not depend on the order of the paths', () => {
    const rng = new SeededRandom(6);
    const base = [...equicorrelated(rng, 8, 90, 0.6), ...Array.from({ length: 6 }, () => noise(rng, 90))];
    const series = [...base, Float64Array.from(base[0]), Float64Array.from(base[9])];
    const e0 = effectiveNumberOfTrials(series);
    const d0 = distinctPaths(series);
    for (let k = 0; k < 5; k++) {
      const perm = shuffled(series, rng);
      const e = effectiveNumberOfTrials(perm);
      expect(e.distinct).toBe(e0.distinct);
      expect(e.effective).toBeCloseTo(e0.effective, 12);
      expect(e.averageCorrelation).toBeCloseTo(e0.averageCorrelation, 12);
      expect(e.effectiveEigen).toBeCloseTo(e0.effectiveEigen, 9);
      const sizes = (d: ReturnType<typeof distinctPaths>) => d.groups.map((g) => g.members.length).sort();
      expect(sizes(distinctPaths(perm))).toEqual(sizes(d0));
    }
  });

  it('counts distinct constant paths as uncorrelated trials', () => {
    const rng = new SeededRandom(7);
    const e = effectiveNumberOfTrials([
      new Array(50).fill(0),
      new Array(50).fill(0.01),
      noise(rng, 50),
      new Array(50).fill(0),
    ]);
    expect(e.distinct).toBe(3);
    expect(e.averageCorrelation).toBe(0);
    expect(e.effective).toBe(3);
    expect(e.effectiveEigen).toBe(3);
  });

  it('clamps a negative mean correlation at 0: a path and its negative count as two', () => {
    const x = noise(new SeededRandom(8), 100);
    const e = effectiveNumberOfTrials([x, Float64Array.from(x, (v) => -v)]);
    expect(e.averageCorrelation).toBeCloseTo(-1, 12);
    expect(e.effective).toBe(2);
    // The eigenvalue count sees the perfect dependence: eigenvalues 0 and 2.
    expect(e.effectiveEigen).toBe(1);
  });

  it('skips the eigenvalue count above maxEigenDimension, and rejects ragged or non-finite paths', () => {
    const rng = new SeededRandom(9);
    const series = Array.from({ length: 5 }, () => noise(rng, 30));
    expect(effectiveNumberOfTrials(series, { maxEigenDimension: 4 }).effectiveEigen).toBeNaN();
    expect(effectiveNumberOfTrials(series, { maxEigenDimension: 5 }).effectiveEigen).toBeGreaterThan(4);
    expect(() => effectiveNumberOfTrials([noise(rng, 30), noise(rng, 29)])).toThrow(RangeError);
    const bad = noise(rng, 30);
    bad[4] = Number.NaN;
    expect(() => effectiveNumberOfTrials([noise(rng, 30), bad])).toThrow(RangeError);
    expect(effectiveNumberOfTrials([])).toMatchObject({ raw: 0, distinct: 0, effective: 0 });
  });
});

describe('symmetricEigenvalues', () => {
  it('finds the eigenvalues of an equicorrelation matrix: 1 + (n - 1)ρ once and 1 - ρ n - 1 times', () => {
    const n = 7;
    const rho = 0.35;
    const m = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : rho));
    const ev = symmetricEigenvalues(m, n);
    for (let i = 0; i < n - 1; i++) expect(ev[i]).toBeCloseTo(1 - rho, 12);
    expect(ev[n - 1]).toBeCloseTo(1 + (n - 1) * rho, 12);
  });

  it('finds the eigenvalues of the second-difference matrix 2 - 2cos(kπ/(n + 1))', () => {
    const n = 9;
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      m[i * n + i] = 2;
      if (i > 0) m[i * n + i - 1] = m[(i - 1) * n + i] = -1;
    }
    const ev = symmetricEigenvalues(m, n);
    for (let k = 1; k <= n; k++) expect(ev[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 12);
  });

  it('preserves the trace and the Frobenius norm of a random symmetric matrix', () => {
    const n = 40;
    const rng = new SeededRandom(10);
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = m[j * n + i] = gaussian(rng);
    const ev = symmetricEigenvalues(m, n);
    let trace = 0;
    let frob = 0;
    for (let i = 0; i < n; i++) trace += m[i * n + i];
    for (const v of m) frob += v * v;
    expect(ev.reduce((a, b) => a + b, 0)).toBeCloseTo(trace, 9);
    expect(ev.reduce((a, b) => a + b * b, 0) / frob).toBeCloseTo(1, 12);
    const copy = Float64Array.from(m);
    symmetricEigenvalues(m, n);
    expect(m).toEqual(copy);
  });
});
