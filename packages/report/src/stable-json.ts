/**
 * JSON as written to every output: 1-space indent like the reference's
 * `json.dump(indent=1)`, keys in insertion order, non-finite numbers as null,
 * a trailing newline. Deterministic for the same value.
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)}\n`;
}
