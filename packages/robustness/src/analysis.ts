import {
  type EvaluatedCandidate,
  type ObjectiveName,
  type PerfMetrics,
  type Split,
  trainLength,
} from '@step4/core';
import type { BlockBootstrapOptions } from './bootstrap.js';
import { type HonestRun, honestRun, windowMetricsTable } from './honest.js';
import { type PboNotComputed, type PboResult, pboOutcome, sharpeOf } from './pbo.js';
import { type DeflatedSharpe, deflatedSharpeRatio, returnMoments } from './sharpe.js';

/** Everything the overfitting analysis of a run-all reports, per objective and per candidate. */
export interface OverfittingAnalysis {
  /** DSR and PSR of every candidate that ran, on its test returns. */
  readonly dsr: ReadonlyMap<string, DeflatedSharpe>;
  /** Empty when the PBO could not be computed (see `pboNotComputed`). */
  readonly perObjective: Readonly<Partial<Record<ObjectiveName, ObjectiveAnalysis>>>;
  /**
   * Set when there is no search to judge: fewer than 2 candidates ran, or
   * the path is too short for 2 blocks of 2 months. The selection-honest run
   * is then skipped too (with one candidate it is that candidate).
   */
  readonly pboNotComputed?: PboNotComputed;
}

export interface ObjectiveAnalysis {
  readonly pbo: PboResult;
  /** What ranks candidates inside the CSCV splits. */
  readonly pboMetric: 'return_score' | 'sharpe';
  readonly pboMetricNote: string;
  readonly honest: HonestRun;
}

export interface OverfittingOptions {
  readonly split: Split;
  readonly startCapital: number;
  readonly bootstrap: BlockBootstrapOptions;
  /** CSCV blocks S requested (even; default 16); short paths use fewer (`pboBlocks`). */
  readonly pboBlocks?: number;
  readonly objectives: readonly { objective: ObjectiveName; ddCap: number }[];
}

/**
 * The return objective's score (1.0 end equity + 200 Calmar - 600 maxDD) can
 * be computed on any stretch of returns; the other objectives also need
 * weights, turnover or a bootstrap tail that a block of returns does not
 * carry, so their CSCV uses the Sharpe ratio.
 */
export function pboMetric(objective: ObjectiveName): {
  metric: ObjectiveAnalysis['pboMetric'];
  note: string;
} {
  if (objective === 'return') {
    return {
      metric: 'return_score',
      note: 'the return objective score (1.0 end equity + 200 Calmar - 600 max drawdown) of each half',
    };
  }
  return {
    metric: 'sharpe',
    note: `the monthly Sharpe ratio: the ${objective} objective needs weights, turnover or a bootstrap tail that a block of returns does not carry`,
  };
}

function pboMeasure(objective: ObjectiveName, startCapital: number) {
  const m = pboMetric(objective);
  return {
    ...m,
    measure: m.metric === 'return_score' ? (r: Float64Array) => returnScoreOf(r, startCapital) : sharpeOf,
  };
}

/** The return objective's score of a return series, as perf() would give it, without allocating. */
export function returnScoreOf(r: Float64Array, startCapital: number): number {
  const n = r.length;
  if (n === 0) return startCapital;
  let g = 1;
  let peak = Number.NEGATIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    g *= 1 + r[i];
    if (g > peak) peak = g;
    const dd = g / peak - 1;
    if (dd < worst) worst = dd;
  }
  const mdd = -worst;
  const cagr = Math.max(g, 1e-9) ** (1 / Math.max(n / 12, 1 / 12)) - 1;
  return startCapital * g + 200 * (mdd > 1e-9 ? cagr / mdd : 0) - 600 * mdd;
}

/** Deflated Sharpe ratio of every candidate: trials = candidates that ran, on their test returns. */
export function deflatedSharpeAll(
  candidates: readonly EvaluatedCandidate[],
  split: Split,
): Map<string, DeflatedSharpe> {
  const ok = candidates.filter((c) => c.path);
  const moments = ok.map((c) => returnMoments(c.path!.retNet.subarray(trainLength(c.path!, split))));
  const srs = moments.map((m) => m.sharpe);
  const mu = srs.reduce((s, v) => s + v, 0) / srs.length;
  const variance = srs.length > 1 ? srs.reduce((s, v) => s + (v - mu) ** 2, 0) / (srs.length - 1) : 0;
  return new Map(ok.map((c, i) => [c.config.name, deflatedSharpeRatio(moments[i], ok.length, variance)]));
}

/** PBO, DSR and the selection-honest run of every objective. */
export function analyseOverfitting(
  candidates: readonly EvaluatedCandidate[],
  opts: OverfittingOptions,
): OverfittingAnalysis {
  const ok = candidates.filter((c) => c.path);
  const dsr = deflatedSharpeAll(ok, opts.split);
  const matrix = ok.map((c) => c.path!.retNet);
  const blocks = opts.pboBlocks ?? 16;
  const pboCache = new Map<string, PboResult>();
  const perObjective: Partial<Record<ObjectiveName, ObjectiveAnalysis>> = {};
  // Whether a PBO can be computed depends on the months and candidates only, not on the measure.
  for (const { objective } of opts.objectives) {
    const m = pboMeasure(objective, opts.startCapital);
    if (pboCache.has(m.metric)) continue;
    const p = pboOutcome(matrix, { blocks, measure: m.measure });
    if (!p.computed) return { dsr, perObjective, pboNotComputed: p };
    pboCache.set(m.metric, p);
  }
  const table = windowMetricsTable(ok, opts.split, opts.startCapital, opts.bootstrap);
  for (const { objective, ddCap } of opts.objectives) {
    const m = pboMeasure(objective, opts.startCapital);
    perObjective[objective] = {
      pbo: pboCache.get(m.metric)!,
      pboMetric: m.metric,
      pboMetricNote: m.note,
      honest: honestRun(
        ok,
        { objective, ddCap, split: opts.split, startCapital: opts.startCapital, bootstrap: opts.bootstrap },
        table,
      ),
    };
  }
  return { dsr, perObjective };
}

/** The reference selection's test metrics beside the honest ones, and how much the reference overstates. */
export function honestGap(reference: PerfMetrics, honest: PerfMetrics): Record<string, number> {
  return {
    end_equity: reference.end_equity - honest.end_equity,
    cagr: reference.cagr - honest.cagr,
    calmar: reference.calmar - honest.calmar,
    max_drawdown: reference.max_drawdown - honest.max_drawdown,
    avg_monthly_pnl: reference.avg_monthly_pnl - honest.avg_monthly_pnl,
  };
}
