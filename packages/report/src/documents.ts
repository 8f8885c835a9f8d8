import {
  type Benchmarks,
  type CandidateMetrics,
  type EvaluatedCandidate,
  type ObjectiveName,
  type ObjectiveRun,
  type PerfMetrics,
  type RunAllResult,
  type ReportExtras,
  type RunManifest,
  type ScoredCandidate,
  benchmarks,
  gatesNearThreshold,
} from '@step4/core';

/**
 * The JSON documents of docs/model/outputs.md. Key names and nesting follow the
 * reference (`selected_candidate.metrics.test.max_drawdown`,
 * `avg_weight_spyqqq`, ...) so scripts written against it keep working; new
 * fields are only ever added.
 */

// The manifest types live in core so the engine can build a manifest without importing report.
export type { PluginCheckRecord, ReportExtras, RunManifest } from '@step4/core';

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

/**
 * Candidate metrics with the reference key names: `avg_weight_<first sleeve>`
 * and `weight_std_<first sleeve>` for two sleeves (the second is the
 * complement), `avg_weight_<s>` and `weight_std_<s>` of every sleeve for more.
 */
export function metricsJson(m: CandidateMetrics, sleeveNames: readonly string[]): Record<string, unknown> {
  const firstSleeve = sleeveNames[0];
  const perSleeve =
    sleeveNames.length === 2
      ? {
          [`avg_weight_${firstSleeve}`]: m.avg_weight_a,
          [`weight_std_${firstSleeve}`]: m.weight_std_a,
        }
      : Object.fromEntries([
          ...sleeveNames.map((s, i) => [`avg_weight_${s}`, m.avg_weights[i]]),
          ...sleeveNames.map((s, i) => [`weight_std_${s}`, m.weight_stds[i]]),
        ]);
  return {
    full: perfJson(m.full),
    train: perfJson(m.train),
    test: perfJson(m.test),
    stress_1_25_avg_monthly_pnl: m.stress_1_25_avg_monthly_pnl,
    bootstrap_p10_avg_monthly_pnl: m.bootstrap_p10_avg_monthly_pnl,
    ...(m.bootstrap_p10_mc_std_error === undefined
      ? {}
      : { bootstrap_p10_mc_std_error: m.bootstrap_p10_mc_std_error }),
    avg_turnover_abs: m.avg_turnover_abs,
    avg_gross_leverage: m.avg_gross_leverage,
    ...perSleeve,
    train_test_calmar_gap_abs: m.train_test_calmar_gap_abs,
  };
}

function scoredJson(
  s: ScoredCandidate,
  sleeveNames: readonly string[],
  extras?: ReportExtras,
): Record<string, unknown> {
  const c = s.candidate;
  return {
    ...scoredCore(s, c, sleeveNames),
    ...(extras?.candidate?.(c.config.name) ?? {}),
  };
}

function scoredCore(
  s: ScoredCandidate,
  c: EvaluatedCandidate,
  sleeveNames: readonly string[],
): Record<string, unknown> {
  return {
    name: c.config.name,
    config: { ...c.config },
    family: c.family,
    score: s.score,
    robust_pass: s.robustPass,
    failed_gates: s.failedGates,
    // Gates another bootstrap seed could flip: the value is within two Monte Carlo standard errors of the threshold.
    gates_within_2_mc_std_errors: gatesNearThreshold(c.metrics!),
    metrics: metricsJson(c.metrics!, sleeveNames),
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
    sleeves: [...prepared.panel.names],
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

/**
 * Every sleeve alone and equal weight; two sleeves keep the reference's keys
 * (`equal_weight_50_50`, `correlation_<a>_<b>`), more get `equal_weight` and
 * the correlation matrix by sleeve name.
 */
export function benchmarksJson(bm: Benchmarks, names: readonly string[]): Record<string, unknown> {
  const n = names.length;
  const sleeves = Object.fromEntries(names.map((s, i) => [s, perfJson(bm.sleeves[i])]));
  if (n === 2) {
    return {
      ...sleeves,
      equal_weight_50_50: perfJson(bm.equal),
      [`correlation_${names[0]}_${names[1]}`]: bm.correlation[1],
    };
  }
  return {
    ...sleeves,
    equal_weight: perfJson(bm.equal),
    correlation: Object.fromEntries(
      names.map((a, i) => [a, Object.fromEntries(names.map((b, j) => [b, bm.correlation[i * n + j]]))]),
    ),
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
    selected_candidate: scoredJson(run.selected, panel.names, manifest.extras),
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
  const names = result.prepared.panel.names;
  const byName = new Map(run.scored.map((s) => [s.candidate.config.name, s]));
  return {
    meta: metaJson(result, manifest, { objective: run.objective, max_drawdown_cap: run.ddCap }),
    selected: run.selected.candidate.config.name,
    n_candidates: result.evaluated.length,
    n_failed: run.failed.length,
    n_passing_gate: run.scored.filter((s) => s.robustPass).length,
    candidates: result.evaluated.map((c) => {
      const s = byName.get(c.config.name);
      return s ? scoredJson(s, names, manifest.extras) : failedJson(c);
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
