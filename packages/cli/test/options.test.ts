/**
 * The run options are defined once (src/options.ts); the command-line flags
 * and the config file's `options` are derived from that definition. These
 * tests iterate the definition, so a new option is covered automatically:
 * both paths must accept and refuse the same values, with the same rule in
 * the message, and refuse with an InputError (exit code 2), never another error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInputError } from '@step4/core';
import { Command, Option } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema, parseConfig } from '../src/config-schema.js';
import { defaultConfig } from '../src/config.js';
import { configRunOptionsShape, parseFlagValue, schemaOf } from '../src/option-schemas.js';
import {
  type NumberBounds,
  RUN_OPTIONS,
  type RunCommandName,
  type RunOptionDef,
  addRunOptions,
  defaultJobs,
  defaultOf,
} from '../src/options.js';
import { step4Async } from './helpers.js';

const ALL_DEFS = RUN_OPTIONS as readonly RunOptionDef[];
/** Options that take a value (on/off switches are tested on their own below). */
const DEFS = ALL_DEFS.filter((d) => d.kind !== 'boolean');
const SWITCHES = ALL_DEFS.filter((d) => d.kind === 'boolean');
const FILE = 'step4.config.json';

/** Parse flags the way `step4 run-all` does (only the run options). */
function parseFlags(args: string[], command: RunCommandName = 'run-all'): Record<string, unknown> {
  const cmd = addRunOptions(new Command('x').exitOverride(), command, parseFlagValue);
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

/** The error a call throws, or undefined. */
function thrown(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (e) {
    return e;
  }
}

const flagError = (def: RunOptionDef, raw: string) => thrown(() => parseFlags([`${def.flag}=${raw}`]));
const configError = (def: RunOptionDef, value: unknown) =>
  thrown(() => parseConfig({ options: { [def.key]: value } }, FILE));

/** A value in an assertion message (fast-check makes objects without a prototype). */
const show = (v: unknown) => {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return typeof v;
  }
};

/** -0 prints as "0": compare the values a user can write. */
const plain = (v: number) => v + 0;

/** Valid values of an option, from its definition. */
function validValues(def: RunOptionDef): fc.Arbitrary<number | string> {
  if (def.kind === 'choice') return fc.constantFrom(...def.choices);
  if (def.kind === 'string') return fc.string({ minLength: 1 }).filter((s) => !s.startsWith('-'));
  const b = def.bounds;
  if (b.integer || b.even) {
    const min = b.minExclusive ? Math.floor(b.min) + 1 : Math.ceil(b.min);
    const max = b.maxExclusive ? Math.ceil(b.max) - 1 : Math.floor(b.max);
    if (!b.even) return fc.integer({ min, max });
    return fc.integer({ min: Math.ceil(min / 2), max: Math.floor(max / 2) }).map((k) => 2 * k);
  }
  return fc
    .double({
      min: b.min,
      max: b.max,
      minExcluded: b.minExclusive,
      maxExcluded: b.maxExclusive,
      noNaN: true,
      noDefaultInfinity: true,
    })
    .map(plain);
}

/** Values an option must refuse, from its definition (numbers out of bounds, wrong kind of number). */
function invalidNumbers(b: NumberBounds): fc.Arbitrary<number> {
  // (fast-check orders -0 below 0; JavaScript does not, hence the filters.)
  const below = fc
    .double({ max: b.min, maxExcluded: !b.minExclusive, noNaN: true })
    .filter((v) => (b.minExclusive ? v <= b.min : v < b.min));
  const above = fc
    .double({ min: b.max, minExcluded: !b.maxExclusive, noNaN: true })
    .filter((v) => (b.maxExclusive ? v >= b.max : v > b.max));
  const options: fc.Arbitrary<number>[] = [below, above, fc.constantFrom(Number.NaN)];
  if (b.integer || b.even)
    options.push(fc.double({ min: b.min, max: b.max, noNaN: true }).filter((v) => !Number.isInteger(v)));
  if (b.even)
    options.push(
      fc
        .integer({ min: Math.ceil(b.min), max: Math.floor(b.max) })
        .map((v) => (v % 2 === 0 ? v + 1 : v))
        .filter((v) => v <= b.max),
    );
  return fc.oneof(...options);
}

