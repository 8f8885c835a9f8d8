import { availableParallelism } from 'node:os';
import type { ParamRange } from './contract.js';

/**
 * The run options (of `step4 run-all` and `step4 optimize`, a config file's
 * `options`, a sweep's options and variants), each defined ONCE: its key,
 * its flag, its bounds, its default and its description. The command-line
 * flags, the config file's `options` schema and the sweep file's schema are
 * all derived from this list, so they accept and refuse exactly the same
 * values with the same message.
 *
 * This module holds no validation code: the zod schema of each option is
 * built from its definition in `@step4/core/run-option-schemas`, loaded only
 * where option values are parsed, so `step4 --help` does not load zod.
 */

/** The commands that take run options (they differ in some defaults). */
export type RunCommandName = 'run-all' | 'optimize';

/** Bounds of a numeric option; its zod schema and its error message are built from them. */
export interface NumberBounds extends Readonly<ParamRange> {
  /** An even integer (the CSCV behind the PBO splits the months into two halves). */
  readonly even?: boolean;
}

/** A default, fixed or depending on the command. */
type Default<T> = T | ((command: RunCommandName) => T);

interface DefBase<K extends string, D> {
  /** Name in the config file's `options` and in the parsed command-line options. */
  readonly key: K;
  /** The flag, e.g. `--start-capital`. */
  readonly flag: string;
  /** The flag's value name in the help, e.g. `<k>`. */
  readonly valueName: string;
  readonly description: string;
  /** What a valid value is, e.g. `expected an integer >= 1 and <= 120`. */
  readonly expected: string;
  readonly default: D;
}

export interface NumberOptionDef<K extends string = string, D = Default<number> | undefined>
  extends DefBase<K, D> {
  readonly kind: 'number';
  readonly bounds: NumberBounds;
}

export interface ChoiceOptionDef<
  K extends string = string,
  D = Default<string> | undefined,
  C extends readonly [string, ...string[]] = readonly [string, ...string[]],
> extends DefBase<K, D> {
  readonly kind: 'choice';
  readonly choices: C;
}

export interface StringOptionDef<K extends string = string, D = Default<string> | undefined>
  extends DefBase<K, D> {
  readonly kind: 'string';
}

/** An on/off option; the flag turns it off (`--no-<name>`), the config sets `true` or `false`. */
export interface BooleanOptionDef<K extends string = string, D = Default<boolean>> extends DefBase<K, D> {
  readonly kind: 'boolean';
}

export type RunOptionDef = NumberOptionDef | ChoiceOptionDef | StringOptionDef | BooleanOptionDef;

/** `expected an integer >= 1 and <= 120` and the like. */
export function describeBounds(b: NumberBounds): string {
  const what = b.even ? 'an even integer' : b.integer ? 'an integer' : 'a number';
  return `expected ${what} ${b.minExclusive ? '>' : '>='} ${b.min} and ${b.maxExclusive ? '<' : '<='} ${b.max}`;
}

function numberOption<K extends string, D extends Default<number> | undefined = undefined>(
  key: K,
  flag: string,
  valueName: string,
  description: string,
  bounds: NumberBounds,
  dflt?: D,
): NumberOptionDef<K, D> {
  const expected = describeBounds(bounds);
  return {
    kind: 'number',
    key,
    flag,
    valueName,
    description,
    bounds,
    expected,
    default: dflt as D,
  };
}

function choiceOption<K extends string, const C extends readonly [string, ...string[]], D extends C[number]>(
  key: K,
  flag: string,
  valueName: string,
  description: string,
  choices: C,
  dflt: D,
): ChoiceOptionDef<K, D, C> {
  return {
    kind: 'choice',
    key,
    flag,
    valueName,
    description,
    choices,
    expected: `expected one of ${choices.join(', ')}`,
    default: dflt,
  };
}

function stringOption<K extends string, D extends Default<string> | undefined>(
  key: K,
  flag: string,
  valueName: string,
  description: string,
  dflt: D,
): StringOptionDef<K, D> {
  return {
    kind: 'string',
    key,
    flag,
    valueName,
    description,
    expected: 'expected a non-empty string',
    default: dflt,
  };
}

function booleanOption<K extends string>(
  key: K,
  /** `--no-<name>` for an option that is on by default, `--<name>` for one that is off. */
  flag: `--${string}`,
  description: string,
  dflt: boolean,
): BooleanOptionDef<K, boolean> {
  return {
    kind: 'boolean',
    key,
    flag,
    valueName: '',
    description,
    expected: 'expected true or false',
    default: dflt,
  };
}

