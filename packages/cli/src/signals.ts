/**
 * SIGINT and SIGTERM during a run end it with exit code 130 or 143 (128 +
 * the signal's number, the shell's convention). Before the output folder is
 * being written there is nothing on disk to clean up, so the process exits
 * at once; while it is written, the writer is stopped first so that it
 * removes its temporary folder (or completes a swap already under way).
 */
export interface Interrupts {
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The exit code of the signal that stopped the run, if one did. */
  exitCode(): number | undefined;
  /** Mark `work` as the output write: a signal waits for it to settle before exiting. */
  whileWriting<T>(work: Promise<T>): Promise<T>;
  dispose(): void;
}

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export function handleInterrupts(): Interrupts {
  const controller = new AbortController();
  let writing: Promise<unknown> | undefined;
  let code: number | undefined;
  const onSignal = (sig: keyof typeof EXIT_CODES) => {
    if (code !== undefined) return;
    code = EXIT_CODES[sig];
    const exitCode = code;
    process.stderr.write(
      `step4: interrupted by ${sig}${writing ? '; the unfinished output is removed, an earlier one is kept' : ''}\n`,
    );
    controller.abort(new Error(`interrupted by ${sig}`));
    const exit = () => process.exit(exitCode);
    if (!writing) exit();
    else writing.then(exit, exit);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    exitCode: () => code,
    whileWriting(work) {
      writing = work;
      return work;
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** The interrupt handling of the running command (installed by the commands that write outputs). */
let running: Interrupts | undefined;

/** The running command's interrupt handling, installed on first use. */
export function commandInterrupts(): Interrupts {
  running ??= handleInterrupts();
  return running;
}

/** The exit code of a signal that stopped the running command, if one did. */
export function interruptedExitCode(): number | undefined {
  return running?.exitCode();
}

/** The command has ended: remove its signal handlers. */
export function endCommandInterrupts(): void {
  running?.dispose();
  running = undefined;
}
