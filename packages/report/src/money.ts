// The subpath, not the index: the chart thread, which formats the headers, loads no more of core.
import { wholeNumber } from '@step4/core/format';

/** Whole dollars with thousands separators: `$12,345`, `-$678` (core's `wholeNumber` of the amount, the sign before the dollar). */
export const money = (x: number): string => `${x < 0 ? '-' : ''}$${wholeNumber(Math.abs(x))}`;
