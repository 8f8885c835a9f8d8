import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@step4/core';
import { stableJson } from '@step4/report';
import type { LoadedSweep, SweepHost } from '@step4/sweep';
import { type Command, Option } from 'commander';
import {
  type LoadedConfig,
  familyReferences,
  gridFromConfig,
  loadConfig,
  parseConfig,
  registryFromConfig,
} from './config.js';
import { handleInterrupts } from './signals.js';

/**
 * `step4 sweep` and `step4 worker` (issue #15): the sweep package does the
 * work; this file only turns a config and flags into its inputs. The sweep
 * package is imported when one of the two commands runs, so other commands
 * never load BullMQ.
 */

const embedded = (file: string) => fileURLToPath(new URL(`../data/${file}`, import.meta.url));

/** The embedded tables, as `embedded:<name>` names them (the same files as `--sleeve name=embedded:<name>`). */
const EMBEDDED: Readonly<Record<string, string>> = {
  spy: 'sleeve_spy_monthly.csv',
  qqq: 'sleeve_qqq_monthly.csv',
  btc: 'sleeve_btc_monthly.csv',
  eth: 'sleeve_eth_monthly.csv',
  spyqqq: 'sleeve_spyqqq_monthly.csv',
  btceth: 'sleeve_btceth_monthly.csv',
};

function positiveInt(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InputError(
        `option ${flag}: expected an integer >= ${min} and <= ${max}, got ${JSON.stringify(raw)}`,
        { field: flag },
      );
    return n;
  };
}

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
      const name = path.slice('embedded:'.length);
      const file = EMBEDDED[name];
      if (!file)
        throw new InputError(
          `${field}: no embedded sleeve ${JSON.stringify(name)} (embedded: ${Object.keys(EMBEDDED).join(', ')})`,
        );
      return { file: embedded(file), label: `embedded:${file}` };
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

interface SweepFlags {
  outDir?: string;
  queue?: string;
  queueName?: string;
  workers?: number;
  config?: string;
  cellOutputs?: boolean;
  quiet?: boolean;
  json?: boolean;
}

interface WorkerFlags {
  queue: string;
  queueName?: string;
  config?: string;
  concurrency?: number;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  quiet?: boolean;
}

/** Exit code 3 once the command has written everything, when cells failed (as --fail-on-candidate-error). */
function exitWithFailures(): void {
  process.once('exit', () => {
    process.exitCode = 3;
  });
}

async function sweepCommand(file: string, o: SweepFlags): Promise<void> {
  const sweep = await import('@step4/sweep');
  const interrupts = handleInterrupts();
  try {
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
    if (result.failed.length > 0) {
      if (!o.json)
        process.stderr.write(
          `step4: error: ${result.failed.length} of ${result.cells.length} cells failed\n`,
        );
      exitWithFailures();
    }
  } finally {
    interrupts.dispose();
  }
}

async function workerCommand(o: WorkerFlags): Promise<void> {
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

/** Add `step4 sweep` and `step4 worker` to the program. */
export function registerSweepCommands(program: Command): void {
  program
    .command('sweep <file>')
    .description(
      'run a sweep (sweep.json or .ts): every universe with every option set, one run-all each, into one leaderboard',
    )
    .option('--out-dir <dir>', "output folder (default: the sweep file's outDir, else step4_sweep_out)")
    .option('--queue <url>', 'run the cells through BullMQ on this Redis (redis://host:port, rediss://…)')
    .option('--queue-name <name>', 'BullMQ queue name (default step4-sweep)')
    .option(
      '--workers <n>',
      'local cells at once, in worker threads (default: cores, at most 8)',
      positiveInt('--workers', 1, 256),
    )
    .option('--config <file>', "run config whose plugins and grids make the cells' grid")
    .option('--cell-outputs', "also write each cell's full output folder under cells/<hash>/ (local only)")
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (file: string, o: SweepFlags) => sweepCommand(file, o));

  program
    .command('worker')
    .description('process sweep cells from a BullMQ queue on Redis until stopped (SIGINT/SIGTERM)')
    .addOption(
      new Option(
        '--queue <url>',
        'the Redis of the sweep (redis://host:port, rediss://…)',
      ).makeOptionMandatory(),
    )
    .option('--queue-name <name>', 'BullMQ queue name (default step4-sweep)')
    .option(
      '--config <file>',
      'run config: the only plugins this worker loads (default: step4.config.* here)',
    )
    .option(
      '--concurrency <n>',
      'cells at once, each in its own process (default 1)',
      positiveInt('--concurrency', 1, 256),
    )
    .option(
      '--lock-duration <ms>',
      "a job's lock without renewal; a killed worker's cell is taken over after it (default 30000)",
      positiveInt('--lock-duration', 1000, 86_400_000),
    )
    .option(
      '--stalled-interval <ms>',
      'how often stalled cells are looked for (default 30000)',
      positiveInt('--stalled-interval', 1000, 86_400_000),
    )
    .option(
      '--max-stalled-count <n>',
      'how often a cell may stall before it fails (default 1)',
      positiveInt('--max-stalled-count', 1, 1000),
    )
    .option('--quiet', 'no log lines on stderr')
    .action(async (o: WorkerFlags) => workerCommand(o));
}
