import {
  type CandidateMetrics,
  type EvaluatedCandidate,
  failedGates,
  mean,
  type ObjectiveName,
  objectiveScore,
  type PerfMetrics,
  perf,
  type Split,
  std,
  trainLength,
} from '@step4/core';
import {
  type BlockBootstrapOptions,
  bootstrapP10AvgMonthlyPnl,
  candidateBootstrap,
  windowsBootstrapP10AvgMonthlyPnl,
} from './bootstrap.js';
import { costStressAvgMonthlyPnl } from './stress.js';

/**
 * The selection-honest walk-forward ("meta" run) of one objective: for each
 * test month t, every candidate is scored with the objective's formula and
 * gated with the reference gates on its path's months BEFORE t only (that
 * expanding window plays the role of the test period; the train/test Calmar
 * gap compares the window's train months with the whole window), the best
 * passing candidate (best of all when none passes; ties to the earlier
 * candidate) is chosen, and the meta run earns that candidate's net return
 * of month t. Choosing never reads month t's own returns. Switching between
 * candidates costs what the account would pay: a candidate's path charges
 * the move from its own previous position, so on a switch the meta run pays
 * instead (with the new candidate's cost rates) the move from the position
 * the previous candidate held (`switchingCost`).
 * On short panels the path can start after the split month (48 aligned
 * months with the defaults): the first test month then has no months before
 * it, every candidate looks the same, and the choice goes to the first one.
 */
export interface HonestRun {
  readonly objective: ObjectiveName;
  readonly monthEnds: readonly string[];
  /** The candidate chosen for each test month. */
  readonly chosen: readonly string[];
  /** Net returns of the meta run, switching costs included. */
  readonly returns: Float64Array;
  /** Test metrics of the meta run: the number a user should believe. */
  readonly test: PerfMetrics;
  /** The same without switching costs (each candidate's own costs only), to show what switching cost. */
  readonly testWithoutSwitchingCosts: PerfMetrics;
  /** Sum over the test months of the switching costs, as fractions of capital. */
  readonly switchingCostSum: number;
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
  // The candidate's own stream; the windows' Monte Carlo errors are not reported, so not computed.
  const p10 = bootstrapP10AvgMonthlyPnl(
    c.path!.retNet.subarray(0, k),
    startCapital,
    candidateBootstrap(bootstrap, c.config.name),
  );
  return windowMetricsGivenTail(c, k, nTrain, startCapital, p10);
}

