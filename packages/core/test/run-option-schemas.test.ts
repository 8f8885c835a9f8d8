import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import * as fromSource from '../src/run-option-schemas.js';
import { RUN_OPTIONS, type RunOptionDef } from '../src/run-options.js';

// The built module holds the zod builders it uses (scripts/inline-zod.mjs); the source imports the
// installed zod. Both must accept and refuse the same values with the same messages, and the built
// module's schemas must work inside schemas of the installed zod (the CLI's config schema).
const builtUrl = new URL('../dist/run-option-schemas.js', import.meta.url);
const fromBuild = (await import(builtUrl.href)) as typeof fromSource;

/** Values around every kind of option's rules. */
const PROBES: unknown[] = [
  0,
  1,
  2,
  3,
  -1,
  0.5,
  0.99,
  1.5,
  100,
  1e9,
  Number.NaN,
  '',
  'return',
  'x',
  true,
  null,
];

const outcome = (s: z.ZodType, v: unknown) => {
  const r = s.safeParse(v);
  return r.success ? { ok: r.data } : { issues: r.error.issues.map((i) => i.message) };
};

describe('@step4/core/run-option-schemas as built', () => {
  it('imports only modules of this package (zod is bundled in)', () => {
    const code = readFileSync(fileURLToPath(builtUrl), 'utf8');
    const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map(
      (m) => m[1],
    );
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s.startsWith('./'))).toEqual([]);
  });

  it('accepts and refuses what the source does, with the same messages', () => {
    for (const def of RUN_OPTIONS as readonly RunOptionDef[])
      for (const v of PROBES)
        expect(outcome(fromBuild.schemaOf(def), v), `${def.key} ${String(v)}`).toEqual(
          outcome(fromSource.schemaOf(def), v),
        );
    expect(() => fromBuild.parseFlagValue(RUN_OPTIONS[1], 'abc')).toThrow(/^option --/);
  });

  it('mixes with the installed zod: parsing and the JSON Schema', () => {
    const built = z.object(fromBuild.configRunOptionsShape).strict();
    const source = z.object(fromSource.configRunOptionsShape).strict();
    expect(z.toJSONSchema(built, { io: 'input' })).toEqual(z.toJSONSchema(source, { io: 'input' }));
    const bad = { bootstrapSamples: -3 };
    expect(outcome(built, bad)).toEqual(outcome(source, bad));
    expect(outcome(built, bad)).toMatchObject({ issues: [expect.stringContaining('expected an integer')] });
  });
});
