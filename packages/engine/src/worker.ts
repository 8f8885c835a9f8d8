import { type CandidateConfig, prepareRun, serveWorkerTasks, workerEarlyData } from '@step4/core';
import { referenceRobustness } from '@step4/robustness';
import { type FamilyReference, loadFamilies } from './families.js';
import { type WorkerSetup, simulateGroup } from './simulate.js';

// The entry of the engine's worker threads (nothing else imports it: loaded in
// any other worker, e.g. a user's own, it would answer that worker's messages).
if (!(await import('node:worker_threads')).isMainThread) {
  // Started ahead of the run (startSimulationWorkers), the worker loads the families it was
  // started with while the run is being prepared; the run's setup says which it uses.
  const early = workerEarlyData() as { families: readonly FamilyReference[] } | undefined;
  const earlyRegistry = early ? loadFamilies(early.families) : undefined;
  earlyRegistry?.catch(() => {}); // a failure is the setup's to report, if it uses them
  // A worker loads the same families, features and probe from plain data,
  // then simulates the groups of candidates it is handed (candidates that share decisions).
  serveWorkerTasks(
    async (data) => {
      const setup = data as WorkerSetup;
      const same = early && JSON.stringify(early.families) === JSON.stringify(setup.families);
      return {
        registry: await (same && earlyRegistry ? earlyRegistry : loadFamilies(setup.families)),
        prepared: prepareRun(setup.panel, setup.options),
        probe: referenceRobustness(setup.bootstrap),
        bootstrap: setup.bootstrap,
      };
    },
    (s, group: CandidateConfig[]) => simulateGroup(group, s.registry, s.prepared, s.probe, s.bootstrap),
  );
}
