import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CandidateConfig,
  type CandidateFamily,
  FamilyRegistry,
  InputError,
  assertFamily,
  buildCandidate,
  isInputError,
} from '@step4/core';
import { z } from 'zod';
import { builtinGrid, builtinRegistry } from './builtin.js';
import { configRunOptionsShape } from './options.js';

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

const candidateSpec = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _, . and - only (it becomes a file name)'),
  })
  .catchall(z.union([z.number(), z.string(), z.boolean()]))
  .describe(
    'A candidate: its name and any family or position parameters (others take the reference defaults).',
  );

const gridChange = z
  .object({
    replace: z
      .array(candidateSpec)
      .optional()
      .describe("Use these candidates instead of the family's default grid."),
    extend: z
      .array(candidateSpec)
      .optional()
      .describe('Add these candidates after the (default or replaced) grid.'),
    disable: z.boolean().optional().describe("Run none of this family's candidates."),
  })
  .strict();

/**
 * A plugin: a package name or path; the same with options for its factory
 * (`["pkg", { floor: 0.01 }]`, like ESLint, Vite and changesets); or, in a
 * JS/TS config, a family object made by `defineFamily` (`plugins: [inverseVol({ floor: 0.01 })]`).
 */
const pluginEntry = z.union([
  z.string().min(1),
  z.tuple([z.string().min(1), z.record(z.string(), z.unknown())]),
  z.custom<CandidateFamily>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    message: 'expected a package name or path, [name, options], or a family object',
  }),
]);

const sleeve = z.object({ name: z.string().regex(/^[a-z][a-z0-9_]*$/), path: z.string() }).strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    plugins: z
      .array(pluginEntry)
      .default([])
      .describe(
        'Family packages or files to load: npm package names or paths relative to this file, each alone or as [name, options] (options go to its factory); JS/TS configs may also give family objects.',
      ),
    builtins: z.boolean().default(true).describe('Also register the built-in families (default true).'),
    grids: z.record(z.string(), gridChange).default({}).describe('Grid changes per family name.'),
    options: z
      .object({
        sleeves: z
          .array(sleeve)
          .length(2)
          .optional()
          .describe('The two sleeve tables (paths relative to this file); the first is sleeve A.'),
      })
      // Every other run option comes from the one definition the command-line flags use too.
      .extend(configRunOptionsShape)
      .strict()
      .default({})
      .describe('Run options; a command-line option given explicitly wins.'),
  })
  .strict();

export type Step4Config = z.infer<typeof configSchema>;
export type Step4ConfigInput = z.input<typeof configSchema>;

export { defineConfig } from './define-config.js';

/** JSON Schema of the config file, for editors (published as step4.config.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  // Family objects exist only in JS/TS configs: JSON Schema allows anything there.
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
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

function formatIssue(file: string, issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${file}: field ${field}: ${issue.message}`;
}

/**
 * A module's default export. A TypeScript file in a CommonJS project is
 * compiled to CommonJS, and `import()` of it gives `{ default: { default: x } }`
 * (plus `__esModule`): unwrap that one level too.
 */
function exportedDefault(mod: unknown): unknown {
  const m = mod as Record<string, unknown> | null;
  const first = m && typeof m === 'object' && 'default' in m ? m.default : m;
  const f = first as Record<string, unknown> | null;
  if (
    f &&
    typeof f === 'object' &&
    'default' in f &&
    Object.keys(f).every((k) => k === 'default' || k === '__esModule')
  )
    return f.default;
  return first;
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
  if (!file) return { dir: cwd, config: configSchema.parse({}) };
  let raw: unknown;
  try {
    if (file.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises');
      raw = JSON.parse(await readFile(file, 'utf8'));
    } else {
      raw = exportedDefault(await importModule(file));
    }
  } catch (e) {
    throw new InputError(`${file}: cannot read the config (${(e as Error).message.split('\n')[0]})`, {
      file,
    });
  }
  return { file, dir: dirname(file), config: parseConfig(raw, file) };
}

/** Validate a config's contents; the first problem is an InputError naming the file and the field. */
export function parseConfig(raw: unknown, file: string): Step4Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success)
    throw new InputError(formatIssue(file, parsed.error.issues[0]), {
      file,
      field: parsed.error.issues[0].path.join('.'),
    });
  return parsed.data;
}

/**
 * The families a plugin module exports: default or `families`, each a family,
 * a factory or an array of them. Factories get the config's options for the
 * plugin; a plain family object cannot take options.
 */
function familiesOf(mod: Record<string, unknown>, source: string, options?: unknown): CandidateFamily[] {
  const inner = exportedDefault(mod) as Record<string, unknown> | undefined;
  const exported = mod.default !== undefined ? inner : (mod.families ?? mod.family);
  if (exported === undefined) {
    throw new InputError(
      `plugin ${source}: exports no family (expected a default export made by defineFamily, a factory, or an array of them)`,
    );
  }
  const list = Array.isArray(exported) ? exported : [exported];
  return list.map((f) => {
    let family: unknown = f;
    if (typeof f === 'function') {
      try {
        family = (f as (options?: unknown) => unknown)(options);
      } catch (e) {
        throw new InputError(`plugin ${source}: its factory refused the options (${oneLine(e)})`);
      }
    } else if (options !== undefined) {
      throw new InputError(
        `plugin ${source}: exports a family object, not a factory, so it takes no options`,
      );
    }
    assertFamily(family, `plugin ${source}`);
    return family;
  });
}

function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
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

/** The registry a config asks for: built-ins (unless disabled) and its plugins, in that order. */
export async function registryFromConfig(loaded: LoadedConfig): Promise<FamilyRegistry> {
  const registry = loaded.config.builtins ? builtinRegistry() : new FamilyRegistry();
  for (const [i, entry] of loaded.config.plugins.entries()) {
    const where = `${loaded.file}: field plugins.${i}: `;
    try {
      if (typeof entry === 'object' && !Array.isArray(entry)) {
        // A family object from a JS/TS config: workers get it by loading the same config.
        const source = `${loaded.file ? basename(loaded.file) : 'config'}#plugins.${i}`;
        assertFamily(entry, source);
        registry.register(entry, source);
        continue;
      }
      const [specifier, options] = typeof entry === 'string' ? [entry, undefined] : entry;
      const file = resolvePlugin(specifier, loaded.dir);
      if (!existsSync(file)) throw new InputError(`plugin ${specifier}: file not found (${file})`);
      let mod: Record<string, unknown>;
      try {
        mod = (await importModule(file)) as Record<string, unknown>;
      } catch (e) {
        throw new InputError(`plugin ${specifier}: cannot be loaded (${oneLine(e)})`);
      }
      for (const family of familiesOf(mod, specifier, options)) registry.register(family, specifier);
    } catch (e) {
      if (e instanceof InputError)
        throw new InputError(`${where}${e.message}`, { file: loaded.file, field: `plugins.${i}` });
      throw e;
    }
  }
  return registry;
}

/** The candidate grid: the reference order for the built-ins, then plugins, with the config's changes. */
export function gridFromConfig(registry: FamilyRegistry, loaded: LoadedConfig): CandidateConfig[] {
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
  const base = builtinGrid(registry);
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
