import { basename, resolve } from 'node:path';
import { stableJson } from '@step4/report';
import type { LoadedSweep, SweepHost } from '@step4/sweep';
import {
  type LoadedConfig,
  familyReferences,
  gridFromConfig,
  loadConfig,
  registryFromConfig,
} from './config.js';
import { parseConfig } from './config-schema.js';
import { CellFailures } from './failures.js';
import { embeddedSleeveFile } from './sleeve-inputs.js';
import { commandInterrupts } from './signals.js';
import type { SweepFlags, WorkerFlags } from './sweep-commands.js';

/**
 * What `step4 sweep` and `step4 worker` do (issue #15): the sweep package
 * does the work; this file only turns a config and flags into its inputs.
 */

/** The run config of a sweep: --config, else the sweep file's `config`, else step4.config.* here, else the built-ins. */
async function sweepConfig(explicit: string | undefined, loaded: LoadedSweep): Promise<LoadedConfig> {
  if (explicit) return loadConfig(explicit);
  if (loaded.sweep.config) return loadConfig(resolve(loaded.dir, loaded.sweep.config));
  return loadConfig();
}

function cliHost(configFlag: string | undefined): SweepHost {
  return {
    resolveSleeve(path, field, dir) {
      if (!path.startsWith('embedded:')) return { file: resolve(dir, path), label: path };
      const file = embeddedSleeveFile(path, field);
      return { file, label: `embedded:${basename(file)}` };
    },
    async grid(loaded) {
      const config = await sweepConfig(configFlag, loaded);
      // The sweep's own `grids` replace the config's, validated as a run config's (errors name the sweep file).
      const forGrid: LoadedConfig =
        loaded.sweep.grids === undefined
          ? config
          : {
              ...config,
              file: loaded.file,
              config: {
                ...config.config,
                grids: parseConfig({ grids: loaded.sweep.grids }, loaded.file).grids,
              },
            };
      const registry = await registryFromConfig(config);
      return {
        families: familyReferences(config),
        registry,
        gridFor: (r, universe) => gridFromConfig(r, forGrid, universe),
        files: config.file ? [config.file] : [],
      };
    },
  };
}

export async function sweepCommand(file: string, o: SweepFlags): Promise<void> {
  const sweep = await import('@step4/sweep');
  const interrupts = commandInterrupts();
  const loaded = await sweep.loadSweep(file);
  const progress = sweep.sweepProgressBar(o.quiet === true || o.json === true);
  const result = await interrupts.whileWriting(
    sweep.runSweep(loaded, cliHost(o.config), {
      ...(o.outDir ? { outDir: o.outDir } : {}),
      ...(o.queue ? { queue: { url: o.queue, ...(o.queueName ? { queueName: o.queueName } : {}) } } : {}),
      ...(o.workers ? { workers: o.workers } : {}),
      cellOutputs: o.cellOutputs === true,
      onProgress: progress,
      signal: interrupts.signal,
    }),
  );
  progress.done();
  if (o.json)
    process.stdout.write(
      stableJson({
        out_dir: result.outDir,
        cells: result.cells.length,
        computed: result.computed,
        cached: result.cached,
        failed: result.failed,
        leaderboard: sweep.SWEEP_FILES.leaderboard,
        report: sweep.SWEEP_FILES.report,
      }),
    );
  else process.stdout.write(sweep.formatSweepSummary(result));
  // Exit code 3 once everything is written, as with --fail-on-candidate-error.
  if (result.failed.length > 0)
    throw new CellFailures(
      `${result.failed.length} of ${result.cells.length} cells failed; first: cell ${result.failed[0].cell}: ${result.failed[0].error}`,
    );
}

export async function workerCommand(o: WorkerFlags): Promise<void> {
  const sweep = await import('@step4/sweep');
  const config = await loadConfig(o.config);
  const log = o.quiet ? undefined : (line: string) => process.stderr.write(`step4 worker: ${line}\n`);
  const worker = await sweep.startWorker({
    url: o.queue,
    ...(o.queueName ? { queueName: o.queueName } : {}),
    families: familyReferences(config),
    concurrency: o.concurrency ?? 1,
    ...(o.lockDuration ? { lockDuration: o.lockDuration } : {}),
    ...(o.stalledInterval ? { stalledInterval: o.stalledInterval } : {}),
    ...(o.maxStalledCount ? { maxStalledCount: o.maxStalledCount } : {}),
    ...(log ? { log } : {}),
  });
  log?.(`${worker.name} waiting for cells on ${sweep.redactUrl(o.queue)}`);
  // Runs until SIGINT or SIGTERM: the current cells finish first (a second signal stops at once).
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (sig: NodeJS.Signals) => {
      if (stopping) process.exit(sig === 'SIGINT' ? 130 : 143);
      stopping = true;
      log?.(`${sig}: finishing the current cells`);
      worker.close().then(done, done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
