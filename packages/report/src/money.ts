/**
 * Whole dollars with thousands separators: `$12,345`, `-$678`, exactly what
 * `new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })` gives for
 * the absolute value. Written out rather than using that formatter: creating
 * it loads ICU's locale data, 20-40 ms in each thread that formats (the
 * writer's and the chart thread's), more than all the formatting of a run.
 * Intl rounds the number's shortest decimal form half away from zero, and
 * writes large numbers as those digits padded with zeros; a test compares
 * the two on random doubles. Infinity and NaN go to Intl itself (`∞`, `NaN`).
 */
export const money = (x: number): string => `${x < 0 ? '-' : ''}$${wholeNumber(Math.abs(x))}`;

let intl: Intl.NumberFormat | undefined;

/** The digits of v >= 0 rounded to a whole number, grouped by threes. */
function wholeNumber(v: number): string {
  if (!Number.isFinite(v)) {
    intl ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
    return intl.format(v);
  }
  // Below 2^53 a double's shortest decimal form ends in .5 only when the value is exactly that
  // half, so rounding the value (half up, which is away from zero here) rounds that form.
  const digits = v < 2 ** 53 ? String(Math.round(v)) : integerDigits(v);
  let out = '';
  const head = digits.length % 3 || 3;
  out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return out;
}

/** A whole v >= 2^53 as Intl writes it: its shortest decimal digits, padded with zeros. */
function integerDigits(v: number): string {
  const s = String(v);
  const e = s.indexOf('e+');
  if (e < 0) return s;
  const mantissa = s.slice(0, e).replace('.', '');
  return mantissa.padEnd(Number(s.slice(e + 2)) + 1, '0');
}
