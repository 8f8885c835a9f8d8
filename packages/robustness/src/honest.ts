import {
  type CandidateMetrics,
  type EvaluatedCandidate,
  type ObjectiveName,
  type PerfMetrics,
  type Split,
  failedGates,
  mean,
  objectiveScore,
  perf,
  std,
  trainLength,
} from '@step4/core';
import { type BlockBootstrapOptions, bootstrapP10AvgMonthlyPnl } from './bootstrap.js';

/**
 * The selection-honest walk-forward ("meta" run) of one objective: for each
 * test month t, every candidate is scored with the objective's formula and
 * gated with the reference gates on its path's months BEFORE t only (that
 * expanding window plays the role of the test period; the train/test Calmar
 * gap compares the window's train months with the whole window), the best
 * passing candidate (best of all when none passes; ties to the earlier
 * candidate) is chosen, and the meta run earns that candidate's net return
 * of month t. Choosing never reads month t's own returns. Switching between
 * candidates is free: the candidates' own trading costs are included, the
 * cost of moving from one candidate's position to another's is not.
 * On short panels the path can start after the split month (48 aligned
 * months with the defaults): the first test month then has no months before
 * it, every candidate looks the same, and the choice goes to the first one.
 */
export interface HonestRun {
  readonly objective: ObjectiveName;
  readonly monthEnds: readonly string[];
  /** The candidate chosen for each test month. */
  readonly chosen: readonly string[];
  readonly returns: Float64Array;
  /** Test metrics of the meta run: the number a user should believe. */
  readonly test: PerfMetrics;
  /** How many times the choice changed from one month to the next. */
  readonly switches: number;
  /** Path months before the first test month: what the first choice could look at (0 on short panels). */
  readonly monthsBeforeTest: number;
}

export interface HonestRunOptions {
  readonly objective: ObjectiveName;
  readonly ddCap: number;
  readonly split: Split;
  readonly startCapital: number;
  readonly bootstrap: BlockBootstrapOptions;
}

/** Metrics of a candidate's path over its first `k` months, shaped like CandidateMetrics. */
export function windowMetrics(
  c: EvaluatedCandidate,
  k: number,
  nTrain: number,
  startCapital: number,
  bootstrap: BlockBootstrapOptions,
): CandidateMetrics {
  const p = c.path!;
  const window = perf(p.retNet, startCapital, 0, k);
  const train = perf(p.retNet, startCapital, 0, Math.min(nTrain, k));
  let stress = 0;
  for (let i = 0; i < k; i++) stress += p.retGross[i] - 1.25 * p.cost[i] - (p.financingCost?.[i] ?? 0);
  const avgWeights = p.weights.map((w) => (k > 0 ? mean(w, 0, k) : 0));
  const weightStds = p.weights.map((w) => (k > 0 ? std(w, 0, 0, k) : 0));
  return {
    full: window,
    train,
    test: window,
    stress_1_25_avg_monthly_pnl: k > 0 ? (stress / k) * startCapital : 0,
    bootstrap_p10_avg_monthly_pnl: bootstrapP10AvgMonthlyPnl(
      p.retNet.subarray(0, k),
      startCapital,
      bootstrap,
    ),
    avg_turnover_abs: k > 0 ? mean(p.turnoverAbs, 0, k) : 0,
    avg_gross_leverage: k > 0 ? mean(p.grossLeverage, 0, k) : 0,
    avg_weight_a: avgWeights[0],
    weight_std_a: weightStds[0],
    avg_weights: avgWeights,
    weight_stds: weightStds,
    train_test_calmar_gap_abs: Math.abs(train.calmar - window.calmar),
  };
}

/**
 * Window metrics of every candidate at every test month, computed once and
 * shared by the objectives (the bootstrap is the expensive part).
 */
export function windowMetricsTable(
  candidates: readonly EvaluatedCandidate[],
  split: Split,
  startCapital: number,
  bootstrap: BlockBootstrapOptions,
): { firstTest: number; months: readonly string[]; metrics: CandidateMetrics[][] } {
  const ok = candidates.filter((c) => c.path);
  if (ok.length === 0) return { firstTest: 0, months: [], metrics: [] };
  const path = ok[0].path!;
  const firstTest = trainLength(path, split);
  const months = path.monthEnds.slice(firstTest);
  const metrics = months.map((_, j) =>
    ok.map((c) => windowMetrics(c, firstTest + j, firstTest, startCapital, bootstrap)),
  );
  return { firstTest, months, metrics };
}

export function honestRun(
  candidates: readonly EvaluatedCandidate[],
  opts: HonestRunOptions,
  table = windowMetricsTable(candidates, opts.split, opts.startCapital, opts.bootstrap),
): HonestRun {
  const ok = candidates.filter((c) => c.path);
  const chosen: string[] = [];
  const returns = new Float64Array(table.months.length);
  table.months.forEach((_, j) => {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    let bestPasses = false;
    ok.forEach((_c, n) => {
      const m = table.metrics[j][n];
      const passes = failedGates(m, opts.ddCap).length === 0;
      const score = objectiveScore(opts.objective, m);
      // A passing candidate beats any failing one; among equals the higher score, ties to the earlier.
      if (best < 0 || (passes && !bestPasses) || (passes === bestPasses && score > bestScore)) {
        best = n;
        bestScore = score;
        bestPasses = passes;
      }
    });
    chosen.push(ok[best].config.name);
    returns[j] = ok[best].path!.retNet[table.firstTest + j];
  });
  let switches = 0;
  for (let j = 1; j < chosen.length; j++) if (chosen[j] !== chosen[j - 1]) switches++;
  return {
    objective: opts.objective,
    monthEnds: table.months,
    chosen,
    returns,
    test: perf(returns, opts.startCapital),
    switches,
    monthsBeforeTest: table.firstTest,
  };
}
