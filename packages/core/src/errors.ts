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

export function isInputError(e: unknown): e is InputError {
  return e instanceof Error && (e as { name?: string }).name === 'InputError';
}
