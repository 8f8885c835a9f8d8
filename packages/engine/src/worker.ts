import {
  type CandidateConfig,
  type EvaluatedCandidate,
  type RunOptions,
  type SleevePanel,
  evaluateCandidate,
  prepareRun,
  serveWorkerTasks,
} from '@step4/core';
import { type BlockBootstrapOptions, referenceRobustness } from '@step4/robustness';
import { type FamilyReference, loadFamilies } from './families.js';

/** What every worker gets once: the aligned panel, the run's options and the families by reference. */
export interface WorkerSetup {
  readonly panel: SleevePanel;
  readonly options: RunOptions;
  readonly bootstrap: BlockBootstrapOptions;
  readonly families: readonly FamilyReference[];
}

// Only when loaded as a worker (the type above is also imported by run.ts).
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
      };
    },
    async (s, group: CandidateConfig[]): Promise<EvaluatedCandidate[]> => {
      const out: EvaluatedCandidate[] = [];
      for (const config of group) out.push(await evaluateCandidate(config, s.registry, s.prepared, s.probe));
      return out;
    },
  );
}
