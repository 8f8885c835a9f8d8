/**
 * Bad input from the user (a file, an option, a config). The CLI turns it into
 * a one-line message and exit code 2. Internal failures stay plain `Error`s
 * (exit code 1).
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly file?: string;
  readonly row?: number;
  readonly field?: string;

  constructor(message: string, where: { file?: string; row?: number; field?: string } = {}) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.file = where.file;
    this.row = where.row;
    this.field = where.field;
  }
}

/** The first line of an error's message (of the value as text when it is no Error): one-line messages. */
export function firstLineOf(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof Error && (e as { name?: string }).name === 'InputError';
}

// Characters JSON.stringify leaves raw but a terminal would act on or hide: DEL and C1 controls,
// line/paragraph separators, bidi overrides and the BOM.
const UNSAFE_RE = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A value echoed in an error message: JSON-quoted, control characters escaped
 * (`\u0000`), and cut after `max` characters with `…(N chars)`, so a bad cell
 * or header can never turn a one-line message into pages of raw bytes.
 */
export function quoteValue(v: unknown, max = 60): string {
  const s = typeof v === 'string' ? v : String(v);
  let cut = s.length > max ? s.slice(0, max) : s;
  // Do not split a surrogate pair at the cut.
  if (cut.length < s.length && /[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  const quoted = JSON.stringify(cut).replace(
    UNSAFE_RE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cut.length < s.length ? `${quoted}…(${s.length} chars)` : quoted;
}