/** Anything a config file (JSON or a module) may hold where a number is expected. */
const notANumber = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);

describe('one definition of the run options', () => {
  it('every option is both a flag and a config field with the same name', () => {
    expect(DEFS.length).toBeGreaterThanOrEqual(15);
    const cmd = addRunOptions(new Command('x'), 'run-all', parseFlagValue);
    for (const def of ALL_DEFS) {
      // Commander derives the attribute from the flag: it must be the config key.
      expect(new Option(`${def.flag} ${def.valueName}`.trim()).attributeName()).toBe(def.key);
      expect(cmd.options.some((o) => o.long === def.flag)).toBe(true);
      expect(Object.keys(configRunOptionsShape)).toContain(def.key);
    }
    expect(Object.keys(configRunOptionsShape)).toHaveLength(ALL_DEFS.length);
    expect(parseConfig({}, FILE).options).toEqual({});
  });

  it('a run without a config file gets what the schema makes of an empty config (without loading zod)', () => {
    expect(defaultConfig()).toStrictEqual(configSchema.parse({}));
    expect(defaultConfig()).toStrictEqual(parseConfig({}, FILE));
  });

  it('keeps the defaults; run-all and optimize differ only in the out dir and bootstrap samples', () => {
    const runAll = parseFlags([], 'run-all');
    const optimize = parseFlags([], 'optimize');
    expect(runAll).toEqual({
      outDir: 'step4_out',
      startCapital: 10_000,
      trainRatio: 0.6,
      minHistoryMonths: 24,
      bootstrapSamples: 1200,
      bootstrapBlockMonths: 6,
      promoteDdCap: 0.3,
      seed: 42,
      financingBpsPerYear: 0,
      bootstrapMethod: 'circular',
      pboBlocks: 16,
      riskFreeAnnual: 0,
      spaReplications: 10_000,
      jobs: defaultJobs(),
      pluginCheck: true,
      failOnCandidateError: false,
    });
    expect(optimize).toEqual({ ...runAll, outDir: 'step4_optimize_out', bootstrapSamples: 1000 });
    for (const def of ALL_DEFS) {
      const d = defaultOf(def, 'run-all');
      // A default is itself a valid value.
      if (d !== undefined) expect(schemaOf(def).safeParse(d).success, def.key).toBe(true);
    }
  });

  it.each(SWITCHES.map((d) => [d.key, d] as const))(
    '%s: an on/off switch; the flag flips its default, the config takes true or false only',
    (_key, def) => {
      const dflt = defaultOf(def, 'run-all');
      expect(typeof dflt).toBe('boolean');
      expect(def.flag.startsWith('--no-')).toBe(dflt === true);
      expect(parseFlags([])[def.key]).toBe(dflt);
      expect(parseFlags([def.flag])[def.key]).toBe(!dflt);
      for (const v of [true, false]) {
        expect(configError(def, v)).toBeUndefined();
        expect(parseConfig({ options: { [def.key]: v } }, FILE).options[def.key as never]).toBe(v);
      }
      for (const v of ['yes', 1, null]) {
        const c = configError(def, v) as Error;
        expect(isInputError(c), `options.${def.key}: ${show(v)}`).toBe(true);
        expect(c.message).toContain(`field options.${def.key}: expected true or false`);
      }
    },
  );

  it('names the flag, the bounds and the raw value', () => {
    const e = flagError(DEFS.find((d) => d.key === 'bootstrapBlockMonths')!, '100000') as Error;
    expect(isInputError(e)).toBe(true);
    expect(e.message).toBe(
      'option --bootstrap-block-months: expected an integer >= 1 and <= 120, got "100000"',
    );
    const c = configError(DEFS.find((d) => d.key === 'bootstrapBlockMonths')!, 100000) as Error;
    expect(isInputError(c)).toBe(true);
    expect(c.message).toBe(
      'step4.config.json: field options.bootstrapBlockMonths: expected an integer >= 1 and <= 120, got 100000',
    );
  });

  it.each(DEFS.map((d) => [d.key, d] as const))(
    '%s: both paths accept its bounds and refuse just outside them, naming the same rule',
    (_key, def) => {
      const accepted: unknown[] = [];
      const refused: unknown[] = [];
      if (def.kind === 'number') {
        const b = def.bounds;
        const step = b.integer || b.even ? (b.even ? 2 : 1) : Math.max(1e-9, (b.max - b.min) * 1e-6);
        if (!b.minExclusive) accepted.push(b.min);
        else refused.push(b.min);
        if (!b.maxExclusive) accepted.push(b.max);
        else refused.push(b.max);
        refused.push(b.min - step, b.max + step);
        if (b.integer || b.even) refused.push(b.min + (b.even ? 1 : 0.5));
      } else if (def.kind === 'choice') {
        accepted.push(...def.choices);
        refused.push(`${def.choices[0]}x`);
      } else {
        accepted.push('some/dir');
        refused.push('');
      }
      for (const v of accepted) {
        expect(flagError(def, String(v)), `${def.flag} ${v}`).toBeUndefined();
        expect(parseFlags([`${def.flag}=${v}`])[def.key]).toBe(v);
        expect(configError(def, v), `options.${def.key}: ${v}`).toBeUndefined();
      }
      for (const v of refused) {
        const f = flagError(def, String(v)) as Error;
        expect(isInputError(f), `${def.flag} ${v}: ${f}`).toBe(true);
        expect(f.message).toBe(`option ${def.flag}: ${def.expected}, got ${JSON.stringify(String(v))}`);
        const c = configError(def, v) as Error;
        expect(isInputError(c), `options.${def.key} ${v}: ${c}`).toBe(true);
        expect(c.message).toContain(`${FILE}: field options.${def.key}: ${def.expected}, got `);
      }
    },
  );

  it('property: random valid options pass the config schema and equal the flag parse of the same values', () => {
    const record = fc.record(Object.fromEntries(DEFS.map((d) => [d.key, validValues(d)])), {
      requiredKeys: [],
    });
    fc.assert(
      fc.property(record, fc.constantFrom<RunCommandName>('run-all', 'optimize'), (values, command) => {
        const config = parseConfig({ options: values }, FILE);
        expect(config.options).toEqual(values);
        const args = Object.entries(values).map(
          ([key, v]) => `${DEFS.find((d) => d.key === key)!.flag}=${v}`,
        );
        const flags = parseFlags(args, command);
        for (const [key, v] of Object.entries(values)) expect(flags[key]).toBe(v);
      }),
      { numRuns: 300 },
    );
  });

  it('property: random invalid values are refused by both paths with an InputError, never another error', () => {
    const invalid = fc.oneof(
      ...DEFS.map((def) =>
        fc.tuple(
          fc.constant(def),
          def.kind === 'number'
            ? fc.oneof(invalidNumbers(def.bounds), notANumber)
            : def.kind === 'choice'
              ? fc.oneof(
                  fc.string().filter((s) => !def.choices.includes(s)),
                  notANumber,
                )
              : fc.oneof(fc.constant(''), fc.integer(), fc.boolean(), fc.constant(null)),
        ),
      ),
    );
    fc.assert(
      fc.property(invalid, ([def, value]) => {
        const c = configError(def, value);
        expect(isInputError(c), `options.${def.key} = ${show(value)}: ${c}`).toBe(true);
        expect((c as Error).message).toContain(`field options.${def.key}: ${def.expected}`);
        // On the command line the same value is its text (only numbers and strings have one).
        if (typeof value === (def.kind === 'number' ? 'number' : 'string')) {
          const f = flagError(def, String(value));
          expect(isInputError(f), `${def.flag} ${show(value)}: ${f}`).toBe(true);
          expect((f as Error).message).toContain(`option ${def.flag}: ${def.expected}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: for any number or string on the command line, the flag and the config agree', () => {
    const raw = fc.oneof(
      fc.double().map((v) => String(v)),
      fc.integer({ min: -1000, max: 2_000_000 }).map(String),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.constantFrom(...DEFS), raw, (def, text) => {
        const f = flagError(def, text);
        if (f !== undefined) expect(isInputError(f), `${def.flag} ${text}: ${f}`).toBe(true);
        // The config holds the same value typed: a number for numeric options.
        const value = def.kind === 'number' ? (text.trim() === '' ? Number.NaN : Number(text)) : text;
        const c = configError(def, value);
        if (c !== undefined) expect(isInputError(c), `options.${def.key} ${text}: ${c}`).toBe(true);
        expect(f === undefined, `${def.flag} ${JSON.stringify(text)}`).toBe(c === undefined);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the step4 binary refuses every out-of-range option the same way on both paths', () => {
  const cases = DEFS.map((def) => {
    const bad =
      def.kind === 'number'
        ? def.bounds.max + (def.bounds.integer || def.bounds.even ? 2 : 1)
        : def.kind === 'choice'
          ? 'nope'
          : '';
    return [def.key, def, bad] as const;
  });
  it.each(cases)('%s', async (_key, def, bad) => {
    const dir = mkdtempSync(join(tmpdir(), 'step4-options-'));
    writeFileSync(join(dir, 'step4.config.json'), JSON.stringify({ options: { [def.key]: bad } }));
    const empty = mkdtempSync(join(tmpdir(), 'step4-options-'));
    const [flag, config] = await Promise.all([
      step4Async(['run-all', '--quiet', `${def.flag}=${bad}`], empty),
      step4Async(['run-all', '--quiet'], dir),
    ]);
    expect(flag.code, flag.stderr).toBe(2);
    expect(flag.stderr).toBe(
      `step4: error: option ${def.flag}: ${def.expected}, got ${JSON.stringify(String(bad))}\n`,
    );
    expect(config.code, config.stderr).toBe(2);
    expect(config.stderr.trim().split('\n')).toHaveLength(1);
    expect(config.stderr).toContain(`step4.config.json: field options.${def.key}: ${def.expected}, got `);
    expect(flag.stdout + config.stdout).toBe('');
  });
});

describe('options checked against the data (core prepareRun), before any work', () => {
  it.each([
    [
      ['--train-ratio', '0.1'],
      'step4: error: option --train-ratio: 0.1 puts 12 of the 120 aligned months in train; at least 24 train months are needed (use a larger ratio)',
    ],
    [
      ['--train-ratio', '0.95'],
      'step4: error: option --train-ratio: 0.95 leaves 6 of the 120 aligned months for test; at least 12 test months are needed (use a smaller ratio)',
    ],
  ])('%j', async (args, message) => {
    const work = mkdtempSync(join(tmpdir(), 'step4-split-'));
    const r = await step4Async(
      ['optimize', '--objective', 'return', '--quiet', '--out-dir', join(work, 'o'), ...args],
      work,
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`${message}\n`);
    expect(r.stdout).toBe('');
  });

  it('accepts the edges: exactly 24 train and 12 test months', async () => {
    // 0.2 x 120 = 24 train months, 0.9 x 120 = 108 (12 test months); --min-history-months 6 leaves
    // 12 walk-forward train months of the 18 train rows with features.
    const work = mkdtempSync(join(tmpdir(), 'step4-split-'));
    const base = ['optimize', '--objective', 'return', '--quiet', '--no-chart', '--jobs', '1'];
    const [low, high] = await Promise.all([
      step4Async(
        [...base, '--train-ratio', '0.2', '--min-history-months', '6', '--out-dir', join(work, 'low')],
        work,
      ),
      step4Async([...base, '--train-ratio', '0.9', '--out-dir', join(work, 'high')], work),
    ]);
    expect(low.code, low.stderr).toBe(0);
    expect(high.code, high.stderr).toBe(0);
  });
});
