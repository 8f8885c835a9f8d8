import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { OBJECTIVES, type ObjectiveName, supportedSleeves, validateGrid } from '@step4/core';
import type { RunResult, SimulationWorkers, SleeveSource } from '@step4/engine';
import type { Command } from 'commander';
import type { LoadedConfig } from './config.js';
import { failOnCandidateErrors } from './failures.js';
import type { RunOptionValues } from './options.js';
import { progressReporter } from './progress.js';
import { type SleeveOptions, sleeveInputs } from './sleeve-inputs.js';
import { commandInterrupts } from './signals.js';
import { formatCandidates, formatFamilies, formatOptimizeSummary, formatRunAllSummary } from './summary.js';
import { cliPackage } from './version.js';

/**
 * What each command does, loaded by main.ts when a command runs (never for
 * `--help`). The heavy packages are imported here only by the commands that
 * use them: the config loader, the engine and the families by the commands
 * that read a config; the output writer (@step4/report) by those that write
 * files or print JSON; the conformance kit by the runs; the scaffold by
 * new-family.
 */

/** Config loading, the engine and the families: only the commands that use a config load them. */
const configModule = () => import('./config.js');

/** The output writer's version, recorded in the manifest beside the engine's packages. */
const REPORT_VERSION = (
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@step4/report/package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** The command-line-only options, and the run options of the one definition in options.ts. */
export type CommonOptions = RunOptionValues &
  SleeveOptions & {
    config?: string;
    chart: boolean;
    quiet?: boolean;
    json?: boolean;
  };

/** JSON as every output of the CLI writes it (the output writer's one definition). */
async function stableJson(value: unknown): Promise<string> {
  return (await import('@step4/report')).stableJson(value);
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
  workers: SimulationWorkers | undefined,
): Promise<RunResult> {
  const sleeves = sleeveSources(o, loaded);
  const { familyReferences, gridFromConfig, registryFromConfig } = await configModule();
  const [{ runStep4 }, { quickPluginCheck }, { startChartThread, startRunCharts }, registry] =
    await Promise.all([
      import('@step4/engine'),
      import('./check.js'),
      import('@step4/report'),
      registryFromConfig(loaded),
    ]);
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
    ...(workers ? { workers } : {}),
    tool: { name: 'step4', version: cliPackage.version },
    packages: { [cliPackage.name]: cliPackage.version, '@step4/report': REPORT_VERSION },
    pluginChecks,
    onProgress: progress,
    // The statistics that follow the selection run in this thread: with a second thread allowed,
    // the selected runs' charts are rendered beside them, on a thread of their own (the write then
    // has it encode the tables, and ends it).
    ...(o.jobs > 1 && o.chart !== false
      ? {
          onSelected: (selection) => {
            // On the simulation's worker, idle now (its modules loaded, a new thread costs about 0.1 s).
            startChartThread({ reuse: workers?.threads[0] });
            startRunCharts(selection);
          },
        }
      : {}),
  });
  progress.done();
  return result;
}

/** The sleeve names a grid is built for (names only: nothing is loaded). */
function universeOf(o: SleeveOptions, loaded: LoadedConfig) {
  return {
    names: sleeveInputs(o, loaded.config.options.sleeves, loaded.dir).map((s) => s.name),
  };
}

/**
 * The output folder, checked by the output-folder rule before any work: the
 * files this run reads (sleeve tables, the config) may never be inside it.
 * Installs the command's SIGINT/SIGTERM handling.
 */
async function checkedOutDir(o: CommonOptions, loaded: LoadedConfig): Promise<string> {
  commandInterrupts();
  const inputs = sleeveInputs(o, loaded.config.options.sleeves, loaded.dir).map((s) => s.file);
  if (o.riskFreeTable) inputs.push(o.riskFreeTable);
  const { checkOutDir } = await import('@step4/report');
  await checkOutDir(o.outDir, { protect: loaded.file ? [...inputs, loaded.file] : inputs });
  return resolve(o.outDir);
}

/**
 * Run `body` with the run's worker threads, when it has more than one job,
 * started first thing: they load their modules and the families on the other
 * core while this thread loads its own. The run ends them; so does this, if
 * `body` stops before the run took them.
 */
async function withWorkersAhead<T>(
  o: CommonOptions,
  loaded: LoadedConfig,
  body: (workers: SimulationWorkers | undefined) => Promise<T>,
): Promise<T> {
  if (!(o.jobs > 1)) return body(undefined);
  const [{ startSimulationWorkers, stopSimulationWorkers }, { familyReferences }] = await Promise.all([
    import('@step4/engine/workers'),
    configModule(),
  ]);
  const workers = startSimulationWorkers(o.jobs, familyReferences(loaded));
  try {
    return await body(workers);
  } finally {
    await stopSimulationWorkers(workers);
  }
}

