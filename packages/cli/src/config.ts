import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CandidateConfig,
  type CandidateFamily,
  DEFAULT_CANDIDATE,
  FamilyRegistry,
  InputError,
  assertFamily,
  candidate,
  isInputError,
  validateCandidate,
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
  .catchall(z.union([z.number(), z.string()]))
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

const sleeve = z.object({ name: z.string().regex(/^[a-z][a-z0-9_]*$/), path: z.string() }).strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    plugins: z
      .array(z.string().min(1))
      .default([])
      .describe('Family packages or files to load: npm package names or paths relative to this file.'),
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

/** Type help for `step4.config.ts` / `.mjs` (identity, like Vite's defineConfig). */
export function defineConfig(config: Step4ConfigInput): Step4ConfigInput {
  return config;
}

/** JSON Schema of the config file, for editors (published as step4.config.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input' }) as Record<string, unknown>;
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
      const mod = (await importModule(file)) as { default?: unknown };
      raw = mod.default ?? mod;
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

/** The families a plugin module exports: default or `families`, each a family, a factory or an array of them. */
function familiesOf(mod: Record<string, unknown>, source: string): CandidateFamily[] {
  const exported = mod.default ?? mod.families ?? mod.family;
  if (exported === undefined) {
    throw new InputError(
      `plugin ${source}: exports no family (expected a default export made by defineFamily, a factory, or an array of them)`,
    );
  }
  const list = Array.isArray(exported) ? exported : [exported];
  return list.map((f) => {
    const family = typeof f === 'function' ? (f as () => unknown)() : f;
    assertFamily(family, `plugin ${source}`);
    return family;
  });
}

/** Resolve a plugin specifier relative to the config file with Node's own resolution. */
function resolvePlugin(specifier: string, dir: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) return resolve(dir, specifier);
  try {
    return createRequire(resolve(dir, 'step4.config.json')).resolve(specifier);
  } catch {
    // ESM-only packages have no "require" condition: try import.meta.resolve from the config's folder.
    try {
      const parent = pathToFileURL(resolve(dir, 'step4.config.json')).href;
      return new URL(import.meta.resolve(specifier, parent)).pathname;
    } catch {
      throw new InputError(`plugin ${specifier}: cannot be found from ${dir} (is it installed there?)`);
    }
  }
}

/** The registry a config asks for: built-ins (unless disabled) and its plugins, in that order. */
export async function registryFromConfig(loaded: LoadedConfig): Promise<FamilyRegistry> {
  const registry = loaded.config.builtins ? builtinRegistry() : new FamilyRegistry();
  for (const [i, specifier] of loaded.config.plugins.entries()) {
    const where = `${loaded.file}: field plugins.${i}: `;
    try {
      const file = resolvePlugin(specifier, loaded.dir);
      if (!existsSync(file)) throw new InputError(`plugin ${specifier}: file not found (${file})`);
      let mod: Record<string, unknown>;
      try {
        mod = (await importModule(file)) as Record<string, unknown>;
      } catch (e) {
        throw new InputError(
          `plugin ${specifier}: cannot be loaded (${(e as Error).message.split('\n')[0]})`,
        );
      }
      for (const family of familiesOf(mod, specifier)) registry.register(family, specifier);
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
    spec: { name: string } & Record<string, number | string>,
    field: string,
  ) => {
    const { name, ...params } = spec;
    const family = registry.get(method)!;
    checkCandidateKeys(family, params, loaded.file, field);
    const defaults = Object.fromEntries(Object.entries(family.params).map(([k, p]) => [k, p.default]));
    const config = candidate(name, method, { ...defaults, ...params } as Partial<CandidateConfig>);
    try {
      // Core's own check of every value against the position ranges and the family's schema.
      validateCandidate(config, family);
    } catch (e) {
      if (!isInputError(e)) throw e;
      const at = e.field && e.field in params ? `${field}.${e.field}` : field;
      throw new InputError(`${loaded.file}: field ${at}: ${e.message}`, { file: loaded.file, field: at });
    }
    return config;
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

/**
 * The parameters a candidate of a family may set: the general candidate and
 * position parameters every candidate has (core's DEFAULT_CANDIDATE) and the
 * family's declared `params`. `name` and `method` come from the config itself.
 */
export function candidateParameterNames(family: CandidateFamily): string[] {
  return [...new Set([...Object.keys(DEFAULT_CANDIDATE), ...Object.keys(family.params)])];
}

function checkCandidateKeys(
  family: CandidateFamily,
  params: Record<string, unknown>,
  file: string | undefined,
  field: string,
): void {
  const valid = candidateParameterNames(family);
  for (const key of Object.keys(params)) {
    if (valid.includes(key)) continue;
    const close = closest(key, valid);
    const hint = close ? `did you mean ${close}?` : `valid: ${valid.join(', ')}`;
    throw new InputError(
      `${file}: field ${field}.${key}: family ${family.meta.name} has no parameter ${key} (${hint})`,
      { file, field: `${field}.${key}` },
    );
  }
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest of `names` to `word`, if it is close enough to be a typo (a third of the word's length, at least 1). */
export function closest(word: string, names: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
