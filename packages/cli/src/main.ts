import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InputError,
  OBJECTIVES,
  type ObjectiveName,
  type EvaluatedCandidate,
  isInputError,
  supportedSleeves,
  validateGrid,
} from '@step4/core';
import { type RunResult, type SleeveSource, runStep4 } from '@step4/engine';
import {
  checkOutDir,
  runReportDocument,
  stableJson,
  summaryDocument,
  rebuildTearSheets,
  writeOptimizeOutputs,
  writeRunAllOutputs,
} from '@step4/report';
import { Command, CommanderError, Option } from 'commander';
import {
  type LoadedConfig,
  configJsonSchema,
  familyReferences,
  gridFromConfig,
  loadConfig,
  registryFromConfig,
} from './config.js';
import { type RunCommandName, type RunOptionValues, addRunOptions } from './options.js';
import { checkCommand, quickPluginCheck } from './check.js';
import { scaffoldFamily } from './scaffold.js';
import { registerSweepCommands } from './sweep-commands.js';
import { type Interrupts, handleInterrupts } from './signals.js';
import { progressReporter } from './progress.js';
import { formatCandidates, formatFamilies, formatOptimizeSummary, formatRunAllSummary } from './summary.js';

const cliPackage = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

/** The output writer's version, recorded in the manifest beside the engine's packages. */
const REPORT_VERSION = (
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@step4/report/package.json'), 'utf8')) as {
    version: string;
  }
).version;

const embedded = (file: string) => fileURLToPath(new URL(`../data/${file}`, import.meta.url));

/** The embedded real sleeves of the reference run (shipped in the package's `data/`): SPY+QQQ and BTC+ETH. */
export const EMBEDDED_SLEEVES = [
  { name: 'spyqqq', file: embedded('sleeve_spyqqq_monthly.csv') },
  { name: 'btceth', file: embedded('sleeve_btceth_monthly.csv') },
] as const;

/**
 * Every embedded sleeve table by name (data/SOURCES.md), the four single-asset
 * ones included: use one as `--sleeve spy=embedded:spy` or as a config path.
 */
export const EMBEDDED_SLEEVE_TABLES: Readonly<Record<string, string>> = {
  spy: embedded('sleeve_spy_monthly.csv'),
  qqq: embedded('sleeve_qqq_monthly.csv'),
  btc: embedded('sleeve_btc_monthly.csv'),
  eth: embedded('sleeve_eth_monthly.csv'),
  spyqqq: embedded('sleeve_spyqqq_monthly.csv'),
  btceth: embedded('sleeve_btceth_monthly.csv'),
};

/** `embedded:<name>` -> the shipped table's path; anything else is a path as given. */
function embeddedPath(path: string, field: string): { file: string; embedded: boolean } {
  if (!path.startsWith('embedded:')) return { file: path, embedded: false };
  const name = path.slice('embedded:'.length);
  const file = EMBEDDED_SLEEVE_TABLES[name];
  if (!file) {
    throw new InputError(
      `${field}: no embedded sleeve ${JSON.stringify(name)} (embedded: ${Object.keys(EMBEDDED_SLEEVE_TABLES).join(', ')})`,
      { field },
    );
  }
  return { file, embedded: true };
}

/** The command-line-only options, and the run options of the one definition in options.ts. */
type CommonOptions = RunOptionValues & {
  config?: string;
  sleeve?: string[];
  spyqqqMonthly?: string;
  btcethMonthly?: string;
  chart: boolean;
  quiet?: boolean;
  json?: boolean;
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function addCommonOptions(cmd: Command, command: RunCommandName): Command {
  cmd
    .option(
      '--config <file>',
      'config file (default: step4.config.{json,mjs,js,ts} in the working directory)',
    )
    .option(
      '--sleeve <name=path>',
      'a sleeve table (CSV or Parquet, or embedded:<name>); repeat for each sleeve (two or more), in order',
      collect,
    )
    .option('--spyqqq-monthly <path>', 'alias of --sleeve spyqqq=<path> (reference option)')
    .option('--btceth-monthly <path>', 'alias of --sleeve btceth=<path> (reference option)');
  return addRunOptions(cmd, command)
    .option('--no-chart', 'skip the PNG charts')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'machine-readable result on stdout');
}

