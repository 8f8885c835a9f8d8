import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, percentile } from '../src/index.js';

/** The plain definition: sort a copy, interpolate linearly between the two order statistics. */
function sortedPercentile(x: ArrayLike<number>, q: number): number {
  const n = x.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(x).sort();
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

describe('percentile by selection', () => {
  const values = fc.oneof(
    fc.double({ noNaN: true }),
    fc.constantFrom(0, -0, 1, -1, 0.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  );

  it('equals the sorted definition to the bit, ties, signed zeros and infinities included', () => {
    fc.assert(
      fc.property(
        fc.array(values, { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (xs, q) => {
          expect(Object.is(percentile(xs, q), sortedPercentile(xs, q))).toBe(true);
          expect(Object.is(median(xs), sortedPercentile(xs, 50))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('equals it on bootstrap-sized samples with few distinct values, and with NaN', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1000, maxLength: 1300 }),
        fc.constantFrom(0, 5, 10, 50, 90, 100),
        fc.boolean(),
        (ints, q, withNaN) => {
          const xs = Float64Array.from(ints, (i) => i / 7);
          if (withNaN) xs[ints.length >> 1] = Number.NaN;
          expect(Object.is(percentile(xs, q), sortedPercentile(xs, q))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sorted and reversed inputs (worst cases of a naive pivot) give the sorted answer', () => {
    const up = Float64Array.from({ length: 5000 }, (_, i) => i);
    const down = up.slice().reverse();
    const organ = Float64Array.from({ length: 5000 }, (_, i) => (i < 2500 ? i : 5000 - i));
    for (const xs of [up, down, organ])
      for (const q of [0, 10, 33.3, 50, 99.9, 100]) expect(percentile(xs, q)).toBe(sortedPercentile(xs, q));
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    percentile(xs, 10);
    expect(xs).toEqual([3, 1, 2]);
  });
});
