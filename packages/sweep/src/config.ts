import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '@step4/core';
import { type EngineOptions, exportedDefault } from '@step4/engine';
import { z } from 'zod';

/**
 * The sweep file (`sweep.json`, `.mjs`, `.js` or `.ts`): a library of
 * sleeves, the universes drawn from it, option variants (a product of axes)
 * and the grid (a run config's plugins and grid changes).
 *
 * The run options' bounds are defined once in the CLI (`packages/cli/src/options.ts`),
 * which depends on this package, so they cannot be imported here: this is a
 * thin, dependency-free copy of the bounds of the options a sweep may vary,
 * typed against the engine's `EngineOptions` (a key the engine does not have
 * does not compile). The engine and core check every value again when a cell runs.
 */

/** A value as a message shows it. */
function shown(v: unknown): string {
  if (typeof v === 'number' || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

interface Bounds {
  readonly integer?: boolean;
  readonly even?: boolean;
  readonly min: number;
  readonly minExclusive?: boolean;
  readonly max: number;
}

function num(b: Bounds) {
  const what = b.even ? 'an even integer' : b.integer ? 'an integer' : 'a number';
  const expected = `expected ${what} ${b.minExclusive ? '>' : '>='} ${b.min} and <= ${b.max}`;
  const error = (issue: { input?: unknown }) => `${expected}, got ${shown(issue.input)}`;
  let s = z.number({ error });
  if (b.integer || b.even) s = s.int({ error });
  s = b.minExclusive ? s.gt(b.min, { error }) : s.gte(b.min, { error });
  s = s.lte(b.max, { error });
  if (b.even) s = s.multipleOf(2, { error });
  return s;
}

/** The engine options a sweep may set or vary (a risk-free table is a path: not in a sweep). */
type SweepEngineKey = Exclude<keyof EngineOptions, 'riskFreeTable'>;

const ENGINE_OPTION_SCHEMAS = {
  startCapital: num({ min: 0, minExclusive: true, max: 1e12 }),
  trainRatio: num({ min: 0, minExclusive: true, max: 0.99 }),
  minHistoryMonths: num({ integer: true, min: 1, max: 600 }),
  seed: num({ integer: true, min: 0, max: 0xffffffff }),
  financingBpsPerYear: num({ min: 0, max: 10_000 }),
  bootstrapSamples: num({ integer: true, min: 100, max: 1_000_000 }),
  bootstrapBlockMonths: num({ integer: true, min: 1, max: 120 }),
  bootstrapMethod: z.enum(['circular', 'stationary'], {
    error: (i) => `expected one of circular, stationary, got ${shown(i.input)}`,
  }),
  pboBlocks: num({ integer: true, even: true, min: 2, max: 24 }),
  promoteDdCap: num({ min: 0, minExclusive: true, max: 1 }),
  maxDrawdownCap: num({ min: 0, minExclusive: true, max: 1 }),
  maxPbo: num({ min: 0, max: 1 }),
  minDsr: num({ min: 0, max: 1 }),
  riskFreeAnnual: num({ min: -0.1, max: 1 }),
  spaReplications: num({ integer: true, min: 0, max: 1_000_000 }),
} satisfies Record<SweepEngineKey, z.ZodType>;

/** Candidate parameters a sweep may set in every candidate of the grid (core's bounds, packages/core/src/contract.ts). */
const CANDIDATE_OPTION_SCHEMAS = {
  turn_cost_bps: num({ min: 0, max: 10_000 }),
  gross_cost_bps: num({ min: 0, max: 10_000 }),
};

export const SWEEP_OPTION_KEYS = [
  ...Object.keys(ENGINE_OPTION_SCHEMAS),
  ...Object.keys(CANDIDATE_OPTION_SCHEMAS),
] as readonly string[];

const optionSetSchema = z
  .object({ ...ENGINE_OPTION_SCHEMAS, ...CANDIDATE_OPTION_SCHEMAS })
  .partial()
  .strict();

/** One option set: engine options and the candidates' cost parameters. */
export type SweepOptionSet = z.infer<typeof optionSetSchema>;

/** An axis as lists of values per option (a product over its keys, in order). */
const axisByKey = z
  .object(
    Object.fromEntries(
      Object.entries({ ...ENGINE_OPTION_SCHEMAS, ...CANDIDATE_OPTION_SCHEMAS }).map(([k, s]) => [
        k,
        z.array(s as z.ZodType).min(1),
      ]),
    ) as { [K in keyof SweepOptionSet]-?: z.ZodArray<z.ZodType<NonNullable<SweepOptionSet[K]>>> },
  )
  .partial()
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'expected at least one option with a list of values');

/** An axis as explicit option sets (e.g. turn and gross costs that move together). */
const axisBySets = z.array(optionSetSchema).min(1);

const sleeveName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'expected a lower-case name (letters, digits, _; a letter first)');

