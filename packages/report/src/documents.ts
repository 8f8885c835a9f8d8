import {
  type Benchmarks,
  type CandidateMetrics,
  type EvaluatedCandidate,
  type ObjectiveName,
  type ObjectiveRun,
  type PerfMetrics,
  type RunAllResult,
  type ScoredCandidate,
  benchmarks,
} from '@step4/core';

/**
 * The JSON documents of spec section 9. Key names and nesting follow the
 * reference (`selected_candidate.metrics.test.max_drawdown`,
 * `avg_weight_spyqqq`, ...) so scripts written against it keep working; new
 * fields are only ever added.
 */

/** Everything about a run that is not a result: options, inputs, versions. */
export interface RunManifest {
  readonly tool: { readonly name: string; readonly version: string };
  readonly startCapital: number;
  readonly trainRatio: number;
  readonly minHistoryMonths: number;
  readonly seed: number;
  readonly bootstrap: { readonly samples: number; readonly blockMonths: number; readonly method: string };
  readonly promoteDdCap: number;
  readonly sleeves: readonly { readonly name: string; readonly source: string; readonly sha256: string }[];
  readonly families: readonly { readonly name: string; readonly version: string; readonly source: string }[];
  readonly packages: Readonly<Record<string, string>>;
  /** ISO timestamp; the only field that differs between two identical runs. */
  readonly generatedAt: string;
  /** Options beyond the reference's (financing rate, optional gates, bootstrap method, ...). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Sections added beside the reference's keys (e.g. overfitting statistics). */
  readonly extras?: ReportExtras;
  /** The quick conformance check of each plugin family before the run (built-ins are checked by tests). */
  readonly pluginChecks?: readonly PluginCheckRecord[];
}

/** One plugin family's quick conformance check. */
export interface PluginCheckRecord {
  readonly family: string;
  readonly source: string;
  /** null when the check was skipped (`--no-plugin-check`). */
  readonly passed: boolean | null;
  readonly failedCheck?: string;
  readonly reason?: string;
}

/** Extra JSON sections; the reference's keys are never renamed, only added to. */
export interface ReportExtras {
  /** Added to an objective run's summary at the top level. */
  summary?(run: ObjectiveRun): Record<string, unknown>;
  /** Added to a candidate's entry (summary's selected_candidate and the optimization report). */
  candidate?(name: string): Record<string, unknown> | undefined;
  /** Added to the run report at the top level. */
  runReport?: Record<string, unknown>;
}

export function perfJson(p: PerfMetrics): Record<string, number> {
  return {
    end_equity: p.end_equity,
    cagr: p.cagr,
    max_drawdown: p.max_drawdown,
    calmar: p.calmar,
    avg_monthly_pnl: p.avg_monthly_pnl,
    median_monthly_pnl: p.median_monthly_pnl,
    positive_month_rate: p.positive_month_rate,
    n_months: p.n_months,
  };
}

/** Candidate metrics with the reference key names (`avg_weight_<first sleeve>`). */
export function metricsJson(m: CandidateMetrics, firstSleeve: string): Record<string, unknown> {
  return {
    full: perfJson(m.full),
    train: perfJson(m.train),
    test: perfJson(m.test),
    stress_1_25_avg_monthly_pnl: m.stress_1_25_avg_monthly_pnl,
    bootstrap_p10_avg_monthly_pnl: m.bootstrap_p10_avg_monthly_pnl,
    avg_turnover_abs: m.avg_turnover_abs,
    avg_gross_leverage: m.avg_gross_leverage,
    [`avg_weight_${firstSleeve}`]: m.avg_weight_a,
    [`weight_std_${firstSleeve}`]: m.weight_std_a,
    train_test_calmar_gap_abs: m.train_test_calmar_gap_abs,
  };
}

function scoredJson(s: ScoredCandidate, firstSleeve: string, extras?: ReportExtras): Record<string, unknown> {
  const c = s.candidate;
  return {
    ...scoredCore(s, c, firstSleeve),
    ...(extras?.candidate?.(c.config.name) ?? {}),
  };
}

function scoredCore(s: ScoredCandidate, c: EvaluatedCandidate, firstSleeve: string): Record<string, unknown> {
  return {
    name: c.config.name,
    config: { ...c.config },
    family: c.family,
    score: s.score,
    robust_pass: s.robustPass,
    failed_gates: s.failedGates,
    metrics: metricsJson(c.metrics!, firstSleeve),
  };
}

function failedJson(c: EvaluatedCandidate): Record<string, unknown> {
  return { name: c.config.name, config: { ...c.config }, family: c.family, error: c.error };
}

/** `2022-01-31` -> `2022-01-31 00:00:00+00:00`, the reference's timestamp format. */
export function utcTimestamp(monthEnd: string): string {
  return `${monthEnd} 00:00:00+00:00`;
}

