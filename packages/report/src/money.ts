// One formatter for every page and chart: `toLocaleString` builds a new
// Intl.NumberFormat on each call, the slow part of formatting thousands of cells.
const dollars = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Whole dollars with thousands separators: `$12,345`, `-$678` (what `toLocaleString('en-US', { maximumFractionDigits: 0 })` gives). */
export const money = (x: number): string => `${x < 0 ? '-' : ''}$${dollars.format(Math.abs(x))}`;
