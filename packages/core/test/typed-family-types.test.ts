import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/typed-family.ts', import.meta.url));
const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: [],
  skipLibCheck: true,
};

/** Compile `text` as the fixture (so its imports resolve) and return its diagnostics as text. */
function diagnostics(text: string): string[] {
  const host = ts.createCompilerHost(options);
  const read = host.readFile;
  host.readFile = (f) => (f === fixture ? text : read(f));
  const program = ts.createProgram([fixture], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file ? ts.getLineAndCharacterOfPosition(d.file, d.start ?? 0).line + 1 : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
}

describe('defineFamily types config from the parameter schema', () => {
  const source = readFileSync(fixture, 'utf8');
  const expected = source.match(/\/\/ @ts-expect-error/g)?.length ?? 0;

  it('compiles the fixture: every expected error (typo, wrong type, unknown key, old coreApi) is an error', () => {
    expect(expected).toBe(7);
    expect(diagnostics(source)).toEqual([]);
  }, 60_000);

  it('each expected error is a real error (the fixture without the directives has exactly those)', () => {
    const errors = diagnostics(source.replaceAll('// @ts-expect-error', '//'));
    expect(errors, errors.join('\n')).toHaveLength(expected);
    expect(errors.join('\n')).toMatch(/lookbak/);
    expect(errors.join('\n')).toMatch(/windw/);
  }, 60_000);
});
