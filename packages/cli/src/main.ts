import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type FamilyRegistry,
  InputError,
  OBJECTIVES,
  type ObjectiveName,
  RUN_ALL_DD_CAPS,
  type RunAllResult,
  type SleeveTable,
  alignSleeves,
  isInputError,
  loadSleeveTable,
  type CandidateConfig,
  type EvaluatedCandidate,
  validateGrid,
  decisionGroups,
  evaluateCandidates,
  prepareRun,
  runInWorkers,
  scoreRunAll,
} from '@step4/core';
import {
  type RunManifest,
  checkOutDir,
  runReportDocument,
  stableJson,
  summaryDocument,
  writeOptimizeOutputs,
  writeRunAllOutputs,
} from '@step4/report';
import {
  type OverfittingAnalysis,
  analyseOverfitting,
  deflatedSharpeJson,
  objectiveOverfittingJson,
  referenceRobustness,
  runOverfittingJson,
} from '@step4/robustness';
import { Command, CommanderError, Option } from 'commander';
import {
  type LoadedConfig,
  configJsonSchema,
  gridFromConfig,
  loadConfig,
  registryFromConfig,
} from './config.js';
import { type RunCommandName, type RunOptionValues, addRunOptions } from './options.js';
import { checkCommand, quickPluginCheck } from './check.js';
import { scaffoldFamily } from './scaffold.js';
import { type Interrupts, handleInterrupts } from './signals.js';
import { progressReporter } from './progress.js';
import { formatCandidates, formatFamilies, formatOptimizeSummary, formatRunAllSummary } from './summary.js';

const require = createRequire(import.meta.url);
const cliPackage = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

/** Where the embedded real sleeves live (shipped in the package's `data/`). */
export const EMBEDDED_SLEEVES = [
  { name: 'spyqqq', file: fileURLToPath(new URL('../data/sleeve_spyqqq_monthly.csv', import.meta.url)) },
  { name: 'btceth', file: fileURLToPath(new URL('../data/sleeve_btceth_monthly.csv', import.meta.url)) },
] as const;

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
      'a sleeve table (CSV or Parquet); give exactly two, the first is sleeve A',
      collect,
    )
    .option('--spyqqq-monthly <path>', 'alias of --sleeve spyqqq=<path> (reference option)')
    .option('--btceth-monthly <path>', 'alias of --sleeve btceth=<path> (reference option)');
  return addRunOptions(cmd, command)
    .option('--no-chart', 'skip the PNG charts')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'machine-readable result on stdout');
}

/** The two sleeves from --sleeve / the reference aliases, or the embedded ones. */
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
    given.push({ name: m[1], file: m[2], embedded: false });
  }
  if (o.spyqqqMonthly) given.push({ name: 'spyqqq', file: o.spyqqqMonthly, embedded: false });
  if (o.btcethMonthly) given.push({ name: 'btceth', file: o.btcethMonthly, embedded: false });
  if (given.length === 0 && configSleeves)
    return configSleeves.map((s) => ({ name: s.name, file: resolve(configDir, s.path), embedded: false }));
  if (given.length === 0) return EMBEDDED_SLEEVES.map((s) => ({ ...s, embedded: true }));
  if (given.length !== 2) {
    throw new InputError(
      `expected exactly two sleeves (--sleeve name=path twice, or --spyqqq-monthly and --btceth-monthly), got ${given.length}`,
    );
  }
  if (given[0].name === given[1].name)
    throw new InputError(`the two sleeves have the same name ${given[0].name}`);
  return given;
}