const universesSchema = z.union([
  z.array(z.array(sleeveName).min(2)).min(1),
  z
    .object({
      minSize: num({ integer: true, min: 2, max: 64 }),
      maxSize: num({ integer: true, min: 2, max: 64 }).optional(),
    })
    .strict(),
]);

const gridChanges = z.record(z.string(), z.unknown());

export const sweepSchema = z
  .object({
    $schema: z.string().optional(),
    sleeves: z
      .record(sleeveName, z.string().min(1))
      .refine((s) => Object.keys(s).length >= 2, 'expected at least two sleeves')
      .describe(
        'The library: sleeve name -> table path (CSV or Parquet, relative to this file) or embedded:<name>.',
      ),
    universes: universesSchema.describe(
      'Explicit lists of sleeve names, or { minSize, maxSize }: every subset of the library of that many sleeves.',
    ),
    options: optionSetSchema.default({}).describe('Options of every cell (engine options and costs).'),
    variants: z
      .array(z.union([axisBySets, axisByKey]))
      .default([])
      .describe('Axes of option variants; the cells take their product (first axis slowest).'),
    config: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A step4 run config (relative to this file) whose plugins and grid changes make each cell's grid.",
      ),
    grids: gridChanges
      .optional()
      .describe("Grid changes per family, as a run config's `grids` (replace the config's when given)."),
    outDir: z.string().min(1).optional().describe('Output folder (default step4_sweep_out).'),
  })
  .strict();

export type SweepFile = z.infer<typeof sweepSchema>;

export interface LoadedSweep {
  /** Absolute path of the sweep file. */
  readonly file: string;
  readonly dir: string;
  readonly sweep: SweepFile;
}

function formatIssue(file: string, issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${file}: field ${field}: ${issue.message}`;
}

/** Validate a sweep's contents; the first problem is an InputError naming the file and the field. */
export function parseSweep(raw: unknown, file: string): SweepFile {
  const parsed = sweepSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(formatIssue(file, issue), { file, field: issue.path.join('.') });
  }
  const sweep = parsed.data;
  const names = Object.keys(sweep.sleeves);
  const u = sweep.universes;
  if (Array.isArray(u)) {
    u.forEach((list, i) => {
      const seen = new Set<string>();
      list.forEach((name, j) => {
        if (!names.includes(name))
          throw new InputError(
            `${file}: field universes.${i}.${j}: no sleeve named ${name} in the library (sleeves: ${names.join(', ')})`,
            { file, field: `universes.${i}.${j}` },
          );
        if (seen.has(name))
          throw new InputError(`${file}: field universes.${i}.${j}: ${name} is in this universe twice`, {
            file,
            field: `universes.${i}.${j}`,
          });
        seen.add(name);
      });
    });
  } else {
    const max = u.maxSize ?? u.minSize;
    if (max < u.minSize)
      throw new InputError(
        `${file}: field universes.maxSize: expected >= minSize (${u.minSize}), got ${max}`,
        { file, field: 'universes.maxSize' },
      );
    if (max > names.length)
      throw new InputError(
        `${file}: field universes.${u.maxSize === undefined ? 'minSize' : 'maxSize'}: the library has only ${names.length} sleeves, got ${max}`,
        { file, field: 'universes' },
      );
  }
  return sweep;
}

async function importModule(file: string): Promise<unknown> {
  if (file.endsWith('.ts')) {
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(pathToFileURL(file).href, import.meta.url);
  }
  return import(pathToFileURL(file).href);
}

/** Read and validate a sweep file (`.json`, `.mjs`, `.js` or `.ts` with a default export). */
export async function loadSweep(path: string, cwd = process.cwd()): Promise<LoadedSweep> {
  const file = resolve(cwd, path);
  let raw: unknown;
  try {
    if (/\.(m?js|ts)$/.test(file)) {
      raw = exportedDefault(await importModule(file));
    } else raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'file not found' : `cannot read it (${oneLine(err.message)})`;
    throw new InputError(`${path}: ${why}`, { file: path });
  }
  return { file, dir: dirname(file), sweep: parseSweep(raw, path) };
}

export function oneLine(text: string): string {
  return String(text).split('\n')[0].trim();
}
