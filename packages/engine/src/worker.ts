import { type CandidateConfig, prepareRun, serveWorkerTasks } from '@step4/core';
import { referenceRobustness } from '@step4/robustness';
import { loadFamilies } from './families.js';
import { type WorkerSetup, simulateGroup } from './simulate.js';

// The entry of the engine's worker threads (nothing else imports it: loaded in
// any other worker, e.g. a user's own, it would answer that worker's messages).
if (!(await import('node:worker_threads')).isMainThread) {
  // A worker loads the same families, features and probe from plain data,
  // then simulates the groups of candidates it is handed (candidates that share decisions).
  serveWorkerTasks(
    async (data) => {
      const setup = data as WorkerSetup;
      return {
        registry: await loadFamilies(setup.families),
        prepared: prepareRun(setup.panel, setup.options),
        probe: referenceRobustness(setup.bootstrap),
        bootstrap: setup.bootstrap,
      };
    },
    (s, group: CandidateConfig[]) => simulateGroup(group, s.registry, s.prepared, s.probe, s.bootstrap),
  );
}
