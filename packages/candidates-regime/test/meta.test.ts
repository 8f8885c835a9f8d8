import { readFileSync } from 'node:fs';
import { FamilyRegistry, buildCandidate } from '@step4/core';
import { describe, expect, it } from 'vitest';
import { regimeGuardFamily, regimeRfFamily } from '../src/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe.each([regimeGuardFamily, regimeRfFamily].map((make) => ({ name: make().meta.name, make })))(
  '$name',
  ({ make }) => {
    it('takes meta.version from package.json and registers with core API 2', () => {
      const family = make();
      expect(family.meta.version).toBe(pkg.version);
      expect(family.meta.coreApi).toBe(2);
      expect(() => new FamilyRegistry().register(family)).not.toThrow();
    });

    it('builds default candidates the way config-like construction does', () => {
      const family = make();
      expect(family.candidate('x')).toEqual(buildCandidate(family, 'x', JSON.parse('{}')));
      for (const c of family.defaultGrid()) {
        const { name, method, ...params } = c;
        expect(method).toBe(family.meta.name);
        expect(JSON.stringify(buildCandidate(family, name, params))).toBe(JSON.stringify(c));
      }
    });
  },
);
