import {
  boolean,
  enum as enumOf,
  number,
  string,
  type ZodBoolean,
  type ZodEnum,
  type ZodNumber,
  type ZodOptional,
  type ZodString,
  type ZodType,
} from 'zod';
import { InputError } from './errors.js';
import {
  type ChoiceOptionDef,
  type Def,
  type NumberBounds,
  RUN_OPTIONS,
  describeBounds,
  type RunOptionDef,
} from './run-options.js';

/**
 * The one validation of each run option (run-options.ts defines them): a zod
 * schema built from the definition, used for the command-line flags, the
 * config file's `options` and the sweep file alike. Its own entry point
 * because zod takes as long to load as Node itself: only what parses option
 * values loads it. zod's builders are imported by name, so the build
 * (scripts/inline-zod.mjs) can bundle just them into this module.
 */

/** A value as a message shows it: numbers as JavaScript prints them, anything else as JSON. */
export function shown(v: unknown): string {
  if (typeof v === 'number' || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The zod schema type of an option definition. */
export type SchemaOf<D extends RunOptionDef> = D extends { kind: 'number' }
  ? ZodNumber
  : D extends { kind: 'boolean' }
    ? ZodBoolean
    : D extends ChoiceOptionDef<string, unknown, infer C>
      ? ZodEnum<{ [V in C[number]]: V }>
      : ZodString;

/** A number within bounds, with the message of `describeBounds` (e.g. a sweep's cost parameters). */
export function boundedNumberSchema(b: NumberBounds): ZodNumber {
  return numberSchema(b, (issue) => `${describeBounds(b)}, got ${shown(issue.input)}`);
}

function numberSchema(b: NumberBounds, error: (issue: { input?: unknown }) => string): ZodNumber {
  // Every check carries the same message, so whichever fails first names the whole rule.
  let s = number({ error });
  if (b.integer || b.even) s = s.int({ error });
  s = b.minExclusive ? s.gt(b.min, { error }) : s.gte(b.min, { error });
  s = b.maxExclusive ? s.lt(b.max, { error }) : s.lte(b.max, { error });
  if (b.even) s = s.multipleOf(2, { error });
  return s;
}

function buildSchema(def: RunOptionDef): ZodType {
  const error = (issue: { input?: unknown }) => `${def.expected}, got ${shown(issue.input)}`;
  switch (def.kind) {
    case 'number':
      return numberSchema(def.bounds, error);
    case 'choice':
      return enumOf(def.choices, { error });
    case 'string':
      return string({ error }).min(1, { error });
    case 'boolean':
      return boolean({ error });
  }
}

const schemas = new Map<RunOptionDef, ZodType>();

/** The option's schema (built once per definition). */
export function schemaOf<D extends RunOptionDef>(def: D): SchemaOf<D> {
  let s = schemas.get(def);
  if (!s) {
    s = buildSchema(def);
    schemas.set(def, s);
  }
  return s as SchemaOf<D>;
}

/** Parse a flag's string through the option's schema; a bad value is an InputError naming the flag. */
export function parseFlagValue(def: RunOptionDef, raw: string): number | string {
  const value = def.kind === 'number' ? (raw.trim() === '' ? Number.NaN : Number(raw)) : raw;
  const parsed = schemaOf(def).safeParse(value);
  if (!parsed.success)
    throw new InputError(`option ${def.flag}: ${def.expected}, got ${JSON.stringify(raw)}`, {
      field: def.flag,
    });
  return parsed.data as number | string;
}

/** The config file's run options, each optional (a command-line option given explicitly wins). */
export const configRunOptionsShape = Object.fromEntries(
  (RUN_OPTIONS as readonly RunOptionDef[]).map((def) => [
    def.key,
    schemaOf(def).optional().describe(def.description),
  ]),
) as { [D in Def as D['key']]: ZodOptional<SchemaOf<D>> };
