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
import { loadConfig, registryFromConfig } from './config.js';

/** What every worker gets once: the aligned panel and the run's options. */
export interface WorkerSetup {
  readonly panel: SleevePanel;
  readonly options: RunOptions;
  readonly bootstrap: BlockBootstrapOptions;
  /** The config file the main thread used: workers load the same plugins. */
  readonly configFile?: string;
}

// A worker rebuilds the same registry, features and probe from plain data,
// then simulates the groups of candidates it is handed (candidates that share decisions).
serveWorkerTasks(
  async (data) => {
    const setup = data as WorkerSetup;
    return {
      registry: await registryFromConfig(await loadConfig(setup.configFile)),
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
