import type { CandidateConfig } from './contract.js';

/**
 * A candidate's walk-forward path (docs/model/mechanics.md): one entry per month, as
 * parallel typed arrays (column-oriented, like the Parquet tables it becomes).
 */
export interface WalkForwardPath {
  readonly monthEnds: readonly string[];
  /** Sleeve names, sleeve order. */
  readonly sleeveNames: readonly string[];
  /** Each sleeve's return in the path months, sleeve order. */
  readonly sleeveReturns: readonly Float64Array[];
  /** Each sleeve's weight after the position mechanics (they sum to 1 every month). */
  readonly weights: readonly Float64Array[];
  readonly grossLeverage: Float64Array;
  readonly retGross: Float64Array;
  readonly cost: Float64Array;
  readonly retNet: Float64Array;
  readonly turnoverAbs: Float64Array;
  /**
   * The policy's own weights before the mechanics, per sleeve (a two-sleeve
   * family's scalar w is `w` and `1 - w`).
   */
  readonly policyWRaw: readonly Float64Array[];
  readonly policyConf: Float64Array;
  /** Financing cost of leverage per month, present when a financing rate is set. */
  readonly financingCost?: Float64Array;
  /** Optional per-month diagnostics a family exposes (e.g. predicted means). */
  readonly extra?: Readonly<Record<string, Float64Array>>;
}

/** Performance of one return series (docs/model/metrics.md, `perf`). */
export interface PerfMetrics {
  end_equity: number;
  cagr: number;
  max_drawdown: number;
  calmar: number;
  avg_monthly_pnl: number;
  median_monthly_pnl: number;
  positive_month_rate: number;
  n_months: number;
}

/**
 * A candidate's metrics, with the reference's key names. The keys that carry a
 * sleeve's name (`avg_weight_<s>`, `weight_std_<s>`) are added under that name
 * when written; here they are `avg_weight_a`/`weight_std_a` (the first sleeve,
 * the reference's two numbers) and the per-sleeve lists.
 */
export interface CandidateMetrics {
  full: PerfMetrics;
  train: PerfMetrics;
  test: PerfMetrics;
  stress_1_25_avg_monthly_pnl: number;
  bootstrap_p10_avg_monthly_pnl: number;
  /** Monte Carlo standard error of the p10 (how much another seed would move it), when the probe gives one. */
  bootstrap_p10_mc_std_error?: number;
  avg_turnover_abs: number;
  avg_gross_leverage: number;
  avg_weight_a: number;
  weight_std_a: number;
  /** Average weight of every sleeve over the path, sleeve order (`avg_weights[0] = avg_weight_a`). */
  avg_weights: number[];
  /** Population std of every sleeve's weight, sleeve order (`weight_stds[0] = weight_std_a`). */
  weight_stds: number[];
  train_test_calmar_gap_abs: number;
}

export type ObjectiveName = 'return' | 'balanced' | 'calmar' | 'robust';
export const OBJECTIVES: readonly ObjectiveName[] = ['return', 'balanced', 'calmar', 'robust'];

/** One candidate after simulation and evaluation (objective-independent). */
export interface EvaluatedCandidate {
  readonly config: CandidateConfig;
  /** Family name and version that produced the decisions. */
  readonly family: { name: string; version: string };
  readonly path?: WalkForwardPath;
  readonly metrics?: CandidateMetrics;
  /** Set when the simulation failed: the candidate is excluded, the run goes on. */
  readonly error?: string;
}

/** A candidate scored under one objective. */
export interface ScoredCandidate {
  readonly candidate: EvaluatedCandidate;
  readonly score: number;
  readonly robustPass: boolean;
  /** Names of the gates that failed (empty when it passes). */
  readonly failedGates: readonly string[];
}

/** One objective's optimisation run (docs/model/objectives.md). */
export interface ObjectiveRun {
  readonly objective: ObjectiveName;
  readonly ddCap: number;
  /** Every candidate in grid order, failed ones without score. */
  readonly scored: readonly ScoredCandidate[];
  readonly failed: readonly EvaluatedCandidate[];
  readonly selected: ScoredCandidate;
  /** True when no candidate passed the gates and the best of all was taken. */
  readonly selectedWithoutGate: boolean;
}

/** Benchmarks over the path window (docs/model/metrics.md). */
export interface Benchmarks {
  /** perf of every sleeve alone over the path window, sleeve order. */
  readonly sleeves: readonly PerfMetrics[];
  /** perf of the monthly-rebalanced equal weight (50/50 for two sleeves). */
  readonly equal: PerfMetrics;
  /** Monthly correlations of the sleeves over all aligned months, row-major N x N. */
  readonly correlation: Float64Array;
}