export function metaJson(
  result: RunAllResult,
  manifest: RunManifest,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const { prepared } = result;
  const [a, b] = prepared.panel.names;
  return {
    script: manifest.tool.name,
    script_version: manifest.tool.version,
    ...extra,
    start_capital: manifest.startCapital,
    train_ratio: manifest.trainRatio,
    min_history_months: manifest.minHistoryMonths,
    split_month_end_utc: utcTimestamp(prepared.split.monthEnd),
    n_overlap_months: prepared.panel.monthEnds.length,
    overlap_first_month_end: prepared.panel.monthEnds[0],
    overlap_last_month_end: prepared.panel.monthEnds[prepared.panel.monthEnds.length - 1],
    sleeves: [a, b],
    sources: Object.fromEntries(manifest.sleeves.map((s) => [s.name, s.source])),
    bootstrap_samples: manifest.bootstrap.samples,
    bootstrap_block_months: manifest.bootstrap.blockMonths,
    bootstrap_method: manifest.bootstrap.method,
    seed: manifest.seed,
    ...(manifest.options ?? {}),
    manifest: {
      inputs: manifest.sleeves.map((s) => ({ name: s.name, source: s.source, sha256: s.sha256 })),
      families: manifest.families,
      packages: manifest.packages,
      ...(manifest.pluginChecks
        ? {
            plugin_checks: manifest.pluginChecks.map((c) => ({
              family: c.family,
              source: c.source,
              passed: c.passed,
              failed_check: c.failedCheck ?? null,
              reason: c.reason ?? null,
            })),
          }
        : {}),
    },
    generated_at_utc: manifest.generatedAt,
  };
}

export function benchmarksJson(bm: Benchmarks, names: readonly [string, string]): Record<string, unknown> {
  const [a, b] = names;
  return {
    [a]: perfJson(bm.a),
    [b]: perfJson(bm.b),
    equal_weight_50_50: perfJson(bm.equal),
    [`correlation_${a}_${b}`]: bm.correlation,
  };
}

/** `backtest/step4_summary.json` of one objective run. */
export function summaryDocument(
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
): Record<string, unknown> {
  const { panel } = result.prepared;
  const selected = run.selected.candidate;
  return {
    meta: metaJson(result, manifest, {
      objective: run.objective,
      max_drawdown_cap: run.ddCap,
      selected_without_gate: run.selectedWithoutGate,
    }),
    selected_candidate: scoredJson(run.selected, panel.names[0], manifest.extras),
    benchmarks: benchmarksJson(benchmarks(panel, selected.path!, manifest.startCapital), panel.names),
    ...(manifest.extras?.summary?.(run) ?? {}),
  };
}

/** `optimization/step4_optimization_report.json`: every candidate, in grid order. */
export function optimizationReportDocument(
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
): Record<string, unknown> {
  const first = result.prepared.panel.names[0];
  const byName = new Map(run.scored.map((s) => [s.candidate.config.name, s]));
  return {
    meta: metaJson(result, manifest, { objective: run.objective, max_drawdown_cap: run.ddCap }),
    selected: run.selected.candidate.config.name,
    n_candidates: result.evaluated.length,
    n_failed: run.failed.length,
    n_passing_gate: run.scored.filter((s) => s.robustPass).length,
    candidates: result.evaluated.map((c) => {
      const s = byName.get(c.config.name);
      return s ? scoredJson(s, first, manifest.extras) : failedJson(c);
    }),
  };
}

/** `final/step4_run_report.json`: every run's summary and the promotion. */
export function runReportDocument(
  result: RunAllResult,
  manifest: RunManifest,
  finalOutputs: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const { promotion } = result;
  const dyn = promotion.dynamic;
  const runs: Record<string, unknown> = {};
  for (const run of result.runs) runs[run.objective] = summaryDocument(run, result, manifest);
  return {
    meta: metaJson(result, manifest, { promote_dd_cap: manifest.promoteDdCap }),
    objectives: result.runs.map((r) => r.objective),
    runs,
    eligible_objectives: promotion.eligible,
    eligible_fallback_to_all: promotion.eligibleFallback,
    promoted_objective: promotion.promoted.objective,
    promoted_score: promotion.promoted.score,
    promoted_candidate: selectedName(result, promotion.promoted.objective),
    promoted_dynamic_objective: 'objective' in dyn ? dyn.objective : null,
    promoted_dynamic_score: 'objective' in dyn ? dyn.score : null,
    promoted_dynamic_candidate: 'objective' in dyn ? selectedName(result, dyn.objective) : null,
    promoted_dynamic_reason: 'none' in dyn ? dyn.none : null,
    final_outputs: finalOutputs,
    ...(manifest.extras?.runReport ?? {}),
  };
}

export function selectedName(result: RunAllResult, objective: ObjectiveName): string {
  return result.runs.find((r) => r.objective === objective)!.selected.candidate.config.name;
}
