import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { money } from '../src/money.js';

/** What money() stands for: Intl's en-US whole-number format of the absolute value, the sign before the dollar. */
const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const viaIntl = (x: number) => `${x < 0 ? '-' : ''}$${intl.format(Math.abs(x))}`;

describe('money: whole dollars', () => {
  it('is Intl whole dollars with the sign before the dollar', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(money(x)).toBe(viaIntl(x));
      }),
      { numRuns: 5_000 },
    );
    expect(money(25_296.4)).toBe('$25,296');
    expect(money(-678.5)).toBe('-$679');
    expect(money(-0)).toBe('$0');
  });
});
