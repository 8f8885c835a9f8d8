/**
 * projectToBoundedSimplex (docs/model/mechanics.md) against checks that do not
 * use its algorithm: feasibility, the variational inequality of a Euclidean
 * projection over every vertex of the bounded simplex (an exact certificate of
 * optimality for a convex polytope), no sampled or grid point closer to v, and
 * clip(w_A, min_w, max_w) for two sleeves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundsFeasible, projectToBoundedSimplex, sleeveBounds } from '../src/index.js';

const RUNS = { numRuns: 300, seed: 20_260_715 };
const SUM_TOL = 1e-12;

interface Bounds {
  lo: number[];
  hi: number[];
}

/** Feasible bounds for 2..6 sleeves: some tight (lo = hi), some at the edges (sum lo = 1, sum hi = 1). */
const boundsArb: fc.Arbitrary<Bounds> = fc
  .integer({ min: 2, max: 6 })
  .chain((n) =>
    fc.array(
      fc.oneof(
        fc
          .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
          .map(([x, y]) => [Math.min(x, y) * 0.5, Math.max(x, y)] as const),
        fc.double({ min: 0, max: 0.4, noNaN: true }).map((x) => [x, x] as const),
        fc.constant([0, 1] as const),
      ),
      { minLength: n, maxLength: n },
    ),
  )
  .map((pairs) => ({ lo: pairs.map((p) => p[0]), hi: pairs.map((p) => p[1]) }))
  .filter((b) => boundsFeasible(b.lo, b.hi));

/** The bounds of the position mechanics: sleeve 0 in [min_w, max_w], the others in [0, 1]. */
const mechanicsBoundsArb: fc.Arbitrary<Bounds> = fc
  .tuple(
    fc.integer({ min: 2, max: 6 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 1, noNaN: true }),
  )
  .map(([n, x, y]) => {
    const { lo, hi } = sleeveBounds(n, Math.min(x, y), Math.max(x, y));
    return { lo: Array.from(lo), hi: Array.from(hi) };
  });

const anyBounds = fc.oneof(boundsArb, mechanicsBoundsArb);

/** Raw weights anywhere: on the simplex, out of range, huge. */
const coordArb = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.constantFrom(-100, 100, 0, 1),
);
const caseArb = anyBounds.chain((b) =>
  fc.record({
    bounds: fc.constant(b),
    v: fc.array(coordArb, { minLength: b.lo.length, maxLength: b.lo.length }),
  }),
);

const sum = (w: ArrayLike<number>) => Array.from(w).reduce((a, x) => a + x, 0);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const dist2 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
};
const clip = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

function expectFeasible(w: ArrayLike<number>, { lo, hi }: Bounds) {
  expect(Math.abs(sum(w) - 1)).toBeLessThanOrEqual(SUM_TOL);
  for (let i = 0; i < w.length; i++) {
    expect(w[i]).toBeGreaterThanOrEqual(lo[i]);
    expect(w[i]).toBeLessThanOrEqual(hi[i]);
  }
}

/**
 * Every vertex of {lo <= w <= hi, sum w = 1}: all weights but one at a bound,
 * the remaining one taking the rest (and within its own bounds).
 */
function vertices({ lo, hi }: Bounds): number[][] {
  const n = lo.length;
  const out: number[][] = [];
  for (let free = 0; free < n; free++) {
    for (let mask = 0; mask < 1 << (n - 1); mask++) {
      const w = new Array<number>(n);
      let rest = 1;
      for (let i = 0, bit = 0; i < n; i++) {
        if (i === free) continue;
        w[i] = (mask >> bit++) & 1 ? hi[i] : lo[i];
        rest -= w[i];
      }
      if (rest >= lo[free] - 1e-12 && rest <= hi[free] + 1e-12) {
        w[free] = clip(rest, lo[free], hi[free]);
        out.push(w);
      }
    }
  }
  return out;
}

/** A seeded random feasible point: a random convex combination of vertices. */
function randomFeasible(verts: number[][], rand: () => number): number[] {
  const k = verts.length;
  const c = verts.map(() => -Math.log(1 - rand()));
  const total = c.reduce((a, x) => a + x, 0);
  const w = new Array<number>(verts[0].length).fill(0);
  for (let j = 0; j < k; j++) for (let i = 0; i < w.length; i++) w[i] += (c[j] / total) * verts[j][i];
  return w;
}

function lcg(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x100000000;
  };
}

