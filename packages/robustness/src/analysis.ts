import {
  type CandidateMetrics,
  type EvaluatedCandidate,
  type ObjectiveName,
  type PerfMetrics,
  type Split,
  trainLength,
} from '@step4/core';
import type { BlockBootstrapOptions } from './bootstrap.js';
import { candidateWindowMetrics, type HonestRun, honestRun, windowMetricsTable } from './honest.js';
import { objectivePbo, objectivePboSensitivity } from './objective-pbo.js';
import type { PboNotComputed, PboOutcome, PboResult } from './pbo.js';
import { type DeflatedSharpe, deflatedSharpeRatio, returnMoments } from './sharpe.js';
import { type SpaResult, spaTests } from './spa.js';
import { type TrackRecordStatistics, trackRecordStatistics } from './track-record.js';
import { distinctPaths, effectiveNumberOfTrials, type TrialCount } from './trials.js';

/** Everything the overfitting analysis of a run-all reports, per objective and per candidate. */
export interface OverfittingAnalysis {
  /** DSR and PSR of every candidate that ran, on its test excess returns, deflated by the effective trials. */
  readonly dsr: ReadonlyMap<string, DeflatedSharpe>;
  /** The same DSR with the raw and the distinct number of trials, for comparison. */
  readonly dsrByTrialCount: ReadonlyMap<string, { readonly raw: number; readonly distinct: number }>;
  /** How many trials the search made: raw, distinct paths, effective (used for DSR and its gate). */
  readonly trials: TrialCount;
  /** Empty when the PBO could not be computed (see `pboNotComputed`). */
  readonly perObjective: Readonly<Partial<Record<ObjectiveName, ObjectiveAnalysis>>>;
  /** Hansen's SPA test and the Romano-Wolf StepM set against the equal-weight benchmark, on the test months. */
  readonly spa?: SpaAnalysis;
  /** The monthly risk-free rate the Sharpe ratios are in excess of. */
  readonly riskFree: RiskFreeDescription;
  /**
   * Set when there is no search to judge: fewer than 2 candidates ran, or
   * the test months are too few for 2 blocks of 2 months. The selection-honest
   * run is then skipped too (with one candidate it is that candidate).
   */
  readonly pboNotComputed?: PboNotComputed;
}

export interface ObjectiveAnalysis {
  /** PBO of the selection actually made: the objective's own score on the test months (what `--max-pbo` gates). */
  readonly pbo: PboResult;
  /** The same on every path month (train and test). */
  readonly pboAllMonths: PboOutcome;
  /** PBO on the test months for every even S from 4 to 16 that fits. */
  readonly pboSensitivity: readonly { readonly blocks: number; readonly pbo: number }[];
  readonly pboMetric: 'objective_score';
  readonly pboMetricNote: string;
  readonly honest: HonestRun;
}

export interface SpaAnalysis extends SpaResult {
  readonly benchmark: string;
  /** Hansen's studentized p-values, for comparison (they over-reject on short samples). */
  readonly studentized: {
    readonly pvalueLower: number;
    readonly pvalueConsistent: number;
    readonly pvalueUpper: number;
  };
  /** Candidates that beat the benchmark by Romano and Wolf's StepM at `stepMAlpha`. */
  readonly stepMSuperior: readonly string[];
  readonly stepMAlpha: number;
}

export type RiskFreeDescription =
  | { readonly kind: 'constant'; readonly annual: number }
  | { readonly kind: 'table'; readonly source: string };

export interface OverfittingOptions {
  readonly split: Split;
  readonly startCapital: number;
  readonly bootstrap: BlockBootstrapOptions;
  /** CSCV blocks S requested (even; default 16); short month ranges use fewer (`pboBlocks`). */
  readonly pboBlocks?: number;
  readonly objectives: readonly { objective: ObjectiveName; ddCap: number }[];
  /**
   * Risk-free return of each path month (aligned with the paths' months), or
   * nothing for 0 (the reference). Sharpe, PSR and DSR use excess returns.
   */
  readonly riskFree?: { readonly monthly: Float64Array; readonly description: RiskFreeDescription };
  /** Bootstrap replications of the SPA test and StepM (default 10 000; 0 skips them). */
  readonly spaReplications?: number;
  /**
   * The per-candidate part, already computed (`overfittingCandidateInputs`
   * with these options, e.g. in the worker that simulated the candidate), by
   * candidate name. Candidates missing here are computed; the result is the same.
   */
  readonly perCandidate?: ReadonlyMap<string, CandidateOverfittingInputs>;
}

/**
 * What the overfitting analysis needs from one candidate alone: its
 * selection-honest window metrics at every test month (the bootstrap p10 of
 * each window is most of the analysis' work). Plain objects and numbers, so
 * it survives a structured clone (a worker's message).
 */
