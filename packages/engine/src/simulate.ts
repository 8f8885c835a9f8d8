import {
  type CandidateConfig,
  type EvaluatedCandidate,
  type FamilyRegistry,
  type PreparedRun,
  type RobustnessProbe,
  type RunOptions,
  type SleevePanel,
  evaluateCandidates,
} from '@step4/core';
import {
  type BlockBootstrapOptions,
  type CandidateOverfittingInputs,
  overfittingCandidateInputs,
} from '@step4/robustness';
import type { FamilyReference } from './families.js';

/**
 * One group of candidates simulated, with each candidate's part of the
 * overfitting statistics (its selection-honest windows), computed where it
 * was simulated so the workers share that work too.
 */
export interface SimulatedGroup {
  readonly evaluated: EvaluatedCandidate[];
  readonly overfitting: (CandidateOverfittingInputs | undefined)[];
}

/** Simulate a group of candidates, then compute their overfitting inputs (in any thread). */
export async function simulateGroup(
  group: readonly CandidateConfig[],
  registry: FamilyRegistry,
  prepared: PreparedRun,
  probe: RobustnessProbe,
  bootstrap: BlockBootstrapOptions,
): Promise<SimulatedGroup> {
  const evaluated = await evaluateCandidates(group, registry, prepared, probe);
  const opts = { split: prepared.split, startCapital: prepared.options.startCapital, bootstrap };
  return { evaluated, overfitting: evaluated.map((c) => overfittingCandidateInputs(c, opts)) };
}

/** What every worker gets once: the aligned panel, the run's options and the families by reference. */
export interface WorkerSetup {
  readonly panel: SleevePanel;
  readonly options: RunOptions;
  readonly bootstrap: BlockBootstrapOptions;
  readonly families: readonly FamilyReference[];
}
