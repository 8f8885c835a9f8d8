import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, firstLineOf } from '@step4/core';
import { POSITION_PARAM_BOUNDS } from '@step4/core/contract';
import { RUN_OPTIONS, type RunOptionDef } from '@step4/core/run-options';
import { boundedNumberSchema, schemaOf } from '@step4/core/run-option-schemas';
import { type EngineOptions, exportedDefault } from '@step4/engine';
import { z } from 'zod';

/**
 * The sweep file (`sweep.json`, `.mjs`, `.js` or `.ts`): a library of
 * sleeves, the universes drawn from it, option variants (a product of axes)
 * and the grid (a run config's plugins and grid changes).
 *
 * Every option is checked by its one definition: the run options' schemas
 * of `@step4/core/run-option-schemas` (the CLI's flags and config use the
 * same), the candidates' costs by core's position-parameter bounds.
 */

/** The engine options a sweep may set or vary (a risk-free table is a path: not in a sweep). */
type SweepEngineKey = Exclude<keyof EngineOptions, 'riskFreeTable'>;

const SWEEP_ENGINE_KEYS = [
  'startCapital',
  'trainRatio',
  'minHistoryMonths',
  'seed',
  'financingBpsPerYear',
  'bootstrapSamples',
  'bootstrapBlockMonths',
  'bootstrapMethod',
  'pboBlocks',
  'promoteDdCap',
  'maxDrawdownCap',
  'maxPbo',
  'minDsr',
  'riskFreeAnnual',
  'spaReplications',
] as const satisfies readonly SweepEngineKey[];

/** The run options' own schemas (one definition, `@step4/core/run-options`), for the keys a sweep may set. */
const ENGINE_OPTION_SCHEMAS = Object.fromEntries(
  SWEEP_ENGINE_KEYS.map((key) => {
    const def = (RUN_OPTIONS as readonly RunOptionDef[]).find((d) => d.key === key);
    if (!def) throw new Error(`run option ${key} is not defined in @step4/core/run-options`);
    return [key, schemaOf(def)];
  }),
) as unknown as { [K in (typeof SWEEP_ENGINE_KEYS)[number]]: z.ZodType<NonNullable<EngineOptions[K]>> };

/** Candidate parameters a sweep may set in every candidate of the grid, with core's bounds. */
const CANDIDATE_OPTION_SCHEMAS = {
  turn_cost_bps: boundedNumberSchema(POSITION_PARAM_BOUNDS.turn_cost_bps),
  gross_cost_bps: boundedNumberSchema(POSITION_PARAM_BOUNDS.gross_cost_bps),
};

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
      minSize: boundedNumberSchema({ integer: true, min: 2, max: 64 }),
      maxSize: boundedNumberSchema({ integer: true, min: 2, max: 64 }).optional(),
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
    const why = err.code === 'ENOENT' ? 'file not found' : `cannot read it (${firstLineOf(err).trim()})`;
    throw new InputError(`${path}: ${why}`, { file: path });
  }
  return { file, dir: dirname(file), sweep: parseSweep(raw, path) };
}