/** `windowMetrics` with the bootstrap p10 already computed. */
function windowMetricsGivenTail(
  c: EvaluatedCandidate,
  k: number,
  nTrain: number,
  startCapital: number,
  p10: number,
): CandidateMetrics {
  const p = c.path!;
  const window = perf(p.retNet, startCapital, 0, k);
  const train = perf(p.retNet, startCapital, 0, Math.min(nTrain, k));
  const avgWeights = p.weights.map((w) => (k > 0 ? mean(w, 0, k) : 0));
  const weightStds = p.weights.map((w) => (k > 0 ? std(w, 0, 0, k) : 0));
  return {
    full: window,
    train,
    test: window,
    stress_1_25_avg_monthly_pnl: costStressAvgMonthlyPnl(p, startCapital, 1.25, 0, k),
    bootstrap_p10_avg_monthly_pnl: p10,
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
 * The window metrics of one candidate at each of `count` test months: entry
 * j is `windowMetrics(c, firstTest + j, firstTest, ...)`, the bootstraps of
 * all windows sharing the candidate's random stream (same numbers, one
 * stream generated). Needs only this candidate, so it can run where the
 * candidate was simulated.
 */
export function candidateWindowMetrics(
  c: EvaluatedCandidate,
  firstTest: number,
  count: number,
  startCapital: number,
  bootstrap: BlockBootstrapOptions,
): CandidateMetrics[] {
  const ks = Int32Array.from({ length: count }, (_, j) => firstTest + j);
  const p10 = windowsBootstrapP10AvgMonthlyPnl(
    c.path!.retNet,
    startCapital,
    candidateBootstrap(bootstrap, c.config.name),
    ks,
  );
  return Array.from({ length: count }, (_, j) =>
    windowMetricsGivenTail(c, ks[j], firstTest, startCapital, p10[j]),
  );
}

/** Window metrics of every candidate at every test month: metrics[test month][candidate]. */
export interface WindowMetricsTable {
  /** Path months before the first test month. */
  firstTest: number;
  /** The test months' ends. */
  months: readonly string[];
  metrics: CandidateMetrics[][];
}

/**
 * Window metrics of every candidate at every test month, computed once and
 * shared by the objectives (the bootstrap is the expensive part). `given`
 * returns a candidate's `candidateWindowMetrics` when already computed
 * (elsewhere, with the same options); it is used when it has the table's shape.
 */
export function windowMetricsTable(
  candidates: readonly EvaluatedCandidate[],
  split: Split,
  startCapital: number,
  bootstrap: BlockBootstrapOptions,
  given?: (
    c: EvaluatedCandidate,
  ) => { readonly firstTest: number; readonly windows: readonly CandidateMetrics[] } | undefined,
): WindowMetricsTable {
  const ok = candidates.filter((c) => c.path);
  if (ok.length === 0) return { firstTest: 0, months: [], metrics: [] };
  const path = ok[0].path!;
  const firstTest = trainLength(path, split);
  const months = path.monthEnds.slice(firstTest);
  const byCandidate = ok.map((c) => {
    const g = given?.(c);
    return g && g.firstTest === firstTest && g.windows.length === months.length
      ? g.windows
      : candidateWindowMetrics(c, firstTest, months.length, startCapital, bootstrap);
  });
  const metrics = months.map((_, j) => byCandidate.map((w) => w[j]));
  return { firstTest, months, metrics };
}

export function honestRun(
  candidates: readonly EvaluatedCandidate[],
  opts: HonestRunOptions,
  table = windowMetricsTable(candidates, opts.split, opts.startCapital, opts.bootstrap),
): HonestRun {
  const ok = candidates.filter((c) => c.path);
  const chosen: string[] = [];
  const chosenIndex: number[] = [];
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
    chosenIndex.push(best);
    returns[j] = ok[best].path!.retNet[table.firstTest + j];
  });
  const withoutSwitching = returns.slice();
  let switches = 0;
  let switchingCostSum = 0;
  for (let j = 1; j < chosen.length; j++) {
    if (chosenIndex[j] === chosenIndex[j - 1]) continue;
    switches++;
    const extra = switchingCost(ok[chosenIndex[j - 1]], ok[chosenIndex[j]], table.firstTest + j);
    returns[j] -= extra;
    switchingCostSum += extra;
  }
  return {
    objective: opts.objective,
    monthEnds: table.months,
    chosen,
    returns,
    test: perf(returns, opts.startCapital),
    testWithoutSwitchingCosts: perf(withoutSwitching, opts.startCapital),
    switchingCostSum,
    switches,
    monthsBeforeTest: table.firstTest,
  };
}

/** One-way turnover 0.5 * sum |a_s - b_s| between two weight vectors at months i and k. */
function turnoverBetween(
  a: readonly Float64Array[],
  i: number,
  b: readonly Float64Array[],
  k: number,
): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += Math.abs(a[j][i] - b[j][k]);
  return s / 2;
}

/**
 * Extra cost of switching at path month k from candidate `from` (which held
 * its month k-1 position) to candidate `to`: `to`'s path charged
 * turn_cost x turnover + gross_cost x |gross change| (its `cost`) from its
 * own month k-1 position; the account pays the same rates from `from`'s
 * position instead.
 * The difference (negative when `from`'s position was closer) is the
 * switching cost, as a fraction of capital.
 */
export function switchingCost(from: EvaluatedCandidate, to: EvaluatedCandidate, k: number): number {
  const a = from.path!;
  const b = to.path!;
  if (k < 1) return 0;
  const turn = to.config.turn_cost_bps * 1e-4;
  const gross = to.config.gross_cost_bps * 1e-4;
  const paid =
    turn * turnoverBetween(a.weights, k - 1, b.weights, k) +
    gross * Math.abs(b.grossLeverage[k] - a.grossLeverage[k - 1]);
  // What `to`'s own path charged for month k (its trading cost, financing aside).
  return paid - b.cost[k];
}
