import type { ObjectiveName, ObjectiveRun } from '@step4/core';
import { type OverfittingAnalysis, PBO_METRIC_NOTE, type SpaAnalysis, honestGap } from './analysis.js';
import type { TrackRecordStatistics } from './track-record.js';
import type { PboOutcome } from './pbo.js';
import type { DeflatedSharpe } from './sharpe.js';

/** JSON forms of the overfitting statistics, with the key names the summaries use (documented in the README). */

/** A probability that is not defined (fewer than 2 returns, a degenerate distribution) is written as null. */
function definedOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function deflatedSharpeJson(
  d: DeflatedSharpe,
  byCount?: { raw: number; distinct: number },
): Record<string, number | null> {
  return {
    sharpe_monthly: d.sharpe,
    skewness: d.skewness,
    kurtosis: d.kurtosis,
    n_returns: d.nReturns,
    n_trials: d.nTrials,
    sharpe_variance_across_trials: d.sharpeVarianceAcrossTrials,
    expected_max_sharpe: d.expectedMaxSharpe,
    deflated_sharpe_ratio: definedOrNull(d.deflatedSharpeRatio),
    probabilistic_sharpe_ratio_0: definedOrNull(d.probabilisticSharpeRatio0),
    ...(byCount
      ? {
          deflated_sharpe_ratio_raw_trials: definedOrNull(byCount.raw),
          deflated_sharpe_ratio_distinct_trials: definedOrNull(byCount.distinct),
        }
      : {}),
  };
}

/** A PBO that was not computed is `pbo: null` with `not_computed_reason`; no number stands in for it. */
export function pboJson(p: PboOutcome, metric: string, note: string): Record<string, unknown> {
  if (!p.computed) {
    return {
      pbo: null,
      not_computed_reason: p.reason,
      metric,
      metric_note: note,
      blocks_requested: p.blocksRequested,
      months: p.months,
      candidates: p.candidates,
    };
  }
  return {
    pbo: p.pbo,
    logit_zero_share: p.logitZeroShare,
    metric,
    metric_note: note,
    blocks_requested: p.blocksRequested,
    blocks: p.blocks,
    combinations: p.combinations,
    months_used: p.monthsUsed,
    months_dropped: p.monthsDropped,
    candidates: p.candidates,
    logit_mean: p.logits.mean,
    logit_quantiles: p.logits.quantiles,
    logit_histogram: p.logits.histogram,
    degradation_slope: p.degradation.slope,
    degradation_intercept: p.degradation.intercept,
    degradation_r2: p.degradation.r2,
    probability_oos_loss: p.probabilityOfOosLoss,
  };
}

/**
 * One line per statistic saying what it means, written beside the numbers
 * (summary JSON, run report, HTML report) so a reader needs no manual.
 */
export const OVERFITTING_MEANINGS: Readonly<Record<string, string>> = Object.freeze({
  pbo: "Probability that the search picked an overfit candidate: the share of ways to split the test months in two where the candidate this objective's score would pick on one half ranks below the median on the other half. 0.5 = picking was no better than chance.",
  pbo_all_months: 'The same PBO on every path month (train and test), for comparison.',
  pbo_sensitivity:
    'The PBO for other numbers of blocks S: how much the answer depends on how the months are cut.',
  probability_oos_loss: 'Share of those splits where the picked candidate lost money on the other half.',
  trials:
    'How many strategies the search really tried: every candidate (raw), distinct return paths (distinct), and the number of independent ones their correlation amounts to (effective, used for the DSR).',
  selected_deflated_sharpe:
    'Probability that the selected Sharpe ratio is real after all the trials (DSR), on returns in excess of the risk-free rate.',
  selected_track_record:
    'How long a record the selected Sharpe ratio needs to be believed (minimum track record length) and its confidence interval given skew, fat tails and autocorrelation; a null length means the Sharpe ratio is not above that threshold, so no record length would do.',
  spa: "Hansen's test of whether the best candidate beats the equal-weight benchmark after trying them all: small p-values (< 0.05) mean some candidate really beats it; the upper p-value is White's Reality Check.",
  stepm_superior:
    'Candidates that beat the equal-weight benchmark by the Romano-Wolf StepM test (10% familywise error); empty means none can be shown to.',
  selection_honest:
    'What running this search live would have earned: each test month goes to the candidate that was best on the months before it, paying the cost of switching between candidates.',
  risk_free: 'The risk-free rate the Sharpe ratios, PSR and DSR are in excess of.',
});

export function trialsJson(a: OverfittingAnalysis): Record<string, unknown> {
  return {
    raw: a.trials.raw,
    distinct: a.trials.distinct,
    effective: a.trials.effective,
    average_correlation: a.trials.averageCorrelation,
    method: a.trials.method,
  };
}

export function spaJson(s: SpaAnalysis | undefined): Record<string, unknown> | null {
  if (!s) return null;
  return {
    pvalue_lower: s.pvalueLower,
    pvalue_consistent: s.pvalueConsistent,
    pvalue_upper_reality_check: s.pvalueUpper,
    monte_carlo_std_error: s.monteCarloStdError,
    benchmark: s.benchmark,
    months: s.nMonths,
    candidates: s.nModels,
    replications: s.reps,
    mean_block_months: s.meanBlock,
    bootstrap: 'stationary (Politis and Romano 1994)',
    statistic: 'largest mean excess return over the benchmark, not studentized (as arch 8.0.0)',
    studentized_pvalues: {
      lower: s.studentized.pvalueLower,
      consistent: s.studentized.pvalueConsistent,
      upper: s.studentized.pvalueUpper,
    },
    stepm_superior: [...s.stepMSuperior],
    stepm_alpha: s.stepMAlpha,
  };
}