export interface CandidateOverfittingInputs {
  /** The candidate's name. */
  readonly candidate: string;
  /** Path months before the first test month. */
  readonly firstTest: number;
  /** `windowMetrics` of the first firstTest + j path months, for each test month j. */
  readonly windows: readonly CandidateMetrics[];
}

/**
 * The per-candidate part of `analyseOverfitting`, for one candidate that ran
 * (undefined when it has no path). Give the results back through
 * `OverfittingOptions.perCandidate`, with the same split, start capital and
 * bootstrap options.
 */
export function overfittingCandidateInputs(
  c: EvaluatedCandidate,
  opts: Pick<OverfittingOptions, 'split' | 'startCapital' | 'bootstrap'>,
): CandidateOverfittingInputs | undefined {
  if (!c.path) return undefined;
  const firstTest = trainLength(c.path, opts.split);
  const count = c.path.monthEnds.length - firstTest;
  return {
    candidate: c.config.name,
    firstTest,
    windows: candidateWindowMetrics(c, firstTest, count, opts.startCapital, opts.bootstrap),
  };
}

/** What ranks the candidates in the CSCV splits (README, "How much to believe"). */
export const PBO_METRIC_NOTE =
  "each objective's own score on each half of a split (the bootstrap-tail term left out, gates not applied)";

/** A yearly risk-free rate as a monthly return: (1 + annual)^(1/12) - 1. */
export function monthlyRiskFree(annual: number): number {
  return (1 + annual) ** (1 / 12) - 1;
}

/** Net returns minus the risk-free return, over path months [from, to). */
export function excessReturns(
  c: EvaluatedCandidate,
  from: number,
  riskFree: Float64Array | undefined,
  to = c.path!.retNet.length,
): Float64Array {
  const r = c.path!.retNet.slice(from, to);
  if (riskFree) for (let k = 0; k < r.length; k++) r[k] -= riskFree[from + k];
  return r;
}

/**
 * Deflated Sharpe ratio of every candidate on its test excess returns. The
 * variance of the Sharpe ratios is taken over distinct paths (a duplicate
 * is no new trial); the number of trials is the effective one, and the raw
 * and distinct counts are given beside it. The variance is that of the
 * correlated trials' Sharpe ratios, as the DSR paper prescribes; with the
 * effective N it may count correlation twice (a smaller variance and fewer
 * trials), which errs towards a higher DSR: the raw and distinct versions
 * beside it bound it from below.
 */
export function deflatedSharpeAll(
  candidates: readonly EvaluatedCandidate[],
  split: Split,
  riskFree?: Float64Array,
): {
  dsr: Map<string, DeflatedSharpe>;
  byCount: Map<string, { raw: number; distinct: number }>;
  trials: TrialCount;
} {
  const ok = candidates.filter((c) => c.path);
  const from = ok.length > 0 ? trainLength(ok[0].path!, split) : 0;
  const series = ok.map((c) => excessReturns(c, from, riskFree));
  const trials = effectiveNumberOfTrials(series);
  const moments = series.map((r) => returnMoments(r));
  const srs = distinctPaths(series).groups.map((g) => moments[g.representative].sharpe);
  const mu = srs.reduce((s, v) => s + v, 0) / Math.max(1, srs.length);
  const variance = srs.length > 1 ? srs.reduce((s, v) => s + (v - mu) ** 2, 0) / (srs.length - 1) : 0;
  const dsr = new Map<string, DeflatedSharpe>();
  const byCount = new Map<string, { raw: number; distinct: number }>();
  ok.forEach((c, i) => {
    dsr.set(c.config.name, deflatedSharpeRatio(moments[i], trials.effective, variance));
    byCount.set(c.config.name, {
      raw: deflatedSharpeRatio(moments[i], trials.raw, variance).deflatedSharpeRatio,
      distinct: deflatedSharpeRatio(moments[i], trials.distinct, variance).deflatedSharpeRatio,
    });
  });
  return { dsr, byCount, trials };
}

/** The monthly-rebalanced equal-weight mix of the sleeves, no costs, over path months [from, to). */
export function equalWeightReturns(
  c: EvaluatedCandidate,
  from: number,
  to = c.path!.retNet.length,
): Float64Array {
  const sr = c.path!.sleeveReturns;
  const out = new Float64Array(to - from);
  for (let k = from; k < to; k++) {
    let s = 0;
    for (const r of sr) s += r[k];
    out[k - from] = s / sr.length;
  }
  return out;
}

