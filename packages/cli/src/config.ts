import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type CandidateConfig,
  type CandidateFamily,
  type FamilyRegistry,
  InputError,
  type SleeveUniverse,
  assertFamily,
  buildCandidate,
  firstLineOf,
  isInputError,
} from '@step4/core';
// The families' loader only, not the engine's run (and the statistics it loads): `step4 families`
// and `candidates` load no more than they list.
import { type FamilyReference, exportedDefault, familiesOf, loadFamilies } from '@step4/engine/families';
import { BUILTIN_FAMILIES, builtinGrid } from './builtin-list.js';
import type { Step4Config } from './config-schema.js';

export type { Step4Config, Step4ConfigInput } from './config-schema.js';

/**
 * `step4.config.{json,mjs,js,ts}`: which plugins to load, how to change each
 * family's grid, and run options. Plugins are package names or paths,
 * resolved relative to the config file with Node's own resolution and loaded
 * with `import()`. Nothing is loaded that the config does not name.
 */

export const CONFIG_FILE_NAMES = [
  'step4.config.json',
  'step4.config.mjs',
  'step4.config.js',
  'step4.config.ts',
] as const;

/**
 * The config of a run without a config file: what `configSchema.parse({})`
 * gives (a test holds them equal), without loading zod.
 */
export function defaultConfig(): Step4Config {
  return { plugins: [], builtins: true, grids: {}, options: {} };
}

export interface LoadedConfig {
  readonly file?: string;
  readonly dir: string;
  readonly config: Step4Config;
}

/** Find the config: --config, else the first step4.config.* in the working directory, else none. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new InputError(`${explicit}: config file not found`, { file: explicit });
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

async function importModule(file: string): Promise<unknown> {
  if (file.endsWith('.ts')) {
    // TypeScript configs and plugins are loaded through tsx's loader, only when one is used.
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(pathToFileURL(file).href, import.meta.url);
  }
  return import(pathToFileURL(file).href);
}

export async function loadConfig(explicit?: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const file = findConfigFile(explicit, cwd);
  if (!file) return { dir: cwd, config: defaultConfig() };
  let raw: unknown;
  try {
    if (file.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises');
      raw = JSON.parse(await readFile(file, 'utf8'));
    } else {
      raw = exportedDefault(await importModule(file));
    }
  } catch (e) {
    throw new InputError(`${file}: cannot read the config (${firstLineOf(e)})`, {
      file,
    });
  }
  const { parseConfig } = await import('./config-schema.js');
  return { file, dir: dirname(file), config: parseConfig(raw, file) };
}

/**
 * The ES-module entry of a package folder: its `exports` "." entry (the
 * `import`, `node` or `default` condition) or else `main`. Node 20 offers no
 * API to resolve a bare name from another folder for `import` (the parent
 * argument of `import.meta.resolve` is still behind a flag), so the "."
 * entry is read here; subpath patterns are not needed for a plugin's main.
 */
function packageEntry(path: string, specifier: string): string {
  let manifest: { exports?: unknown; main?: string };
  try {
    manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
  } catch {
    throw new InputError(`plugin ${specifier}: ${path} has no readable package.json`);
  }
  let target: unknown = manifest.exports;
  if (target && typeof target === 'object' && '.' in target)
    target = (target as Record<string, unknown>)['.'];
  for (let depth = 0; target && typeof target === 'object' && depth < 4; depth++) {
    const t = target as Record<string, unknown>;
    target = t.import ?? t.node ?? t.default;
  }
  if (typeof target !== 'string')
    target = manifest.exports === undefined ? (manifest.main ?? 'index.js') : undefined;
  if (typeof target !== 'string')
    throw new InputError(`plugin ${specifier}: its package.json has no "." entry for import in "exports"`);
  return resolve(path, target);
}

/** The folder of an installed package, looked up like Node does: node_modules from `dir` upwards. */
function installedPackage(name: string, dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

/** Resolve a plugin specifier relative to the config file with Node's own resolution. */
function resolvePlugin(specifier: string, dir: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    const path = resolve(dir, specifier);
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ? packageEntry(path, specifier) : path;
  }
  try {
    return createRequire(resolve(dir, 'step4.config.json')).resolve(specifier);
  } catch {
    // ESM-only packages have no "require" condition: find the package and read its import entry.
    const pkg = /^(@[^/]+\/)?[^/@]+$/.test(specifier) ? installedPackage(specifier, dir) : undefined;
    if (pkg) return packageEntry(pkg, specifier);
    throw new InputError(`plugin ${specifier}: cannot be found from ${dir} (is it installed there?)`);
  }
}

/** Cached configs by file: a worker resolves every plugin entry of the same config once. */
const configCache = new Map<string, Promise<LoadedConfig>>();

/**
 * A family reference's factory for one plugin entry of a config (run in every
 * thread that loads the families): resolves the entry relative to the config
 * file, imports it (TypeScript through tsx) and returns its families. One
 * path for the main thread and the workers, so they always agree.
 */
