import { wholeNumber } from '@step4/core';

/** Whole dollars with thousands separators: `$12,345`, `-$678` (core's `wholeNumber` of the amount, the sign before the dollar). */
export const money = (x: number): string => `${x < 0 ? '-' : ''}$${wholeNumber(Math.abs(x))}`;