/** PBO, DSR, SPA and the selection-honest run of every objective. */
export function analyseOverfitting(
  candidates: readonly EvaluatedCandidate[],
  opts: OverfittingOptions,
): OverfittingAnalysis {
  const ok = candidates.filter((c) => c.path);
  const riskFreeMonthly = opts.riskFree?.monthly;
  const riskFree: RiskFreeDescription = opts.riskFree?.description ?? { kind: 'constant', annual: 0 };
  const { dsr, byCount, trials } = deflatedSharpeAll(ok, opts.split, riskFreeMonthly);
  const base = { dsr, dsrByTrialCount: byCount, trials, riskFree };
  const blocks = opts.pboBlocks ?? 16;
  const objectives = opts.objectives.map((o) => o.objective);
  const paths = ok.map((c) => c.path!);
  const firstTest = ok.length > 0 ? trainLength(paths[0], opts.split) : 0;
  const pboTest = objectivePbo(paths, {
    objectives,
    blocks,
    startCapital: opts.startCapital,
    from: firstTest,
  });
  const first = pboTest.get(objectives[0]);
  if (first && !first.computed) return { ...base, perObjective: {}, pboNotComputed: first };
  const pboAll = objectivePbo(paths, { objectives, blocks, startCapital: opts.startCapital, from: 0 });
  const sensitivity = objectivePboSensitivity(paths, {
    objectives,
    startCapital: opts.startCapital,
    from: firstTest,
    known: first?.computed ? { blocks: first.blocks, pbo: pboTest } : undefined,
  });
  const given = opts.perCandidate;
  const table = windowMetricsTable(
    ok,
    opts.split,
    opts.startCapital,
    opts.bootstrap,
    given ? (c) => given.get(c.config.name) : undefined,
  );
  const perObjective: Partial<Record<ObjectiveName, ObjectiveAnalysis>> = {};
  for (const { objective, ddCap } of opts.objectives) {
    perObjective[objective] = {
      pbo: pboTest.get(objective) as PboResult,
      pboAllMonths: pboAll.get(objective)!,
      pboSensitivity: sensitivity.flatMap((row) =>
        row.pbo[objective] === undefined ? [] : [{ blocks: row.blocks, pbo: row.pbo[objective]! }],
      ),
      pboMetric: 'objective_score',
      pboMetricNote: PBO_METRIC_NOTE,
      honest: honestRun(
        ok,
        { objective, ddCap, split: opts.split, startCapital: opts.startCapital, bootstrap: opts.bootstrap },
        table,
      ),
    };
  }
  const reps = opts.spaReplications ?? 10_000;
  const spa = reps > 0 ? spaAnalysis(ok, firstTest, reps, opts.bootstrap) : undefined;
  return { ...base, perObjective, ...(spa ? { spa } : {}) };
}

/** Hansen's SPA and StepM of every candidate's test net returns against the equal-weight benchmark. */
function spaAnalysis(
  ok: readonly EvaluatedCandidate[],
  firstTest: number,
  reps: number,
  bootstrap: BlockBootstrapOptions,
): SpaAnalysis | undefined {
  const n = ok[0].path!.retNet.length - firstTest;
  if (n < 4) return undefined;
  const models = ok.map((c) => c.path!.retNet.slice(firstTest));
  const benchmark = equalWeightReturns(ok[0], firstTest);
  // Non-studentized, as arch 8.0.0 computes it whatever its flag says: at a few dozen months the
  // studentized statistic's variance estimate is noisy and it rejects twice as often as it should
  // (9.8% at 5% on 120-month noise universes); its p-values are reported beside.
  const alpha = 0.1;
  // One bootstrap for the three: the same draws as separate calls with these options.
  const { unstudentized, studentized, stepM } = spaTests(models, benchmark, {
    meanBlock: bootstrap.blockMonths,
    reps,
    seed: bootstrap.seed,
    studentize: false,
    stepMAlpha: alpha,
  });
  return {
    ...unstudentized,
    benchmark: 'equal weight of the sleeves, rebalanced monthly, no costs',
    stepMSuperior: stepM.superior.map((i) => ok[i].config.name),
    studentized: {
      pvalueLower: studentized.pvalueLower,
      pvalueConsistent: studentized.pvalueConsistent,
      pvalueUpper: studentized.pvalueUpper,
    },
    stepMAlpha: alpha,
  };
}

/**
 * Track-record statistics of a candidate on its test excess returns: the
 * Sharpe ratio's confidence interval and the minimum track record length
 * against 0 and against the deflated threshold (the expected maximum Sharpe
 * ratio of the effective trials).
 */
export function selectedTrackRecord(
  a: OverfittingAnalysis,
  c: EvaluatedCandidate,
  split: Split,
  riskFree?: Float64Array,
): TrackRecordStatistics | undefined {
  if (!c.path) return undefined;
  const d = a.dsr.get(c.config.name);
  const from = trainLength(c.path, split);
  return trackRecordStatistics(excessReturns(c, from, riskFree), { srStar: d?.expectedMaxSharpe ?? 0 });
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
