/**
 * Loading families by reference: small modules written to a temporary folder
 * (plain objects, no imports, so they load from anywhere), each the shape a
 * plugin may take: a default-exported family, a factory taking options, an
 * async factory making several families, a path into a config object, a
 * CommonJS file compiled from TypeScript; and the refusals.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '@step4/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportedDefault, familiesOf, loadFamilies } from '../src/families.js';

/** Source of a minimal valid family object named `name` (one candidate, fixed weight). */
const familySource = (name: string, lookback = 6) => `{
  meta: { name: ${JSON.stringify(name)}, version: '1.0.0', coreApi: 2 },
  params: { lookback: { type: 'integer', default: ${lookback}, min: 1, max: 60, description: 'months' } },
  defaultGrid: () => [{ name: ${JSON.stringify(`${name}_a`)}, method: ${JSON.stringify(name)}, lookback: ${lookback},
    min_w: 0, max_w: 1, smoothing: 0, max_step: 1, gross_base: 1, gross_conf_scale: 0, max_gross: 1,
    target_vol: 0, vol_lb: 12, turn_cost_bps: 0, gross_cost_bps: 0 }],
  decide: () => ({ wRaw: 0.5, conf: 0 }),
}`;

const MODULES: Record<string, string> = {
  'default-object.mjs': `export default ${familySource('plain')};\n`,
  // The factory names its family and sets the default lookback from its options.
  'factory.mjs': `export function makeFamily(options) {
  const f = ${familySource('made')};
  return { ...f, meta: { ...f.meta, name: options.name }, params: { lookback: { ...f.params.lookback, default: options.lookback } } };
}
export default makeFamily;\n`,
  'async-pair.mjs': `export const pair = async () => {
  await new Promise((r) => setTimeout(r, 1));
  return [${familySource('first')}, ${familySource('second')}];
};\n`,
  'config.mjs': `export default { options: { seed: 7 }, plugins: [${familySource('not_this')}, ${familySource('this_one')}] };\n`,
  // What TypeScript emits for `export default family` in a CommonJS project.
  'compiled.cjs': `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.default = ${familySource('from_cjs')};\n`,
  'named-only.mjs': `export const somethingElse = 1;\n`,
};

let dir: string;
const at = (file: string) => join(dir, file);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'step4-engine-families-'));
  for (const [file, text] of Object.entries(MODULES)) writeFileSync(at(file), text);
});

/** Family names and sources of a registry, in registration order. */
const listed = async (...refs: Parameters<typeof loadFamilies>[0]) =>
  (await loadFamilies(refs)).list().map(({ family, source }) => [family.meta.name, source]);

describe('loadFamilies', () => {
  it('loads a default-exported family object; the source defaults to the module', async () => {
    expect(await listed({ module: at('default-object.mjs') })).toEqual([['plain', at('default-object.mjs')]]);
  });

  it('accepts a file: URL and records the source it is given', async () => {
    const module = pathToFileURL(at('default-object.mjs')).href;
    expect(await listed({ module, source: 'my-plugin' })).toEqual([['plain', 'my-plugin']]);
  });

  it('hands the options to a factory', async () => {
    const registry = await loadFamilies([
      { module: at('factory.mjs'), export: 'makeFamily', options: { name: 'tuned', lookback: 9 } },
    ]);
    const family = registry.require('tuned');
    expect(family.params.lookback.default).toBe(9);
    // The default export is the same factory.
    expect(await listed({ module: at('factory.mjs'), options: { name: 'again', lookback: 3 } })).toEqual([
      ['again', at('factory.mjs')],
    ]);
  });

  it('registers every family an async factory makes, in order', async () => {
    expect(await listed({ module: at('async-pair.mjs'), export: 'pair', source: 'pair-plugin' })).toEqual([
      ['first', 'pair-plugin'],
      ['second', 'pair-plugin'],
    ]);
  });

  it('follows an export path into an object', async () => {
    expect(await listed({ module: at('config.mjs'), export: ['default', 'plugins', 1] })).toEqual([
      ['this_one', at('config.mjs')],
    ]);
  });

  it('unwraps the nested default of a CommonJS module compiled from TypeScript', async () => {
    expect(await listed({ module: at('compiled.cjs') })).toEqual([['from_cjs', at('compiled.cjs')]]);
    expect(await listed({ module: at('compiled.cjs'), export: 'default' })).toEqual([
      ['from_cjs', at('compiled.cjs')],
    ]);
  });

  it('loads several references into one registry in order', async () => {
    expect(
      (
        await listed(
          { module: at('default-object.mjs') },
          { module: at('async-pair.mjs'), export: 'pair' },
          { module: at('config.mjs'), export: ['default', 'plugins', 0] },
        )
      ).map(([name]) => name),
    ).toEqual(['plain', 'first', 'second', 'not_this']);
  });
});

describe('exportedDefault and familiesOf', () => {
  const family = { meta: { name: 'x' } };

  it('unwraps `{ default: { default: family } }` once, and only a lone nested default', () => {
    expect(exportedDefault({ default: { default: family } })).toBe(family);
    expect(exportedDefault({ default: { __esModule: true, default: family } })).toBe(family);
    expect(exportedDefault({ default: family })).toBe(family);
    const config = { default: family, plugins: [] };
    expect(exportedDefault({ default: config })).toBe(config);
  });

  it('takes a family from a CommonJS-style nested default', async () => {
    const mod = (await import(pathToFileURL(at('default-object.mjs')).href)) as { default: unknown };
    const made = await familiesOf({ default: { default: mod.default } }, { module: 'in-memory' });
    expect(made.map((f) => f.meta.name)).toEqual(['plain']);
    expect(made[0]).toBe(mod.default);
  });
});

describe('refusals name the plugin', () => {
  it('a module that cannot be loaded', async () => {
    const err = await loadFamilies([{ module: at('missing.mjs'), source: 'step4-family-missing' }]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('step4-family-missing');
    expect((err as Error).message).toMatch(/cannot be loaded/);
  });

  it('options given to a family object', async () => {
    const err = await loadFamilies([
      { module: at('default-object.mjs'), options: { lookback: 3 }, source: 'plain-plugin' },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('plain-plugin');
    expect((err as Error).message).toMatch(/takes no options/);
  });

  it.each([
    ['a named export that does not exist', { export: 'noSuchExport' }],
    ['a path that leads nowhere', { export: ['default', 'plugins', 5] }],
  ])('%s', async (_what, ref) => {
    const err = await loadFamilies([{ module: at('config.mjs'), source: 'config-plugin', ...ref }]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('config-plugin');
    expect((err as Error).message).toMatch(/exports no family/);
  });

  it('a module with no default, `families` or `family` export', async () => {
    const err = await loadFamilies([{ module: at('named-only.mjs') }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(at('named-only.mjs'));
  });
});
