import { type CandidateFamily, InputError } from '@step4/core';
import { z } from 'zod';
import { configRunOptionsShape } from './option-schemas.js';

/**
 * The schema of `step4.config.{json,mjs,js,ts}` (config.ts finds and loads
 * the file). Its own module so that zod is loaded only when a config file is
 * validated or its JSON Schema printed.
 */

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
          .min(2)
          .optional()
          .describe(
            'The sleeve tables (two or more; paths relative to this file), in order: the first is sleeve A of a two-sleeve run.',
          ),
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

/** JSON Schema of the config file, for editors (published as step4.config.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  // Family objects exist only in JS/TS configs: JSON Schema allows anything there.
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

function formatIssue(file: string, issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${file}: field ${field}: ${issue.message}`;
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