async function loadPanel(o: CommonOptions, loaded: LoadedConfig) {
  const inputs = sleeveInputs(o, loaded.config.options.sleeves, loaded.dir);
  const tables: SleeveTable[] = [];
  for (const s of inputs) {
    const t = await loadSleeveTable(s.file, s.name);
    tables.push(s.embedded ? { ...t, source: `embedded:${s.file.split(/[\\/]/).pop()}` } : t);
  }
  return alignSleeves(tables[0], tables[1]);
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = { [cliPackage.name]: cliPackage.version };
  for (const name of ['@step4/core', '@step4/robustness', '@step4/report']) {
    try {
      out[name] = (
        JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }
      ).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

function manifestOf(
  o: CommonOptions,
  result: RunAllResult,
  registry: FamilyRegistry,
  samples: number,
  analysis: OverfittingAnalysis,
  notPromotable: Partial<Record<ObjectiveName, string>>,
): RunManifest {
  const { panel } = result.prepared;
  return {
    tool: { name: 'step4', version: cliPackage.version },
    startCapital: o.startCapital,
    trainRatio: o.trainRatio,
    minHistoryMonths: o.minHistoryMonths,
    seed: o.seed,
    bootstrap: {
      samples,
      blockMonths: o.bootstrapBlockMonths,
      method: o.bootstrapMethod === 'stationary' ? 'stationary' : 'circular_block',
    },
    promoteDdCap: o.promoteDdCap,
    sleeves: panel.names.map((name, i) => ({ name, source: panel.sources[i], sha256: panel.sha256[i] })),
    families: registry
      .list()
      .map(({ family, source }) => ({ name: family.meta.name, version: family.meta.version, source })),
    packages: packageVersions(),
    generatedAt: new Date().toISOString(),
    options: {
      financing_bps_per_year: o.financingBpsPerYear,
      pbo_blocks: o.pboBlocks,
      max_pbo: o.maxPbo ?? null,
      min_dsr: o.minDsr ?? null,
    },
    extras: {
      summary: (run) => ({ overfitting: objectiveOverfittingJson(analysis, run) }),
      candidate: (name) => {
        const d = analysis.dsr.get(name);
        return d ? { deflated_sharpe: deflatedSharpeJson(d) } : undefined;
      },
      runReport: {
        overfitting: runOverfittingJson(analysis, result.runs),
        not_promotable: notPromotable,
      },
    },
  };
}

/** Run options from the config file where the command line left the default. */
function withConfigOptions<T extends CommonOptions>(cmd: Command, o: T, loaded: LoadedConfig): T {
  const out = { ...o } as Record<string, unknown>;
  for (const [key, value] of Object.entries(loaded.config.options)) {
    if (key === 'sleeves' || value === undefined) continue;
    if (cmd.getOptionValueSource(key) !== 'cli')
      out[key] = key === 'outDir' ? resolve(loaded.dir, String(value)) : value;
  }
  return out as T;
}

async function simulate(
  o: CommonOptions,
  loaded: LoadedConfig,
  samples: number,
  objectives: readonly ObjectiveName[],
  label: string,
) {
  const panel = await loadPanel(o, loaded);
  const prepared = prepareRun(panel, {
    startCapital: o.startCapital,
    trainRatio: o.trainRatio,
    minHistory: o.minHistoryMonths,
    seed: o.seed,
    financingBpsPerYear: o.financingBpsPerYear,
  });
  const registry = await registryFromConfig(loaded);
  // Before the grid is built, so no plugin code runs between building and simulating it.
  const pluginChecks = await quickPluginCheck(registry, loaded, o.pluginCheck !== false, o.seed);
  const grid = gridFromConfig(registry, loaded);
  validateGrid(grid, registry);
  const progress = progressReporter(label, o.quiet === true || o.json === true);
  const ddCaps = Object.fromEntries(objectives.map((obj) => [obj, o.maxDrawdownCap ?? RUN_ALL_DD_CAPS[obj]]));
  const bootstrap = { samples, blockMonths: o.bootstrapBlockMonths, seed: o.seed, method: o.bootstrapMethod };
  let evaluated: EvaluatedCandidate[];
  if (o.jobs > 1 && grid.length > 1) {
    // Each candidate is simulated in a worker; results come back in grid order, identical to a serial run.
    // Candidates that share decisions (e.g. an ML fit used by every leverage cap) go to one worker.
    let done = 0;
    const groups = decisionGroups(grid);
    const results = await runInWorkers<CandidateConfig[], EvaluatedCandidate[]>({
      workerUrl: new URL('./worker.js', import.meta.url),
      workerData: { panel, options: prepared.options, bootstrap, configFile: loaded.file },
      tasks: groups,
      jobs: o.jobs,
      onResult: (_i, cs) => {
        for (const c of cs)
          progress({ done: ++done, total: grid.length, candidate: c.config.name, error: c.error });
      },
    });
    const byName = new Map(results.flat().map((c) => [c.config.name, c]));
    evaluated = grid.map((c) => byName.get(c.name)!);
  } else {
    evaluated = await evaluateCandidates(grid, registry, prepared, referenceRobustness(bootstrap), progress);
  }
  // Overfitting statistics (PBO, DSR, the selection-honest run) do not depend on the selection,
  // so they are computed first and can act as optional gates.
  const analysis = analyseOverfitting(evaluated, {
    split: prepared.split,
    startCapital: o.startCapital,
    bootstrap,
    pboBlocks: o.pboBlocks,
    objectives: objectives.map((objective) => ({ objective, ddCap: ddCaps[objective] })),
  });
  const minDsr = o.minDsr;
  const notPromotable: Partial<Record<ObjectiveName, string>> = {};
  if (o.maxPbo !== undefined) {
    for (const objective of objectives) {
      const pbo = analysis.perObjective[objective]?.pbo.pbo ?? 0;
      if (pbo > o.maxPbo) notPromotable[objective] = `PBO ${pbo.toFixed(3)} is above --max-pbo ${o.maxPbo}`;
    }
  }
  const result = scoreRunAll(evaluated, registry, prepared, {
    objectives,
    ddCaps,
    promoteDdCap: o.promoteDdCap,
    notPromotable,
    extraGates:
      minDsr === undefined
        ? undefined
        : (c) =>
            (analysis.dsr.get(c.config.name)?.deflatedSharpeRatio ?? 0) >= minDsr
              ? []
              : ['deflated_sharpe_ratio'],
  });

  progress.done();
  return { result, registry, analysis, notPromotable, pluginChecks };
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
  await checkOutDir(o.outDir, { protect: loaded.file ? [...inputs, loaded.file] : inputs });
  return resolve(o.outDir);
}

async function runAllCommand(cmd: Command): Promise<void> {
  const loaded = await loadConfig((cmd.opts() as CommonOptions).config);
  const o = withConfigOptions(cmd, cmd.opts() as CommonOptions, loaded);
  const outDir = await checkedOutDir(o, loaded);
  const samples = o.bootstrapSamples;
  const { result, registry, analysis, notPromotable, pluginChecks } = await simulate(
    o,
    loaded,
    samples,
    OBJECTIVES,
    'run-all',
  );
  const manifest = { ...manifestOf(o, result, registry, samples, analysis, notPromotable), pluginChecks };
  const finalOutputs = await interrupts!.whileWriting(
    writeRunAllOutputs(outDir, result, manifest, {
      chart: o.chart,
      signal: interrupts!.signal,
      htmlRunExtras: (run) => {
        const a = analysis.perObjective[run.objective];
        const dsr = analysis.dsr.get(run.selected.candidate.config.name)?.deflatedSharpeRatio;
        return {
          'honest test Calmar': a ? a.honest.test.calmar.toFixed(2) : '–',
          'honest test end equity': a
            ? `$${Math.round(a.honest.test.end_equity).toLocaleString('en-US')}`
            : '–',
          PBO: a ? a.pbo.pbo.toFixed(2) : '–',
          DSR: dsr === undefined ? '–' : dsr.toFixed(2),
        };
      },
    }),
  );
  if (o.json)
    process.stdout.write(
      stableJson({ out_dir: outDir, ...runReportDocument(result, manifest, finalOutputs) }),
    );
  else process.stdout.write(formatRunAllSummary(result, outDir, analysis));
  failOnCandidateErrors(o, result.evaluated);
}

async function optimizeCommand(cmd: Command): Promise<void> {
  const loaded = await loadConfig((cmd.opts() as CommonOptions).config);
  const o = withConfigOptions(cmd, cmd.opts() as CommonOptions & { objective: ObjectiveName }, loaded);
  const outDir = await checkedOutDir(o, loaded);
  const samples = o.bootstrapSamples;
  const { result, registry, analysis, notPromotable, pluginChecks } = await simulate(
    o,
    loaded,
    samples,
    [o.objective],
    `optimize ${o.objective}`,
  );
  const manifest = { ...manifestOf(o, result, registry, samples, analysis, notPromotable), pluginChecks };
  const run = result.runs[0];
  await interrupts!.whileWriting(
    writeOptimizeOutputs(outDir, run, result, manifest, { chart: o.chart, signal: interrupts!.signal }),
  );
  if (o.json)
    process.stdout.write(stableJson({ out_dir: outDir, ...summaryDocument(run, result, manifest) }));
  else process.stdout.write(formatOptimizeSummary(run, result, outDir, analysis));
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
      'Step 4 allocator: walk-forward allocation between two strategy sleeves, scored, gated and promoted.',
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
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean; config?: string }) => {
      const loaded = await loadConfig(o.config);
      const registry = await registryFromConfig(loaded);
      const grid = gridFromConfig(registry, loaded);
      if (o.json) {
        process.stdout.write(
          stableJson(
            registry.list().map(({ family, source }) => ({
              name: family.meta.name,
              version: family.meta.version,
              core_api: family.meta.coreApi,
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
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean; config?: string }) => {
      const loaded = await loadConfig(o.config);
      const registry = await registryFromConfig(loaded);
      const grid = gridFromConfig(registry, loaded);
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
    .command('config-schema')
    .description('print the JSON Schema of step4.config.json (also shipped as step4.config.schema.json)')
    .action(() => {
      process.stdout.write(stableJson(configJsonSchema()));
    });
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