/** The sleeves from --sleeve / the reference aliases, else the config's, else the two embedded ones. */
export function sleeveInputs(
  o: CommonOptions,
  configSleeves?: readonly { name: string; path: string }[],
  configDir = process.cwd(),
): { name: string; file: string; embedded: boolean }[] {
  const given: { name: string; file: string; embedded: boolean }[] = [];
  for (const spec of o.sleeve ?? []) {
    const m = /^([a-z][a-z0-9_]*)=(.+)$/.exec(spec);
    if (!m)
      throw new InputError(
        `option --sleeve: expected <name>=<path> with a lower-case name, got ${JSON.stringify(spec)}`,
        { field: '--sleeve' },
      );
    given.push({ name: m[1], ...embeddedPath(m[2], 'option --sleeve') });
  }
  if (o.spyqqqMonthly) given.push({ name: 'spyqqq', file: o.spyqqqMonthly, embedded: false });
  if (o.btcethMonthly) given.push({ name: 'btceth', file: o.btcethMonthly, embedded: false });
  let out = given;
  if (given.length === 0 && configSleeves)
    out = configSleeves.map((s, i) => {
      const e = embeddedPath(s.path, `config field options.sleeves.${i}.path`);
      return { name: s.name, file: e.embedded ? e.file : resolve(configDir, s.path), embedded: e.embedded };
    });
  else if (given.length === 0) return EMBEDDED_SLEEVES.map((s) => ({ ...s, embedded: true }));
  if (out.length < 2) {
    throw new InputError(`expected at least two sleeves (--sleeve name=path, repeated), got ${out.length}`, {
      field: '--sleeve',
    });
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.name))
      throw new InputError(`two sleeves are named ${s.name}; sleeve names must be unique`, {
        field: '--sleeve',
      });
    seen.add(s.name);
  }
  return out;
}

/** The sleeves as the engine loads them; embedded tables are named `embedded:<file>` in outputs. */
function sleeveSources(o: CommonOptions, loaded: LoadedConfig): SleeveSource[] {
  return sleeveInputs(o, loaded.config.options.sleeves, loaded.dir).map((s) => ({
    name: s.name,
    path: s.file,
    ...(s.embedded ? { label: `embedded:${s.file.split(/[\\/]/).pop()}` } : {}),
  }));
}

/** Run options from the config file where the command line left the default. */
function withConfigOptions<T extends CommonOptions>(cmd: Command, o: T, loaded: LoadedConfig): T {
  const out = { ...o } as Record<string, unknown>;
  for (const [key, value] of Object.entries(loaded.config.options)) {
    if (key === 'sleeves' || value === undefined) continue;
    if (cmd.getOptionValueSource(key) !== 'cli')
      out[key] = key === 'outDir' || key === 'riskFreeTable' ? resolve(loaded.dir, String(value)) : value;
  }
  return out as T;
}

/** One run through the engine: the CLI only gathers what the config and flags ask for. */
async function simulate(
  o: CommonOptions,
  loaded: LoadedConfig,
  objectives: readonly ObjectiveName[],
  label: string,
): Promise<RunResult> {
  const sleeves = sleeveSources(o, loaded);
  const registry = await registryFromConfig(loaded);
  // Before the grid is built, so no plugin code runs between building and simulating it.
  const pluginChecks = await quickPluginCheck(registry, loaded, o.pluginCheck !== false, o.seed);
  const progress = progressReporter(label, o.quiet === true || o.json === true);
  const result = await runStep4({
    sleeves,
    families: familyReferences(loaded),
    registry,
    grid: (r, universe) => gridFromConfig(r, loaded, universe),
    options: o,
    objectives,
    jobs: o.jobs,
    tool: { name: 'step4', version: cliPackage.version },
    packages: { [cliPackage.name]: cliPackage.version, '@step4/report': REPORT_VERSION },
    pluginChecks,
    onProgress: progress,
  });
  progress.done();
  return result;
}

/** The sleeve names a grid is built for (names only: nothing is loaded). */
function universeOf(o: { sleeve?: string[] }, loaded: LoadedConfig) {
  return {
    names: sleeveInputs(o as CommonOptions, loaded.config.options.sleeves, loaded.dir).map((s) => s.name),
  };
}

/** SIGINT/SIGTERM handling of the running command; installed only by the commands that write outputs. */
let interrupts: Interrupts | undefined;

/**
 * The output folder, checked by the output-folder rule before any work: the
 * files this run reads (sleeve tables, the config) may never be inside it.
 */
async function checkedOutDir(o: CommonOptions, loaded: LoadedConfig): Promise<string> {
  interrupts ??= handleInterrupts();
  const inputs = sleeveInputs(o, loaded.config.options.sleeves, loaded.dir).map((s) => s.file);
  if (o.riskFreeTable) inputs.push(o.riskFreeTable);
  await checkOutDir(o.outDir, { protect: loaded.file ? [...inputs, loaded.file] : inputs });
  return resolve(o.outDir);
}

