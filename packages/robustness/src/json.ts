import type { ObjectiveName, ObjectiveRun } from '@step4/core';
import { type OverfittingAnalysis, honestGap } from './analysis.js';
import type { PboResult } from './pbo.js';
import type { DeflatedSharpe } from './sharpe.js';

/** JSON forms of the overfitting statistics, with the key names the summaries use (documented in the README). */

export function deflatedSharpeJson(d: DeflatedSharpe): Record<string, number> {
  return {
    sharpe_monthly: d.sharpe,
    skewness: d.skewness,
    kurtosis: d.kurtosis,
    n_returns: d.nReturns,
    n_trials: d.nTrials,
    sharpe_variance_across_trials: d.sharpeVarianceAcrossTrials,
    expected_max_sharpe: d.expectedMaxSharpe,
    deflated_sharpe_ratio: d.deflatedSharpeRatio,
    probabilistic_sharpe_ratio_0: d.probabilisticSharpeRatio0,
  };
}

export function pboJson(p: PboResult, metric: string, note: string): Record<string, unknown> {
  return {
    pbo: p.pbo,
    metric,
    metric_note: note,
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

/** The `overfitting` section of an objective run's summary. */
export function objectiveOverfittingJson(a: OverfittingAnalysis, run: ObjectiveRun): Record<string, unknown> {
  const o = a.perObjective[run.objective];
  if (!o) return {};
  const reference = run.selected.candidate.metrics!.test;
  const dsr = a.dsr.get(run.selected.candidate.config.name);
  return {
    pbo: pboJson(o.pbo, o.pboMetric, o.pboMetricNote),
    selected_deflated_sharpe: dsr ? deflatedSharpeJson(dsr) : null,
    selection_honest: {
      test: { ...o.honest.test },
      reference_selected_test: { ...reference },
      reference_minus_honest: honestGap(reference, o.honest.test),
      switches: o.honest.switches,
      distinct_candidates: new Set(o.honest.chosen).size,
      chosen_by_month: o.honest.monthEnds.map((m, i) => ({ month_end: m, candidate: o.honest.chosen[i] })),
    },
  };
}

/** A compact table of the honest numbers per objective, for the run report. */
export function runOverfittingJson(
  a: OverfittingAnalysis,
  runs: readonly ObjectiveRun[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const run of runs) {
    const o = a.perObjective[run.objective as ObjectiveName];
    if (!o) continue;
    const ref = run.selected.candidate.metrics!.test;
    out[run.objective] = {
      pbo: o.pbo.pbo,
      pbo_metric: o.pboMetric,
      selected_deflated_sharpe_ratio:
        a.dsr.get(run.selected.candidate.config.name)?.deflatedSharpeRatio ?? null,
      reference_test_calmar: ref.calmar,
      honest_test_calmar: o.honest.test.calmar,
      reference_test_end_equity: ref.end_equity,
      honest_test_end_equity: o.honest.test.end_equity,
    };
  }
  return out;
}
