import { OBJECTIVES, firstLineOf, isInputError } from '@step4/core';
import { Command, CommanderError, Option } from 'commander';
import { FailuresAfterOutputs } from './failures.js';
import { type FlagParser, type RunCommandName, addRunOptions } from './options.js';
import { endCommandInterrupts, interruptedExitCode } from './signals.js';
import { registerSweepCommands } from './sweep-commands.js';
import { cliPackage } from './version.js';

/**
 * The command line: every command, option and help text, and nothing else.
 * A command's work (commands.ts) and what it needs (the engine, the families,
 * the output writer, zod) are imported when the command runs, so `step4
 * --help` loads only commander and the option definitions.
 */

export { EMBEDDED_SLEEVES } from './sleeve-inputs.js';

const commands = () => import('./commands.js');

/** The commands that take run options. */
const RUN_COMMANDS: ReadonlySet<string> = new Set<RunCommandName>(['run-all', 'optimize']);

/**
 * The run options' flag parser (zod schemas, option-schemas.ts): the
 * preSubcommand hook loads it before run-all or optimize parse their flags.
 */
let parseFlag: FlagParser | undefined;

const runFlag: FlagParser = (def, raw) => {
  if (!parseFlag)
    throw new Error('the run commands parse their options with parseAsync (the parser loads first)');
  return parseFlag(def, raw);
};

/** A repeatable option's values, in order. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The command-line-only options, and the run options of the one definition in options.ts. */
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
  return addRunOptions(cmd, command, runFlag)
    .option('--no-chart', 'skip the PNG charts')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'machine-readable result on stdout');
}

export function buildProgram(): Command {
  const program = new Command('step4')
    .description(
      'Step 4 allocator: walk-forward allocation between two or more strategy sleeves, scored, gated and promoted.',
    )
    .version(cliPackage.version)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`step4: ${str.replace(/\s*\n\s*(?=.)/g, ' ')}`) })
    .hook('preSubcommand', async (_program, sub) => {
      if (RUN_COMMANDS.has(sub.name())) parseFlag ??= (await import('./option-schemas.js')).parseFlagValue;
    });

  addCommonOptions(
    program.command('run-all').description('run every objective, promote a best run and a best dynamic run'),
    'run-all',
  ).action(async (_o, cmd: Command) => (await commands()).runAllCommand(cmd));

  addCommonOptions(
    program
      .command('optimize')
      .description('run the candidate search for one objective')
      .addOption(
        new Option('--objective <name>', 'objective').choices([...OBJECTIVES]).makeOptionMandatory(),
      ),
    'optimize',
  ).action(async (_o, cmd: Command) => (await commands()).optimizeCommand(cmd));

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
    .action(async (o: { json?: boolean; config?: string; sleeve?: string[] }) =>
      (await commands()).familiesCommand(o),
    );

  program
    .command('check')
    .description(
      'run the conformance kit on every configured family (built-ins and plugins); exit 2 if one fails',
    )
    .option('--config <file>', 'config file (default: step4.config.* in the working directory)')
    .option('--quick', 'the quick check run-all and optimize make (a few candidates, shorter panels)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean; quick?: boolean; config?: string }) =>
      (await import('./check.js')).checkCommand(o),
    );

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
    .action(async (o: { json?: boolean; config?: string; sleeve?: string[] }) =>
      (await commands()).candidatesCommand(o),
    );

  program
    .command('new-family <name>')
    .description('scaffold a candidate family package (source, conformance test, README, package.json)')
    .option('--dir <dir>', 'where to create it (default: ./step4-family-<name>)')
    .option('--ts', 'a TypeScript package (tsconfig, build to dist/ with types, TypeScript test)')
    .action(async (name: string, o: { dir?: string; ts?: boolean }) =>
      (await commands()).newFamilyCommand(name, o),
    );

  program
    .command('report <out-dir>')
    .description(
      'rebuild the HTML tear sheet of every run folder of an existing output folder, without simulating again',
    )
    .option('--quiet', 'print nothing on success')
    .option('--json', 'machine-readable output')
    .action(async (outDir: string, o: { quiet?: boolean; json?: boolean }) =>
      (await commands()).reportCommand(outDir, o),
    );

  program
    .command('config-schema')
    .description('print the JSON Schema of step4.config.json (also shipped as step4.config.schema.json)')
    .action(async () => (await commands()).configSchemaCommand());
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
    const interruptedCode = interruptedExitCode();
    if (interruptedCode !== undefined) return interruptedCode;
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors are bad input.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof FailuresAfterOutputs) {
      process.stderr.write(`step4: error: ${firstLineOf(e)}\n`);
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
    endCommandInterrupts();
  }
}
