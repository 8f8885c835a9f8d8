/**
 * A number rounded to a whole number with thousands separators, exactly as
 * `new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })` writes it
 * (`12,346`, `-678`, `-0`): the format of every dollar amount step4 shows.
 * Written out rather than using that formatter (or `toLocaleString`, which
 * makes one per call): creating it loads ICU's locale data, 20-40 ms in each
 * thread that formats, more than all the formatting of a run. Intl rounds the
 * number's shortest decimal form half away from zero, and writes large
 * numbers as those digits padded with zeros; a test compares the two on
 * random doubles. Infinities and NaN go to Intl itself (`∞`, `NaN`).
 */
export function wholeNumber(x: number): string {
  if (!Number.isFinite(x)) {
    intl ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
    return intl.format(x);
  }
  const v = Math.abs(x);
  // Below 2^53 a double's shortest decimal form ends in .5 only when the value is exactly that
  // half, so rounding the value (half up, which is away from zero here) rounds that form.
  const digits = v < 2 ** 53 ? String(Math.round(v)) : integerDigits(v);
  const head = digits.length % 3 || 3;
  let out = x < 0 || Object.is(x, -0) ? `-${digits.slice(0, head)}` : digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return out;
}

let intl: Intl.NumberFormat | undefined;

/** A whole v >= 2^53 as Intl writes it: its shortest decimal digits, padded with zeros. */
function integerDigits(v: number): string {
  const s = String(v);
  const e = s.indexOf('e+');
  if (e < 0) return s;
  const mantissa = s.slice(0, e).replace('.', '');
  return mantissa.padEnd(Number(s.slice(e + 2)) + 1, '0');
}

/**
 * Whole dollars with thousands separators, the sign before the dollar:
 * `$12,345`, `-$678`, `$0` for -0. The one format of a dollar amount in the
 * CLI's summary, the tear sheets and the charts' headers.
 */
export function dollars(x: number): string {
  return `${x < 0 ? '-' : ''}$${wholeNumber(Math.abs(x))}`;
}
