import type { ObjectiveName, ObjectiveRun } from '@step4/core';
import { type OverfittingAnalysis, honestGap, pboMetric } from './analysis.js';
import type { PboOutcome } from './pbo.js';
import type { DeflatedSharpe } from './sharpe.js';

/** JSON forms of the overfitting statistics, with the key names the summaries use (documented in the README). */

/** A probability that is not defined (fewer than 2 returns, a degenerate distribution) is written as null. */
function definedOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function deflatedSharpeJson(d: DeflatedSharpe): Record<string, number | null> {
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

/** The `overfitting` section of an objective run's summary. */
export function objectiveOverfittingJson(a: OverfittingAnalysis, run: ObjectiveRun): Record<string, unknown> {
  const o = a.perObjective[run.objective];
  const reference = run.selected.candidate.metrics!.test;
  const dsr = a.dsr.get(run.selected.candidate.config.name);
  if (a.pboNotComputed) {
    const m = pboMetric(run.objective);
    return {
      pbo: pboJson(a.pboNotComputed, m.metric, m.note),
      selected_deflated_sharpe: dsr ? deflatedSharpeJson(dsr) : null,
      selection_honest: null,
      selection_honest_not_computed_reason: `no search to judge: ${a.pboNotComputed.reason}`,
    };
  }
  if (!o) return {};
  return {
    pbo: pboJson(o.pbo, o.pboMetric, o.pboMetricNote),
    selected_deflated_sharpe: dsr ? deflatedSharpeJson(dsr) : null,
    selection_honest: {
      test: { ...o.honest.test },
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
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const run of runs) {
    const o = a.perObjective[run.objective as ObjectiveName];
    const ref = run.selected.candidate.metrics!.test;
    if (a.pboNotComputed) {
      out[run.objective] = {
        pbo: null,
        pbo_blocks_requested: a.pboNotComputed.blocksRequested,
        pbo_not_computed_reason: a.pboNotComputed.reason,
        pbo_metric: pboMetric(run.objective).metric,
        selected_deflated_sharpe_ratio: definedOrNull(
          a.dsr.get(run.selected.candidate.config.name)?.deflatedSharpeRatio ?? Number.NaN,
        ),
        reference_test_calmar: ref.calmar,
        honest_test_calmar: null,
        reference_test_end_equity: ref.end_equity,
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
      selected_deflated_sharpe_ratio: definedOrNull(
        a.dsr.get(run.selected.candidate.config.name)?.deflatedSharpeRatio ?? Number.NaN,
      ),
      reference_test_calmar: ref.calmar,
      honest_test_calmar: o.honest.test.calmar,
      reference_test_end_equity: ref.end_equity,
      honest_test_end_equity: o.honest.test.end_equity,
    };
  }
  return out;
}
