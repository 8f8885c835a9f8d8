import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a process that runs step4 for a few seconds: the `step4`
 * command gives the first on its command line and applies the others first
 * thing, and @step4/report's build compiles the chart libraries' code cache
 * under them all (V8 refuses a code cache made under other flags). Results
 * do not depend on them. V8's flags are per process, so worker threads share
 * them.
 */

/**
 * V8's optimisation budget. By default V8 optimises a function once about
 * 66 KB of its bytecode has run, so a run optimised hundreds of functions
 * that then ran only briefly (and re-optimised some), on every thread: the
 * optimising compiler took about a sixth of a run-all's CPU. A budget 4.5x
 * larger optimises the functions that stay hot; a run-all takes about 7% less
 * CPU (README, "Speed"). V8 reads it as functions are created, so it is set
 * before anything else loads.
 */
export const INTERRUPT_BUDGET = 300_000;

/**
 * The same for WebAssembly, 100x V8's default (1.8 MB of code run before a
 * function is compiled again by the optimising compiler). The Parquet writer
 * (parquet-wasm, 5 MB of wasm) reached the default in many of its functions
 * while writing a run's tables: compiling them again took about 0.35 s of CPU
 * on V8's background threads, for code that then ran for milliseconds.
 * TensorFlow.js's kernels, run hundreds of thousands of times, still reach
 * the larger budget early in a run. Either compiler gives the same bits. V8
 * reads it as a wasm module is compiled.
 */
export const WASM_TIERING_BUDGET = 180_000_000;

/**
 * V8 settings that only Node's command line can give: V8 sets up its heap
 * and its helper threads when the process starts, before any script runs
 * (set later, `--single-threaded-gc` crashes V8). The `step4` command's
 * shebang passes them (`#!/usr/bin/env -S node ...`, which npm's and pnpm's
 * command shims read too), and the chart libraries' code cache is made under
 * them. Why: a run keeps every core busy with its own threads (the
 * simulation workers, this thread, the chart thread), and V8's helpers, the
 * garbage collector's parallel and concurrent marking threads and the
 * optimising compiler's background thread, then compete with them for the
 * same cores; on a 2-core machine, doing that work in the thread that needs
 * it takes a run-all and an optimize about 6% less CPU and wall time
 * (README, "Speed"). Results do not depend on them. `node .../bin.js`
 * without them runs the same, a little slower (and without the code cache).
 */
export const COMMAND_LINE_V8_FLAGS: readonly string[] = [
  '--no-concurrent-recompilation',
  '--single-threaded-gc',
];

/** Set both budgets in this process, before anything else loads. */
export function tuneV8ForShortRuns(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
}