export async function runAllCommand(cmd: Command): Promise<void> {
  const { loadConfig } = await configModule();
  const loaded = await loadConfig((cmd.opts() as CommonOptions).config);
  const o = withConfigOptions(cmd, cmd.opts() as CommonOptions, loaded);
  const [outDir, result] = await withWorkersAhead(o, loaded, async (workers) => {
    const outDir = await checkedOutDir(o, loaded);
    return [outDir, await simulate(o, loaded, OBJECTIVES, 'run-all', workers)] as const;
  });
  const { runReportDocument, stableJson, stopChartThreadWhenIdle, writeRunAllOutputs } = await import(
    '@step4/report'
  );
  const interrupts = commandInterrupts();
  const finalOutputs = await interrupts
    .whileWriting(
      writeRunAllOutputs(outDir, result, result.manifest, { chart: o.chart, signal: interrupts.signal }),
    )
    .finally(stopChartThreadWhenIdle);
  if (o.json)
    process.stdout.write(
      stableJson({ out_dir: outDir, ...runReportDocument(result, result.manifest, finalOutputs) }),
    );
  else process.stdout.write(formatRunAllSummary(result, outDir, result.analysis));
  failOnCandidateErrors(o, result.evaluated);
}

export async function optimizeCommand(cmd: Command): Promise<void> {
  const { loadConfig } = await configModule();
  const loaded = await loadConfig((cmd.opts() as CommonOptions).config);
  const o = withConfigOptions(cmd, cmd.opts() as CommonOptions & { objective: ObjectiveName }, loaded);
  const [outDir, result] = await withWorkersAhead(o, loaded, async (workers) => {
    const outDir = await checkedOutDir(o, loaded);
    return [outDir, await simulate(o, loaded, [o.objective], `optimize ${o.objective}`, workers)] as const;
  });
  const run = result.runs[0];
  const { stableJson, stopChartThreadWhenIdle, summaryDocument, writeOptimizeOutputs } = await import(
    '@step4/report'
  );
  const interrupts = commandInterrupts();
  await interrupts
    .whileWriting(
      writeOptimizeOutputs(outDir, run, result, result.manifest, {
        chart: o.chart,
        signal: interrupts.signal,
      }),
    )
    .finally(stopChartThreadWhenIdle);
  if (o.json)
    process.stdout.write(stableJson({ out_dir: outDir, ...summaryDocument(run, result, result.manifest) }));
  else process.stdout.write(formatOptimizeSummary(run, result, outDir, result.analysis));
  failOnCandidateErrors(o, result.evaluated);
}

/** The options of the commands that list the families or the grid. */
interface ListOptions extends SleeveOptions {
  json?: boolean;
  config?: string;
}

/** The configured families and the grid they make for the run's sleeves (nothing is simulated). */
async function configuredGrid(o: ListOptions) {
  const { gridFromConfig, loadConfig, registryFromConfig } = await configModule();
  const loaded = await loadConfig(o.config);
  const registry = await registryFromConfig(loaded);
  return { registry, grid: gridFromConfig(registry, loaded, universeOf(o, loaded)) };
}

export async function familiesCommand(o: ListOptions): Promise<void> {
  const { registry, grid } = await configuredGrid(o);
  if (o.json) {
    process.stdout.write(
      await stableJson(
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
}

export async function candidatesCommand(o: ListOptions): Promise<void> {
  const { registry, grid } = await configuredGrid(o);
  validateGrid(grid, registry);
  if (o.json) process.stdout.write(await stableJson(grid));
  else process.stdout.write(formatCandidates(grid));
}

export async function newFamilyCommand(name: string, o: { dir?: string; ts?: boolean }): Promise<void> {
  const dir = resolve(o.dir ?? `step4-family-${name.replace(/_/g, '-')}`);
  const { scaffoldFamily } = await import('./scaffold.js');
  await scaffoldFamily(name, dir, cliPackage.version, { typescript: o.ts === true });
  process.stdout.write(
    `created ${dir}\nnext: npm install ${dir} in your project and name the package in step4.config.json plugins (its README says more)\n`,
  );
}

export async function reportCommand(outDir: string, o: { quiet?: boolean; json?: boolean }): Promise<void> {
  const interrupts = commandInterrupts();
  const { rebuildTearSheets, stableJson } = await import('@step4/report');
  const pages = await interrupts.whileWriting(rebuildTearSheets(outDir, { signal: interrupts.signal }));
  if (o.json) process.stdout.write(stableJson({ out_dir: resolve(outDir), pages }));
  else if (!o.quiet) process.stdout.write(`${pages.map((p) => `${join(resolve(outDir), p)}\n`).join('')}`);
}

export async function configSchemaCommand(): Promise<void> {
  const { configJsonSchema } = await import('./config-schema.js');
  process.stdout.write(await stableJson(configJsonSchema()));
}
