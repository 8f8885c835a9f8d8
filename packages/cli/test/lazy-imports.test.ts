/**
 * The commands load only what they use: `step4 --help` must not pay for the
 * engine, the models (TensorFlow.js), the output writer (sharp, vega, Arrow,
 * Parquet) or zod. Checked by listing the modules the process loaded (a
 * loader hook and require.cache), never by timing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers.js';

const REGISTER = pathToFileURL(
  fileURLToPath(new URL('./fixtures/module-log/register.mjs', import.meta.url)),
).href;
const dir = mkdtempSync(join(tmpdir(), 'step4-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The package a loaded module belongs to: the name after the last node_modules, or a workspace package. */
function packageOf(location: string): string | undefined {
  if (location.startsWith('node:')) return undefined;
  const path = location.startsWith('file:') ? fileURLToPath(location) : location;
  const at = path.lastIndexOf('/node_modules/');
  if (at !== -1) {
    const parts = path.slice(at + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  // The workspace's packages, linked: the last packages/<name>/ of the path.
  const workspace = /.*\/packages\/([^/]+)\//.exec(path);
  return workspace ? `@step4/${workspace[1]}` : undefined;
}

/** Run the built CLI and return the packages it loaded (exit code checked). */
function loadedPackages(args: string[]): Set<string> {
  const log = join(dir, `${args.join('_').replace(/[^a-z0-9_-]/gi, '')}.txt`);
  const r = spawnSync(process.execPath, ['--import', REGISTER, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', STEP4_MODULE_LOG: log },
  });
  expect(r.status, r.stderr).toBe(0);
  const names = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(packageOf)
    .filter((n): n is string => n !== undefined);
  return new Set(names);
}

/** TensorFlow.js, and what the output writer draws and writes with. */
const HEAVY = [/^@tensorflow\//, /^sharp$/, /^@img\//, /^vega/, /^parquet-wasm$/, /^apache-arrow$/];
const heavyIn = (loaded: Set<string>) => [...loaded].filter((p) => HEAVY.some((re) => re.test(p)));

describe('packageOf', () => {
  it('names the package of a pnpm store path, a scoped one, and a workspace package', () => {
    expect(packageOf('file:///r/node_modules/.pnpm/zod@4.1.0/node_modules/zod/v4/index.js')).toBe('zod');
    expect(
      packageOf(
        '/r/node_modules/.pnpm/@tensorflow+tfjs-core@4/node_modules/@tensorflow/tfjs-core/dist/index.js',
      ),
    ).toBe('@tensorflow/tfjs-core');
    expect(packageOf('file:///r/packages/core/dist/sleeves.js')).toBe('@step4/core');
    expect(packageOf('node:fs')).toBeUndefined();
  });
});

describe('each command loads what it uses', () => {
  it('step4 --help loads commander, the CLI and @step4/core, and nothing heavy', () => {
    const loaded = loadedPackages(['--help']);
    expect(loaded.has('commander')).toBe(true); // the log works
    expect(heavyIn(loaded)).toEqual([]);
    expect([...loaded].sort()).toEqual(['@step4/cli', '@step4/core', 'commander']);
  });

  it('step4 run-all --help loads the option schemas, but no engine, family or output writer', () => {
    const loaded = loadedPackages(['run-all', '--help']);
    expect(heavyIn(loaded)).toEqual([]);
    expect([...loaded].filter((p) => p.startsWith('@step4/')).sort()).toEqual(['@step4/cli', '@step4/core']);
  });

  it('step4 families and candidates load neither the output writer nor zod', () => {
    for (const command of ['families', 'candidates']) {
      const loaded = loadedPackages([command]);
      expect(loaded.has('@step4/candidates-ml'), command).toBe(true); // they do list the families
      const writer = [...loaded].filter((p) =>
        [/^@step4\/report$/, /^sharp$/, /^vega/, /^parquet-wasm$/, /^apache-arrow$/, /^zod$/, /^tsx$/].some(
          (re) => re.test(p),
        ),
      );
      expect(writer, command).toEqual([]);
    }
  });

  it('step4 config-schema loads no engine and no family', () => {
    const loaded = loadedPackages(['config-schema']);
    expect(loaded.has('zod')).toBe(true);
    expect([...loaded].filter((p) => /^@step4\/(engine|models|candidates-)|^@tensorflow\//.test(p))).toEqual(
      [],
    );
  });
});