export async function configPlugin(options: {
  configFile: string;
  index: number;
}): Promise<CandidateFamily[]> {
  let pending = configCache.get(options.configFile);
  if (!pending) {
    pending = loadConfig(options.configFile);
    configCache.set(options.configFile, pending);
  }
  const loaded = await pending;
  const i = options.index;
  const entry = loaded.config.plugins[i];
  const where = `${loaded.file}: field plugins.${i}: `;
  try {
    if (typeof entry === 'object' && !Array.isArray(entry)) {
      assertFamily(entry, pluginSource(loaded, i));
      return [entry];
    }
    const [specifier, pluginOptions] = typeof entry === 'string' ? [entry, undefined] : entry;
    const file = resolvePlugin(specifier, loaded.dir);
    if (!existsSync(file)) throw new InputError(`plugin ${specifier}: file not found (${file})`);
    let mod: Record<string, unknown>;
    try {
      mod = (await importModule(file)) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(`plugin ${specifier}: cannot be loaded (${firstLineOf(e)})`);
    }
    return await familiesOf(mod, { module: file, options: pluginOptions, source: specifier });
  } catch (e) {
    if (e instanceof InputError)
      throw new InputError(`${where}${e.message}`, { file: loaded.file, field: `plugins.${i}` });
    throw e;
  }
}

/** How outputs name a plugin entry: its specifier, or `<config>#plugins.<i>` for a family object. */
function pluginSource(loaded: LoadedConfig, i: number): string {
  const entry = loaded.config.plugins[i];
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return entry[0];
  return `${loaded.file ? basename(loaded.file) : 'config'}#plugins.${i}`;
}

/**
 * The families a config asks for, by reference (the engine loads them in
 * every worker): the built-ins (unless disabled), then each plugin entry.
 */
export function familyReferences(loaded: LoadedConfig): FamilyReference[] {
  const refs: FamilyReference[] = loaded.config.builtins ? [...BUILTIN_FAMILIES] : [];
  loaded.config.plugins.forEach((_, index) => {
    refs.push({
      module: CONFIG_PLUGIN_MODULE,
      export: 'configPlugin',
      options: { configFile: loaded.file!, index },
      source: pluginSource(loaded, index),
    });
  });
  return refs;
}

/** This module, as workers import it to run `configPlugin`. */
const CONFIG_PLUGIN_MODULE = fileURLToPath(import.meta.url);

/** The registry a config asks for: built-ins (unless disabled) and its plugins, in that order. */
export async function registryFromConfig(loaded: LoadedConfig): Promise<FamilyRegistry> {
  return loadFamilies(familyReferences(loaded));
}

/** The candidate grid: the reference order for the built-ins, then plugins, with the config's changes. */
export function gridFromConfig(
  registry: FamilyRegistry,
  loaded: LoadedConfig,
  sleeves?: SleeveUniverse,
): CandidateConfig[] {
  const changes = loaded.config.grids;
  for (const name of Object.keys(changes)) {
    if (!registry.get(name)) {
      const known = registry
        .list()
        .map((r) => r.family.meta.name)
        .join(', ');
      throw new InputError(
        `${loaded.file}: field grids.${name}: no family named ${name} is registered (known: ${known})`,
      );
    }
  }
  const base = builtinGrid(registry, sleeves);
  const specToConfig = (
    method: string,
    spec: { name: string } & Record<string, number | string | boolean>,
    field: string,
  ) => {
    const { name, ...params } = spec;
    try {
      // Core applies the defaults and checks every key and value (one definition for library and CLI).
      return buildCandidate(registry.get(method)!, name, params);
    } catch (e) {
      if (!isInputError(e)) throw e;
      const at = e.field && e.field in params ? `${field}.${e.field}` : field;
      throw new InputError(`${loaded.file}: field ${at}: ${e.message}`, { file: loaded.file, field: at });
    }
  };
  const specs = (method: string, kind: 'replace' | 'extend') =>
    (changes[method]?.[kind] ?? []).map((spec, i) =>
      specToConfig(method, spec, `grids.${method}.${kind}.${i}`),
    );
  const replaced = (method: string) => specs(method, 'replace');
  const extended = (method: string) => specs(method, 'extend');
  const last = new Map<string, number>();
  for (const [i, c] of base.entries()) last.set(c.method, i);
  // Keep the reference order: a replaced grid takes its family's first place, extensions follow its last.
  const out: CandidateConfig[] = [];
  const emitted = new Set<string>();
  base.forEach((c, i) => {
    const change = changes[c.method];
    if (!change?.disable) {
      if (!change?.replace) out.push(c);
      else if (!emitted.has(c.method)) out.push(...replaced(c.method));
      if (last.get(c.method) === i) out.push(...extended(c.method));
    }
    emitted.add(c.method);
  });
  // Families with an empty default grid get only what the config gives them.
  for (const { family } of registry.list()) {
    const m = family.meta.name;
    if (!emitted.has(m) && !changes[m]?.disable) out.push(...replaced(m), ...extended(m));
  }
  return out;
}
