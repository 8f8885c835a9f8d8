import { setFlagsFromString } from 'node:v8';

/**
 * V8's optimisation budget for a run of a few seconds. By default V8
 * optimises a function once about 66 KB of its bytecode has run, so a run
 * optimised hundreds of functions that then ran only briefly (and
 * re-optimised some), on every thread: the optimising compiler took about a
 * sixth of a run-all's CPU. A budget 4.5x larger optimises the functions
 * that stay hot; a run-all takes about 7% less CPU (README, "Speed").
 * Results do not depend on it. V8 reads the budget as functions are
 * created, so it is set before anything else loads; V8's flags are per
 * process, so worker threads share it.
 */
export const INTERRUPT_BUDGET = 300_000;

/** Set the budget in this process (the `step4` command does, first thing). */
export function tuneV8ForShortRuns(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
