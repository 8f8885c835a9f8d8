/**
 * Every built-in family, as the CLI registers it: meta.version is its own
 * package's version, it targets core API 2, and its default grid is exactly
 * what core's `buildCandidate` makes from the same parameters (defaults are
 * applied in one place). One test for all seven, so a new built-in family is
 * covered by registering it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FamilyRegistry, buildCandidate } from '@step4/core';
import { describe, expect, it } from 'vitest';
import { supportedSleeves } from '@step4/core';
import { loadFamilies } from '@step4/engine';
import { BUILTIN_FAMILIES, builtinRegistry } from '../src/builtin.js';

const require = createRequire(import.meta.url);
const builtins = builtinRegistry().list();

describe.each(builtins.map(({ family, source }) => ({ name: family.meta.name, family, source })))(
  '$name ($source)',
  ({ family, source }) => {
    it('takes meta.version from its package.json and registers with core API 2', () => {
      const pkg = JSON.parse(readFileSync(require.resolve(`${source}/package.json`), 'utf8')) as {
        version: string;
      };
      expect(family.meta.version).toBe(pkg.version);
      expect(family.meta.coreApi).toBe(2);
      expect(() => new FamilyRegistry().register(family)).not.toThrow();
    });

    it('builds default candidates the way config-like construction does', () => {
      expect(family.candidate('x')).toEqual(buildCandidate(family, 'x', JSON.parse('{}')));
      for (const c of family.defaultGrid()) {
        const { name, method, ...params } = c;
        expect(method).toBe(family.meta.name);
        expect(JSON.stringify(buildCandidate(family, name, params))).toBe(JSON.stringify(c));
      }
    });
  },
);

it('covers all seven built-in families', () => {
  expect(builtins).toHaveLength(7);
});

it('allocates between any number of sleeves from two on, and loads the same families by reference', async () => {
  for (const { family } of builtins) expect(supportedSleeves(family), family.meta.name).toEqual({ min: 2 });
  // The engine's workers load BUILTIN_FAMILIES: the same families, in the same order, as builtinRegistry().
  const loaded = await loadFamilies(BUILTIN_FAMILIES);
  expect(loaded.list().map((r) => [r.family.meta.name, r.family.meta.version, r.source])).toEqual(
    builtins.map((r) => [r.family.meta.name, r.family.meta.version, r.source]),
  );
});
