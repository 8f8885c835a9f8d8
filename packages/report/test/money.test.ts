import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { money } from '../src/money.js';

/** What money() stands for: Intl's en-US whole-number format of the absolute value, with the sign and a dollar. */
const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const viaIntl = (x: number) => `${x < 0 ? '-' : ''}$${intl.format(Math.abs(x))}`;

describe('money: whole dollars, as Intl writes them', () => {
  it('agrees with Intl on every kind of double', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(money(x)).toBe(viaIntl(x));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees with Intl on halves, round numbers and amounts a run shows', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -1e9, max: 1e9 }).map((n) => n + 0.5),
          fc.integer({ min: 0, max: 300 }).map((e) => 10 ** e),
          fc.double({ min: -1e7, max: 1e7, noNaN: true }),
        ),
        (x) => {
          expect(money(x)).toBe(viaIntl(x));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('writes the cases people read', () => {
    expect(money(25_296.4)).toBe('$25,296');
    expect(money(-678.5)).toBe('-$679');
    expect(money(999.5)).toBe('$1,000');
    expect(money(0)).toBe('$0');
    expect(money(-0)).toBe('$0');
    expect(money(2 ** 60)).toBe('$1,152,921,504,606,847,000');
    expect(money(1e21)).toBe('$1,000,000,000,000,000,000,000');
    expect(money(Number.POSITIVE_INFINITY)).toBe('$∞');
    expect(money(Number.NaN)).toBe('$NaN');
  });
});
