import type { CandidateMetrics, PerfMetrics, WalkForwardPath } from './results.js';
import { maxDrawdown, mean, median, std } from './stats.js';

/** Performance of a monthly return series from start capital K (docs/model/metrics.md, `perf`). */
export function perf(r: ArrayLike<number>, startCapital: number, from = 0, to = r.length): PerfMetrics {
  const n = to - from;
  if (n <= 0) {
    return {
      end_equity: startCapital,
      cagr: 0,
      max_drawdown: 0,
      calmar: 0,
      avg_monthly_pnl: 0,
      median_monthly_pnl: 0,
      positive_month_rate: 0,
      n_months: 0,
    };
  }
  const pnl = new Float64Array(n);
  let equity = startCapital;
  let growth = 1;
  let positive = 0;
  for (let k = 0; k < n; k++) {
    growth *= 1 + r[from + k];
    const next = startCapital * growth;
    pnl[k] = next - equity;
    if (pnl[k] > 0) positive++;
    equity = next;
  }
  const years = Math.max(n / 12, 1 / 12);
  const cagr = Math.max(equity / startCapital, 1e-9) ** (1 / years) - 1;
  const mdd = maxDrawdown(r, from, to);
  return {
    end_equity: equity,
    cagr,
    max_drawdown: mdd,
    calmar: mdd > 1e-9 ? cagr / mdd : 0,
    avg_monthly_pnl: mean(pnl),
    median_monthly_pnl: median(pnl),
    positive_month_rate: positive / n,
    n_months: n,
  };
}

/** Train/test split of the aligned months (docs/model/inputs.md). */
export interface Split {
  /** `split_i`: number of aligned months in train. */
  readonly index: number;
  /** Last train month (ISO `YYYY-MM-DD`). */
  readonly monthEnd: string;
}

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function splitMonths(monthEnds: readonly string[], trainRatio: number): Split {
  const n = monthEnds.length;
  const index = Math.trunc(Math.max(24, Math.min(n - 12, roundHalfEven(trainRatio * n))));
  return { index, monthEnd: monthEnds[index - 1] };
}

/** Number of leading path months that belong to train (month_end <= split month). */
export function trainLength(path: WalkForwardPath, split: Split): number {
  let k = 0;
  while (k < path.monthEnds.length && path.monthEnds[k] <= split.monthEnd) k++;
  return k;
}

/**
 * The robustness numbers a candidate's metrics need. Core only declares them;
 * `@step4/robustness` implements them (cost stress, block bootstrap).
 */
export interface RobustnessProbe {
  /** Mean over the full path of (ret_gross - 1.25 * cost - financing), times K. */
  stressAvgMonthlyPnl(path: WalkForwardPath, startCapital: number): number;
  /**
   * 10th percentile of the bootstrapped average monthly pnl of the test
   * returns, optionally with its Monte Carlo standard error. `candidate` names
   * the candidate, so that each can draw resamples of its own.
   */
  tailAvgMonthlyPnlP10(
    testReturns: Float64Array,
    startCapital: number,
    candidate: string,
  ): number | BootstrapTail;
}

/** A bootstrap quantile with the Monte Carlo standard error of its estimate. */
export interface BootstrapTail {
  readonly p10: number;
  /** Standard error of `p10` due to the finite number of resamples (NaN when unknown). */
  readonly mcStdError: number;
}

/** All metrics of a candidate (docs/model/metrics.md). */
export function candidateMetrics(
  path: WalkForwardPath,
  split: Split,
  startCapital: number,
  probe: RobustnessProbe,
  name = '',
): CandidateMetrics {
  const n = path.retNet.length;
  const nTrain = trainLength(path, split);
  const full = perf(path.retNet, startCapital);
  const train = perf(path.retNet, startCapital, 0, nTrain);
  const test = perf(path.retNet, startCapital, nTrain, n);
  const avgWeights = path.weights.map((w) => (n > 0 ? mean(w) : 0));
  const weightStds = path.weights.map((w) => (n > 0 ? std(w, 0) : 0));
  const tail = probe.tailAvgMonthlyPnlP10(path.retNet.slice(nTrain), startCapital, name);
  return {
    full,
    train,
    test,
    stress_1_25_avg_monthly_pnl: probe.stressAvgMonthlyPnl(path, startCapital),
    bootstrap_p10_avg_monthly_pnl: typeof tail === 'number' ? tail : tail.p10,
    ...(typeof tail === 'number' ? {} : { bootstrap_p10_mc_std_error: tail.mcStdError }),
    avg_turnover_abs: n > 0 ? mean(path.turnoverAbs) : 0,
    avg_gross_leverage: n > 0 ? mean(path.grossLeverage) : 0,
    avg_weight_a: avgWeights[0],
    weight_std_a: weightStds[0],
    avg_weights: avgWeights,
    weight_stds: weightStds,
    train_test_calmar_gap_abs: Math.abs(train.calmar - test.calmar),
  };
}
