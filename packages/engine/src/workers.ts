import type { Worker } from 'node:worker_threads';
import { startWorkers, stopWorkers } from '@step4/core/parallel';
import type { FamilyReference } from './families.js';
import { SIMULATION_WORKER_URL } from './worker-url.js';

/**
 * The engine's worker threads, started before the run (`startSimulationWorkers`),
 * for `RunRequest.workers`.
 */
export interface SimulationWorkers {
  /** The threads (`jobs - 1` of them: the calling thread is one of the jobs). */
  readonly threads: readonly Worker[];
}

/**
 * Start the worker threads of a run with `jobs` threads (this thread is one
 * of them) before the run itself: a command starts them first thing, so they
 * load their modules and the families while this thread loads its own, on
 * the other core. They wait, unreferenced, for `runStep4({ workers })`; a
 * run that needs fewer ends the others, the run ends the rest when it is done
 * (except one handed over meanwhile, @step4/core's `handOverWorker`), and
 * `stopSimulationWorkers` ends them when no run takes them. This module
 * loads no more than the pool, so starting them costs this thread almost
 * nothing.
 */
export function startSimulationWorkers(
  jobs: number,
  families: readonly FamilyReference[],
): SimulationWorkers {
  return { threads: startWorkers(SIMULATION_WORKER_URL, jobs - 1, { families }) };
}

/** End the workers started ahead (except those ended already or handed over, `handOverWorker`). */
export function stopSimulationWorkers(workers: SimulationWorkers | undefined): Promise<void> {
  return stopWorkers(workers?.threads ?? []);
}
