import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a process that runs step4 for a few seconds: the `step4`
 * command applies them first thing, and @step4/report's build compiles the
 * chart libraries' code cache under them (V8 refuses a code cache made under
 * other flags). Results do not depend on them. V8's flags are per process,
 * so worker threads share them.
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

/** Set both budgets in this process, before anything else loads. */
export function tuneV8ForShortRuns(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
}