describe('projectToBoundedSimplex', () => {
  it('returns a feasible point: within every bound, summing to 1', () => {
    fc.assert(
      fc.property(caseArb, ({ bounds, v }) => {
        expectFeasible(projectToBoundedSimplex(v, bounds.lo, bounds.hi), bounds);
      }),
      RUNS,
    );
  });

  it('is the nearest feasible point: <v - p, q - p> <= 0 for every vertex q (so for the whole polytope)', () => {
    fc.assert(
      fc.property(caseArb, ({ bounds, v }) => {
        const p = projectToBoundedSimplex(v, bounds.lo, bounds.hi);
        const scale = 1 + Math.max(...v.map(Math.abs));
        const r = v.map((x, i) => x - p[i]);
        const verts = vertices(bounds);
        expect(verts.length).toBeGreaterThan(0);
        for (const q of verts) {
          const d = q.map((x, i) => x - p[i]);
          expect(dot(r, d), `vertex ${q}`).toBeLessThanOrEqual(1e-10 * scale);
        }
      }),
      RUNS,
    );
  });

  it('no random feasible point is closer to v', () => {
    fc.assert(
      fc.property(caseArb, fc.integer(), ({ bounds, v }, seed) => {
        const p = projectToBoundedSimplex(v, bounds.lo, bounds.hi);
        const best = dist2(v, p);
        const scale = 1 + Math.max(...v.map(Math.abs));
        const verts = vertices(bounds);
        const rand = lcg(seed);
        for (let j = 0; j < 200; j++) {
          const q = randomFeasible(verts, rand);
          expect(dist2(v, q)).toBeGreaterThanOrEqual(best - 1e-10 * scale * scale);
        }
        for (const q of verts) expect(dist2(v, q)).toBeGreaterThanOrEqual(best - 1e-10 * scale * scale);
      }),
      { ...RUNS, numRuns: 150 },
    );
  });

  it('no point of a fine grid over three sleeves is closer to v (seeded)', () => {
    const rand = lcg(7);
    const step = 0.01;
    for (let trial = 0; trial < 40; trial++) {
      const minW = Math.round(rand() * 40) / 100;
      const maxW = minW + Math.round(rand() * (100 - minW * 100)) / 100;
      const { lo, hi } = sleeveBounds(3, minW, maxW);
      const v = [rand() * 3 - 1, rand() * 3 - 1, rand() * 3 - 1];
      const p = projectToBoundedSimplex(v, lo, hi);
      expectFeasible(p, { lo: Array.from(lo), hi: Array.from(hi) });
      const best = dist2(v, p);
      let grid = Number.POSITIVE_INFINITY;
      for (let i = 0; i <= 100; i++) {
        for (let j = 0; i + j <= 100; j++) {
          const q = [i * step, j * step, 1 - (i + j) * step];
          if (q[0] < minW - 1e-12 || q[0] > maxW + 1e-12) continue;
          grid = Math.min(grid, dist2(v, q));
        }
      }
      expect(grid).toBeLessThan(Number.POSITIVE_INFINITY);
      expect(best).toBeLessThanOrEqual(grid + 1e-12);
      // And the grid gets within its own resolution of the projection.
      expect(Math.sqrt(grid) - Math.sqrt(best)).toBeLessThanOrEqual(2 * step);
    }
  });

  it('leaves a feasible point where it is', () => {
    fc.assert(
      fc.property(anyBounds, fc.integer(), (bounds, seed) => {
        const q = randomFeasible(vertices(bounds), lcg(seed));
        const p = projectToBoundedSimplex(q, bounds.lo, bounds.hi);
        for (let i = 0; i < q.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThanOrEqual(1e-12);
      }),
      RUNS,
    );
  });

  it('for two sleeves, [x, 1 - x] goes to [clip(x, min_w, max_w), 1 - clip(x, min_w, max_w)]', () => {
    fc.assert(
      fc.property(
        coordArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (x, a, b) => {
          const [minW, maxW] = [Math.min(a, b), Math.max(a, b)];
          const { lo, hi } = sleeveBounds(2, minW, maxW);
          const p = projectToBoundedSimplex([x, 1 - x], lo, hi);
          const c = clip(x, minW, maxW);
          // Up to the rounding of v - tau: a few ulps of |x| (exact bits are the scalar mechanics' job).
          const ulps = 4 * Number.EPSILON * Math.max(1, Math.abs(x));
          expect(Math.abs(p[0] - c)).toBeLessThanOrEqual(ulps);
          expect(Math.abs(p[1] - (1 - c))).toBeLessThanOrEqual(ulps);
        },
      ),
      RUNS,
    );
  });

  it('for two sleeves, any pair goes to the clip of its projection on w_A + w_B = 1', () => {
    fc.assert(
      fc.property(
        coordArb,
        coordArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (x, y, a, b) => {
          const [minW, maxW] = [Math.min(a, b), Math.max(a, b)];
          const { lo, hi } = sleeveBounds(2, minW, maxW);
          const p = projectToBoundedSimplex([x, y], lo, hi);
          const c = clip((x - y + 1) / 2, minW, maxW);
          expect(Math.abs(p[0] - c)).toBeLessThanOrEqual(1e-12);
          expect(Math.abs(p[0] + p[1] - 1)).toBeLessThanOrEqual(SUM_TOL);
        },
      ),
      RUNS,
    );
  });

  it('writes into out when given, and puts every weight at its lower bound when those already sum to 1', () => {
    const out = new Float64Array(3);
    const got = projectToBoundedSimplex([5, -3, 2], [0.2, 0.3, 0.5], [1, 1, 1], out);
    expect(got).toBe(out);
    expect(Array.from(out)).toEqual([0.2, 0.3, 0.5]);
    expect(Array.from(projectToBoundedSimplex([0, 0, 0], [0, 0, 0], [0.5, 0.3, 0.2]))).toEqual([
      0.5, 0.3, 0.2,
    ]);
  });
});

describe('sleeveBounds and boundsFeasible', () => {
  it('bounds sleeve 0 by [min_w, max_w] and every other sleeve by [0, 1]', () => {
    const { lo, hi } = sleeveBounds(4, 0.1, 0.6);
    expect(Array.from(lo)).toEqual([0.1, 0, 0, 0]);
    expect(Array.from(hi)).toEqual([0.6, 1, 1, 1]);
  });

  it('is feasible exactly when some weights within the bounds sum to 1', () => {
    expect(boundsFeasible([0.5, 0.5], [1, 1])).toBe(true);
    expect(boundsFeasible([0.6, 0.5], [1, 1])).toBe(false);
    expect(boundsFeasible([0, 0, 0], [0.3, 0.3, 0.3])).toBe(false);
    expect(boundsFeasible([0.2, 0], [0.1, 1])).toBe(false);
  });
});
