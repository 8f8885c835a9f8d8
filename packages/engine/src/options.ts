import { OBJECTIVES, type ObjectiveName } from '@step4/core';

/** Every option of a run (docs/model and the README's options table describe them). */
export interface EngineOptions {
  /** Start capital K. */
  readonly startCapital: number;
  /** Share of aligned months in train. */
  readonly trainRatio: number;
  /** Rows of Z before the first decision. */
  readonly minHistoryMonths: number;
  /** Seed of every random source (families, bootstrap). */
  readonly seed: number;
  /** Yearly financing rate of leverage above 1, in basis points. */
  readonly financingBpsPerYear: number;
  /** Bootstrap resamples of the robustness probe. */
  readonly bootstrapSamples: number;
  readonly bootstrapBlockMonths: number;
  readonly bootstrapMethod: 'circular' | 'stationary';
  /** CSCV blocks S requested for the PBO (even). */
  readonly pboBlocks: number;
  /** Promotion cap on the selected candidate's test max drawdown. */
  readonly promoteDdCap: number;
  /** Gate: max test drawdown of every objective (default: each objective's reference cap). */
  readonly maxDrawdownCap?: number;
  /** An objective run whose PBO is above this may not be promoted. */
  readonly maxPbo?: number;
  /** Gate: a candidate needs at least this deflated Sharpe ratio. */
  readonly minDsr?: number;
  /** Yearly risk-free rate (0.04 = 4%): Sharpe, PSR and DSR use returns in excess of it. */
  readonly riskFreeAnnual: number;
  /** A table of monthly risk-free returns (sleeve-table format) instead of a constant. */
  readonly riskFreeTable?: string;
  /** Bootstrap replications of the SPA test and StepM (0 skips them). */
  readonly spaReplications: number;
}

/**
 * The defaults of `step4 run-all` (the CLI's option table has the same ones;
 * a CLI test keeps the two equal).
 */
export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineOptions> = Object.freeze({
  startCapital: 10_000,
  trainRatio: 0.6,
  minHistoryMonths: 24,
  seed: 42,
  financingBpsPerYear: 0,
  bootstrapSamples: 1200,
  bootstrapBlockMonths: 6,
  bootstrapMethod: 'circular',
  pboBlocks: 16,
  promoteDdCap: 0.3,
  riskFreeAnnual: 0,
  spaReplications: 10_000,
});

/** The four objectives of run-all, in output order. */
export const RUN_ALL_OBJECTIVES: readonly ObjectiveName[] = OBJECTIVES;