async function runAllCommand(cmd: Command): Promise<void> {
  const loaded = await loadConfig((cmd.opts() as CommonOptions).config);
  const o = withConfigOptions(cmd, cmd.opts() as CommonOptions, loaded);
  const outDir = await checkedOutDir(o, loaded);
  const result = await simulate(o, loaded, OBJECTIVES, 'run-all');
  const finalOutputs = await interrupts!.whileWriting(
    writeRunAllOutputs(outDir, result, result.manifest, { chart: o.chart, signal: interrupts!.signal }),
  );
  if (o.json)
    process.stdout.write(
      stableJson({ out_dir: outDir, ...runReportDocument(result, result.manifest, finalOutputs) }),
    );
  else process.stdout.write(formatRunAllSummary(result, outDir, result.analysis));
  failOnCandidateErrors(o, result.evaluated);
}

async function optimizeCommand(cmd: Command): Promise<void> {
  const loaded = await loadConfig((cmd.opts() as CommonOptions).config);
  const o = withConfigOptions(cmd, cmd.opts() as CommonOptions & { objective: ObjectiveName }, loaded);
  const outDir = await checkedOutDir(o, loaded);
  const result = await simulate(o, loaded, [o.objective], `optimize ${o.objective}`);
  const run = result.runs[0];
  await interrupts!.whileWriting(
    writeOptimizeOutputs(outDir, run, result, result.manifest, {
      chart: o.chart,
      signal: interrupts!.signal,
    }),
  );
  if (o.json)
    process.stdout.write(stableJson({ out_dir: outDir, ...summaryDocument(run, result, result.manifest) }));
  else process.stdout.write(formatOptimizeSummary(run, result, outDir, result.analysis));
  failOnCandidateErrors(o, result.evaluated);
}

/** `--fail-on-candidate-error`: failed candidates end the run with exit code 3 (outputs are written). */
class CandidateFailures extends Error {
  override readonly name = 'CandidateFailures';
}

function failOnCandidateErrors(
  o: CommonOptions,
  evaluated: readonly { config: { name: string }; family: { name: string }; error?: string }[],
): void {
  const failed = evaluated.filter((c) => c.error !== undefined);
  if (!o.failOnCandidateError || failed.length === 0) return;
  const first = failed[0];
  throw new CandidateFailures(
    `${failed.length} of ${evaluated.length} candidates failed (--fail-on-candidate-error); first: ${first.error?.startsWith('family ') ? first.error : `family ${first.family.name}, candidate ${first.config.name}: ${first.error}`}`,
  );
}