/** One worker per core, at most 8: candidates are small and independent. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** Every run option, in the order of the help and of the config file's JSON Schema. */
export const RUN_OPTIONS = [
  stringOption(
    'outDir',
    '--out-dir',
    '<dir>',
    'output folder (replaced as a whole when the run succeeds)',
    (command: RunCommandName) => (command === 'run-all' ? 'step4_out' : 'step4_optimize_out'),
  ),
  // At most 1e12: far above any account, and low enough that equity curves and scores stay finite.
  numberOption(
    'startCapital',
    '--start-capital',
    '<k>',
    'start capital',
    { min: 0, minExclusive: true, max: 1e12 },
    10_000,
  ),
  // Too few train or test months for the data is refused by core's prepareRun (it knows the panel length).
  numberOption(
    'trainRatio',
    '--train-ratio',
    '<r>',
    'share of aligned months in train',
    { min: 0, minExclusive: true, max: 0.99 },
    0.6,
  ),
  numberOption(
    'minHistoryMonths',
    '--min-history-months',
    '<n>',
    'history rows before the first decision',
    { integer: true, min: 1, max: 600 },
    24,
  ),
  // Below 100 samples the 10th percentile of the bootstrap is noise (0 samples made the gate always pass).
  numberOption(
    'bootstrapSamples',
    '--bootstrap-samples',
    '<n>',
    'bootstrap samples',
    { integer: true, min: 100, max: 1_000_000 },
    (command: RunCommandName) => (command === 'run-all' ? 1200 : 1000),
  ),
  numberOption(
    'bootstrapBlockMonths',
    '--bootstrap-block-months',
    '<n>',
    'bootstrap block length',
    { integer: true, min: 1, max: 120 },
    6,
  ),
  choiceOption(
    'bootstrapMethod',
    '--bootstrap-method',
    '<name>',
    'circular blocks (the reference) or the stationary bootstrap',
    ['circular', 'stationary'],
    'circular',
  ),
  numberOption(
    'maxDrawdownCap',
    '--max-drawdown-cap',
    '<x>',
    "gate: max test drawdown (default: the objective's reference cap)",
    { min: 0, minExclusive: true, max: 1 },
  ),
  numberOption(
    'promoteDdCap',
    '--promote-dd-cap',
    '<x>',
    'promotion: max test drawdown of a promoted run',
    { min: 0, minExclusive: true, max: 1 },
    0.3,
  ),
  numberOption(
    'seed',
    '--seed',
    '<n>',
    'seed of every random source',
    { integer: true, min: 0, max: 0xffffffff },
    42,
  ),
  numberOption(
    'jobs',
    '--jobs',
    '<n>',
    'threads simulating candidates: this one and n - 1 worker threads (1 = this process only)',
    { integer: true, min: 1, max: 256 },
    () => defaultJobs(),
  ),
  // At most 10 000 bps (100% a year), the bound of the candidates' own cost parameters.
  numberOption(
    'financingBpsPerYear',
    '--financing-bps-per-year',
    '<bps>',
    'yearly financing rate of leverage above 1, in basis points (0 = the reference)',
    { min: 0, max: 10_000 },
    0,
  ),
  numberOption(
    'pboBlocks',
    '--pbo-blocks',
    '<S>',
    'blocks S of the CSCV behind the probability of backtest overfitting (even)',
    { integer: true, even: true, min: 2, max: 24 },
    16,
  ),
  numberOption(
    'maxPbo',
    '--max-pbo',
    '<x>',
    'optional gate: objective runs whose PBO is above x are not promoted',
    { min: 0, max: 1 },
  ),
  numberOption(
    'minDsr',
    '--min-dsr',
    '<x>',
    'optional gate: candidates whose deflated Sharpe ratio is below x fail the gate',
    { min: 0, max: 1 },
  ),
  // Up to 100% a year: far above any real bill rate, and a typo such as 4 for 4% is refused.
  numberOption(
    'riskFreeAnnual',
    '--risk-free-annual',
    '<rate>',
    'yearly risk-free rate (0.04 = 4%); Sharpe ratios, PSR and DSR use returns in excess of it (0 = the reference)',
    { min: -0.1, max: 1 },
    0,
  ),
  stringOption(
    'riskFreeTable',
    '--risk-free-table',
    '<file>',
    'monthly risk-free returns (CSV or Parquet with month_end, ret), instead of --risk-free-annual',
    undefined,
  ),
  numberOption(
    'spaReplications',
    '--spa-replications',
    '<n>',
    "bootstrap replications of Hansen's SPA test and the StepM set (0 skips them)",
    { integer: true, min: 0, max: 1_000_000 },
    10_000,
  ),
  // Plugins are trusted code, but a quick conformance check catches the usual contract breaks first.
  booleanOption(
    'pluginCheck',
    '--no-plugin-check',
    'skip the quick conformance check of plugin families before simulating',
    true,
  ),
  // A failed candidate is reported and skipped by default; CI jobs that must notice it turn this on.
  booleanOption(
    'failOnCandidateError',
    '--fail-on-candidate-error',
    'exit with code 3 (after writing the outputs) when any candidate failed',
    false,
  ),
] as const;

/** Every run option's definition, as its own type. */
export type Def = (typeof RUN_OPTIONS)[number];
/** The value type of an option. */
type ValueOf<D extends Def> = D extends { kind: 'number' }
  ? number
  : D extends { kind: 'boolean' }
    ? boolean
    : D extends ChoiceOptionDef<string, unknown, infer C>
      ? C[number]
      : string;
type KeysWithDefault = Extract<
  Def,
  { default: number | string | boolean | ((command: RunCommandName) => unknown) }
>['key'];

/** The parsed run options: those with a default are always set, the others may be missing. */
export type RunOptionValues = {
  -readonly [D in Def as D['key'] extends KeysWithDefault ? D['key'] : never]: ValueOf<D>;
} & {
  -readonly [D in Def as D['key'] extends KeysWithDefault ? never : D['key']]?: ValueOf<D>;
};

/** The default of an option for a command (undefined: the option is off unless given). */
export function defaultOf(def: RunOptionDef, command: RunCommandName): number | string | boolean | undefined {
  const d = def.default as Default<number | string | boolean> | undefined;
  return typeof d === 'function' ? d(command) : d;
}
