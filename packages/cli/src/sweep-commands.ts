import { InputError } from '@step4/core';
import { type Command, Option } from 'commander';

/**
 * The definitions of `step4 sweep` and `step4 worker` (issue #15): flags and
 * help only. Their work (sweep-actions.ts, the sweep package, BullMQ) is
 * imported when one of them runs, so other commands never load it.
 */

const actions = () => import('./sweep-actions.js');

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

export interface SweepFlags {
  outDir?: string;
  queue?: string;
  queueName?: string;
  workers?: number;
  config?: string;
  cellOutputs?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export interface WorkerFlags {
  queue: string;
  queueName?: string;
  config?: string;
  concurrency?: number;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  quiet?: boolean;
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
    .action(async (file: string, o: SweepFlags) => (await actions()).sweepCommand(file, o));

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
    .action(async (o: WorkerFlags) => (await actions()).workerCommand(o));
}