export function buildProgram(): Command {
  const program = new Command('step4')
    .description(
      'Step 4 allocator: walk-forward allocation between two or more strategy sleeves, scored, gated and promoted.',
    )
    .version(cliPackage.version)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`step4: ${str.replace(/\s*\n\s*(?=.)/g, ' ')}`) });

  addCommonOptions(
    program.command('run-all').description('run every objective, promote a best run and a best dynamic run'),
    'run-all',
  ).action(async (_o, cmd: Command) => runAllCommand(cmd));

  addCommonOptions(
    program
      .command('optimize')
      .description('run the candidate search for one objective')
      .addOption(
        new Option('--objective <name>', 'objective').choices([...OBJECTIVES]).makeOptionMandatory(),
      ),
    'optimize',
  ).action(async (_o, cmd: Command) => optimizeCommand(cmd));

  program
    .command('families')
    .description(
      'list the registered candidate families: source package, parameters with defaults, grid size',
    )
    .option('--config <file>', 'config file (default: step4.config.* in the working directory)')
    .option(
      '--sleeve <name=path>',
      "a sleeve of the run the grids are for (repeat; default: the config's or the embedded two)",
      collect,
    )
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean; config?: string; sleeve?: string[] }) => {
      const loaded = await loadConfig(o.config);
      const registry = await registryFromConfig(loaded);
      const grid = gridFromConfig(registry, loaded, universeOf(o, loaded));
      if (o.json) {
        process.stdout.write(
          stableJson(
            registry.list().map(({ family, source }) => ({
              name: family.meta.name,
              version: family.meta.version,
              core_api: family.meta.coreApi,
              sleeves: supportedSleeves(family),
              source,
              params: family.params,
              grid_size: grid.filter((c) => c.method === family.meta.name).length,
              grid: grid.filter((c) => c.method === family.meta.name).map((c) => c.name),
            })),
          ),
        );
      } else process.stdout.write(formatFamilies(registry, grid));
    });

  program
    .command('check')
    .description(
      'run the conformance kit on every configured family (built-ins and plugins); exit 2 if one fails',
    )
    .option('--config <file>', 'config file (default: step4.config.* in the working directory)')
    .option('--quick', 'the quick check run-all and optimize make (a few candidates, shorter panels)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean; quick?: boolean; config?: string }) => checkCommand(o));

  program
    .command('candidates')
    .description('list the resolved candidate grid, in run order, with every parameter')
    .option('--config <file>', 'config file (default: step4.config.* in the working directory)')
    .option(
      '--sleeve <name=path>',
      "a sleeve of the run the grid is for (repeat; default: the config's or the embedded two)",
      collect,
    )
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean; config?: string; sleeve?: string[] }) => {
      const loaded = await loadConfig(o.config);
      const registry = await registryFromConfig(loaded);
      const grid = gridFromConfig(registry, loaded, universeOf(o, loaded));
      validateGrid(grid, registry);
      if (o.json) process.stdout.write(stableJson(grid));
      else process.stdout.write(formatCandidates(grid));
    });

  program
    .command('new-family <name>')
    .description('scaffold a candidate family package (source, conformance test, README, package.json)')
    .option('--dir <dir>', 'where to create it (default: ./step4-family-<name>)')
    .option('--ts', 'a TypeScript package (tsconfig, build to dist/ with types, TypeScript test)')
    .action(async (name: string, o: { dir?: string; ts?: boolean }) => {
      const dir = resolve(o.dir ?? `step4-family-${name.replace(/_/g, '-')}`);
      await scaffoldFamily(name, dir, cliPackage.version, { typescript: o.ts === true });
      process.stdout.write(
        `created ${dir}\nnext: npm install ${dir} in your project and name the package in step4.config.json plugins (its README says more)\n`,
      );
    });

  program
    .command('report <out-dir>')
    .description(
      'rebuild the HTML tear sheet of every run folder of an existing output folder, without simulating again',
    )
    .option('--quiet', 'print nothing on success')
    .option('--json', 'machine-readable output')
    .action(async (outDir: string, o: { quiet?: boolean; json?: boolean }) => {
      interrupts ??= handleInterrupts();
      const pages = await interrupts.whileWriting(rebuildTearSheets(outDir, { signal: interrupts.signal }));
      if (o.json) process.stdout.write(stableJson({ out_dir: resolve(outDir), pages }));
      else if (!o.quiet)
        process.stdout.write(`${pages.map((p) => `${join(resolve(outDir), p)}\n`).join('')}`);
    });

  program
    .command('config-schema')
    .description('print the JSON Schema of step4.config.json (also shipped as step4.config.schema.json)')
    .action(() => {
      process.stdout.write(stableJson(configJsonSchema()));
    });
  registerSweepCommands(program);
  return program;
}

/**
 * Exit code of a failed write to stdout, once one happened. EPIPE (the reader
 * left early, e.g. `step4 families | head -1`) is not a failure: the command
 * ends quietly with code 0, like a reader that read everything. Any other
 * failure (ENOSPC, EIO: the output is lost) is one line on stderr and code 1.
 */
let stdoutFailure: number | undefined;
let stdioGuarded = false;

function guardStdio(): void {
  if (stdioGuarded) return;
  stdioGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (stdoutFailure !== undefined) return;
    stdoutFailure = e.code === 'EPIPE' ? 0 : 1;
    if (stdoutFailure === 0) return;
    process.stderr.write(`step4: error: cannot write to stdout (${oneLine(e.message)})\n`);
    // The error usually arrives after main() returned: raise the exit code it set.
    process.exitCode = Math.max(Number(process.exitCode ?? 0), stdoutFailure);
  });
  // Nothing is left to report a failed write to stderr to (e.g. `step4 run-all 2>&1 | head -1`).
  process.stderr.on('error', () => {});
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Run the CLI; resolves to the exit code (0 ok, 2 bad input, 1 internal failure). */
export async function main(argv: string[]): Promise<number> {
  guardStdio();
  try {
    await buildProgram().parseAsync(argv);
    return stdoutFailure ?? 0;
  } catch (e) {
    // Interrupted: the signal handler has said so and exits once the output writer has cleaned up.
    const interruptedCode = interrupts?.exitCode();
    if (interruptedCode !== undefined) return interruptedCode;
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors are bad input.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CandidateFailures) {
      process.stderr.write(`step4: error: ${e.message.split('\n')[0]}\n`);
      return 3;
    }
    if (isInputError(e)) {
      process.stderr.write(`step4: error: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`step4: internal error: ${oneLine(err?.message ?? String(e))}\n`);
    if (process.env.STEP4_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 1;
  } finally {
    interrupts?.dispose();
    interrupts = undefined;
  }
}
