import type { CandidateConfig } from './contract.js';

/**
 * A candidate's walk-forward path (spec section 3): one entry per month, as
 * parallel typed arrays (column-oriented, like the Parquet tables it becomes).
 */
export interface WalkForwardPath {
  readonly monthEnds: readonly string[];
  readonly retA: Float64Array;
  readonly retB: Float64Array;
  /** Weight of sleeve A after the position mechanics. */
  readonly weightA: Float64Array;
  readonly weightB: Float64Array;
  readonly grossLeverage: Float64Array;
  readonly retGross: Float64Array;
  readonly cost: Float64Array;
  readonly retNet: Float64Array;
  readonly turnoverAbs: Float64Array;
  /** The policy's own output before clipping. */
  readonly policyWRaw: Float64Array;
  readonly policyConf: Float64Array;
  /** Financing cost of leverage per month, present when a financing rate is set. */
  readonly financingCost?: Float64Array;
  /** Optional per-month diagnostics a family exposes (e.g. predicted means). */
  readonly extra?: Readonly<Record<string, Float64Array>>;
}

/** Performance of one return series (spec section 5, `perf`). */
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
 * A candidate's metrics, with the reference's key names. The two keys that
 * carry the first sleeve's name (`avg_weight_<A>`, `weight_std_<A>`) are added
 * under that name when written; here they are `avg_weight_a`/`weight_std_a`.
 */
export interface CandidateMetrics {
  full: PerfMetrics;
  train: PerfMetrics;
  test: PerfMetrics;
  stress_1_25_avg_monthly_pnl: number;
  bootstrap_p10_avg_monthly_pnl: number;
  avg_turnover_abs: number;
  avg_gross_leverage: number;
  avg_weight_a: number;
  weight_std_a: number;
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

/** One objective's optimisation run (spec section 6). */
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

/** Benchmarks over the path window (spec section 9). */
export interface Benchmarks {
  /** perf of A alone, B alone and the monthly-rebalanced 50/50 over the path window. */
  readonly a: PerfMetrics;
  readonly b: PerfMetrics;
  readonly equal: PerfMetrics;
  /** Monthly correlation of A and B over all aligned months. */
  readonly correlation: number;
}
