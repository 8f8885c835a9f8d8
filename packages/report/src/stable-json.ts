/**
 * The one guard of every output: a NaN or infinite number is never written.
 * A value that is not defined must be written as null by whoever builds the
 * output (JSON: an explicit null, usually with a reason beside it; Parquet: a
 * nullable column, see tables.ts); any other non-finite number is a bug, and
 * the write fails before anything is written, naming the file and the place.
 */
export function nonFiniteError(file: string | undefined, where: string, value: number): Error {
  return new Error(
    `${file ?? 'output'}: ${where} is ${value}, not a finite number (refusing to write it; a value that is not defined is written as null)`,
  );
}

function checkFinite(value: unknown, path: string, file: string | undefined): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw nonFiniteError(file, path || 'the value', value);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkFinite(value[i], `${path}[${i}]`, file);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkFinite(v, path ? `${path}.${k}` : k, file);
  }
}

/**
 * JSON as written to every output: 1-space indent like the reference's
 * `json.dump(indent=1)`, keys in insertion order, a trailing newline.
 * Deterministic for the same value. Throws (naming `file` and the key path)
 * on a NaN or infinite number instead of writing it.
 */
export function stableJson(value: unknown, file?: string): string {
  checkFinite(value, '', file);
  return `${JSON.stringify(value, null, 1)}\n`;
}

/** JSON inside a <script> element (data or code): nothing in it may close the element or break a line. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
