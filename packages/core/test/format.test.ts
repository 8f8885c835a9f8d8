import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dollars, wholeNumber } from '../src/index.js';

/** What wholeNumber stands for. */
const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

describe('wholeNumber: as Intl en-US writes a whole number', () => {
  it('agrees with Intl on every kind of double', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(wholeNumber(x)).toBe(intl.format(x));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees with Intl on halves, powers of ten and amounts a run shows', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -1e9, max: 1e9 }).map((n) => n + 0.5),
          fc.integer({ min: 0, max: 300 }).map((e) => 10 ** e),
          fc.integer({ min: 0, max: 300 }).map((e) => -(10 ** e)),
          fc.double({ min: -1e7, max: 1e7, noNaN: true }),
        ),
        (x) => {
          expect(wholeNumber(x)).toBe(intl.format(x));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('writes the cases people read', () => {
    expect(wholeNumber(25_296.4)).toBe('25,296');
    expect(wholeNumber(-678.5)).toBe('-679');
    expect(wholeNumber(999.5)).toBe('1,000');
    expect(wholeNumber(-0.4)).toBe('-0');
    expect(wholeNumber(-0)).toBe('-0');
    expect(wholeNumber(2 ** 60)).toBe('1,152,921,504,606,847,000');
    expect(wholeNumber(1e21)).toBe('1,000,000,000,000,000,000,000');
    expect(wholeNumber(Number.NEGATIVE_INFINITY)).toBe('-∞');
    expect(wholeNumber(Number.NaN)).toBe('NaN');
  });
});

/** What dollars() stands for: Intl's en-US whole-number format of the absolute value, the sign before the dollar. */
const viaIntl = (x: number) => `${x < 0 ? '-' : ''}$${intl.format(Math.abs(x))}`;

describe('dollars: whole dollars, the sign before the dollar', () => {
  it('is Intl whole dollars with the sign before the dollar', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(dollars(x)).toBe(viaIntl(x));
      }),
      { numRuns: 5_000 },
    );
  });

  it('writes the cases people read', () => {
    expect(dollars(25_296.4)).toBe('$25,296');
    expect(dollars(-678.5)).toBe('-$679');
    expect(dollars(-0)).toBe('$0');
    expect(dollars(Number.NEGATIVE_INFINITY)).toBe('-$∞');
  });
});