export function riskFreeJson(a: OverfittingAnalysis): Record<string, unknown> {
  return a.riskFree.kind === 'constant'
    ? { kind: 'constant', annual: a.riskFree.annual }
    : { kind: 'table', source: a.riskFree.source };
}

export function trackRecordJson(t: TrackRecordStatistics | undefined): Record<string, unknown> | null {
  if (!t) return null;
  const i = t.interval;
  return {
    months: t.months,
    sharpe_monthly: t.sharpe,
    sharpe_ci: {
      confidence: i.confidence,
      lower: definedOrNull(i.lower),
      upper: definedOrNull(i.upper),
      standard_error: definedOrNull(i.standardError),
      standard_error_iid_normal: definedOrNull(i.standardErrorIid),
      standard_error_non_normal: definedOrNull(i.standardErrorNonNormal),
      autocorrelation_factor: definedOrNull(i.autocorrelationFactor),
      lags: i.lags,
      method: i.method,
    },
    deflated_threshold_sharpe: t.srStar,
    min_track_record_months_vs_0: definedOrNull(t.minTrackRecordLengthVs0),
    min_track_record_months_vs_deflated: definedOrNull(t.minTrackRecordLengthVsDeflated),
    enough_vs_0: t.enoughVs0,
    enough_vs_deflated: t.enoughVsDeflated,
    confidence: t.confidence,
  };
}

/** The `overfitting` section of an objective run's summary. */
export function objectiveOverfittingJson(
  a: OverfittingAnalysis,
  run: ObjectiveRun,
  trackRecord?: TrackRecordStatistics,
): Record<string, unknown> {
  const o = a.perObjective[run.objective];
  const reference = run.selected.candidate.metrics!.test;
  const name = run.selected.candidate.config.name;
  const dsr = a.dsr.get(name);
  const common = {
    meanings: OVERFITTING_MEANINGS,
    risk_free: riskFreeJson(a),
    trials: trialsJson(a),
    selected_deflated_sharpe: dsr ? deflatedSharpeJson(dsr, a.dsrByTrialCount.get(name)) : null,
    selected_track_record: trackRecordJson(trackRecord),
    spa: spaJson(a.spa),
  };
  if (a.pboNotComputed) {
    return {
      pbo: pboJson(a.pboNotComputed, 'objective_score', PBO_METRIC_NOTE),
      ...common,
      selection_honest: null,
      selection_honest_not_computed_reason: `no search to judge: ${a.pboNotComputed.reason}`,
    };
  }
  if (!o) return {};
  return {
    pbo: { ...pboJson(o.pbo, o.pboMetric, o.pboMetricNote), months_basis: 'test' },
    pbo_all_months: { ...pboJson(o.pboAllMonths, o.pboMetric, o.pboMetricNote), months_basis: 'all' },
    pbo_sensitivity: o.pboSensitivity.map((r) => ({ blocks: r.blocks, pbo: r.pbo })),
    ...common,
    selection_honest: {
      test: { ...o.honest.test },
      test_without_switching_costs: { ...o.honest.testWithoutSwitchingCosts },
      switching_cost_sum: o.honest.switchingCostSum,
      reference_selected_test: { ...reference },
      reference_minus_honest: honestGap(reference, o.honest.test),
      switches: o.honest.switches,
      path_months_before_test: o.honest.monthsBeforeTest,
      distinct_candidates: new Set(o.honest.chosen).size,
      chosen_by_month: o.honest.monthEnds.map((m, i) => ({ month_end: m, candidate: o.honest.chosen[i] })),
    },
  };
}

/** A compact table of the honest numbers per objective, for the run report. */
export function runOverfittingJson(
  a: OverfittingAnalysis,
  runs: readonly ObjectiveRun[],
  trackRecords?: ReadonlyMap<string, TrackRecordStatistics>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const run of runs) {
    const o = a.perObjective[run.objective as ObjectiveName];
    const ref = run.selected.candidate.metrics!.test;
    const name = run.selected.candidate.config.name;
    const t = trackRecords?.get(run.objective);
    const common = {
      selected_deflated_sharpe_ratio: definedOrNull(a.dsr.get(name)?.deflatedSharpeRatio ?? Number.NaN),
      deflated_sharpe_trials_effective: a.trials.effective,
      spa_pvalue_consistent: a.spa ? a.spa.pvalueConsistent : null,
      min_track_record_months_vs_deflated: t ? definedOrNull(t.minTrackRecordLengthVsDeflated) : null,
      reference_test_calmar: ref.calmar,
      reference_test_end_equity: ref.end_equity,
    };
    if (a.pboNotComputed) {
      out[run.objective] = {
        pbo: null,
        pbo_blocks_requested: a.pboNotComputed.blocksRequested,
        pbo_not_computed_reason: a.pboNotComputed.reason,
        pbo_metric: 'objective_score',
        ...common,
        honest_test_calmar: null,
        honest_test_end_equity: null,
      };
      continue;
    }
    if (!o) continue;
    out[run.objective] = {
      pbo: o.pbo.pbo,
      pbo_blocks: o.pbo.blocks,
      pbo_blocks_requested: o.pbo.blocksRequested,
      pbo_metric: o.pboMetric,
      pbo_all_months: o.pboAllMonths.computed ? o.pboAllMonths.pbo : null,
      probability_oos_loss: o.pbo.probabilityOfOosLoss,
      ...common,
      honest_test_calmar: o.honest.test.calmar,
      honest_test_end_equity: o.honest.test.end_equity,
    };
  }
  return out;
}
