import type { CandidateMetrics, EvaluatedCandidate, ObjectiveName, ScoredCandidate } from './results.js';

/** Reference dd caps of run-all (docs/model/objectives.md). */
export const RUN_ALL_DD_CAPS: Readonly<Record<ObjectiveName, number>> = Object.freeze({
  return: 0.32,
  balanced: 0.24,
  calmar: 0.2,
  robust: 0.18,
});

/**
 * How evenly a candidate spreads over the sleeves on average: 1 at equal
 * weights, 0 when one sleeve holds everything:
 * max(0, 1 - (max_s avg_w_s - 1/N) / (1 - 1/N)). Two sleeves use the
 * reference's form on the first sleeve (the same number, bit for bit).
 */
export function diversity(m: CandidateMetrics): number {
  const n = m.avg_weights.length;
  if (n <= 2) return Math.max(0, 1 - Math.abs(m.avg_weight_a - 0.5) * 2);
  // Math.max one pair at a time is Math.max of them all (NaN and -0 included), without spreading them.
  let largest = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < n; s++) largest = Math.max(largest, m.avg_weights[s]);
  return Math.max(0, 1 - (largest - 1 / n) / (1 - 1 / n));
}

/** How much the weights move over time: the mean over sleeves of each weight's std (two sleeves: the first's). */
export function weightVariation(m: CandidateMetrics): number {
  const n = m.weight_stds.length;
  if (n <= 2) return m.weight_std_a;
  let s = 0;
  for (let k = 0; k < n; k++) s += m.weight_stds[k];
  return s / n;
}

/** Largest average weight a dynamic candidate may give one sleeve (two sleeves: 0.08 <= w_A <= 0.92). */
export const DYNAMIC_MAX_AVG_WEIGHT = 0.92;

/** How much a candidate trades, saturating at 8% average turnover. */
export function activity(m: CandidateMetrics): number {
  return Math.min(1, m.avg_turnover_abs / 0.08);
}

/**
 * Whether an objective's score reads the weights or the turnover (through
 * `diversity`, `activity` and `weightVariation`): balanced and robust do,
 * return and calmar read only the test period's returns. A scorer of many
 * halves (the objective PBO) skips those sums for the others.
 */
export function objectiveReadsWeights(objective: ObjectiveName): boolean {
  return objective === 'balanced' || objective === 'robust';
}

/** Objective scores (docs/model/objectives.md). */
export function objectiveScore(objective: ObjectiveName, m: CandidateMetrics): number {
  const t = m.test;
  const tail = Math.max(0, m.bootstrap_p10_avg_monthly_pnl);
  switch (objective) {
    case 'return':
      return 1.0 * t.end_equity + 200 * t.calmar - 600 * t.max_drawdown;
    case 'balanced':
      return (
        0.55 * t.end_equity +
        120 * t.calmar +
        1.5 * t.avg_monthly_pnl -
        220 * t.max_drawdown +
        35 * diversity(m) +
        18 * activity(m)
      );
    case 'calmar':
      return 180 * t.calmar + 0.8 * t.avg_monthly_pnl - 60 * t.max_drawdown + (20 * tail) / 100;
    case 'robust':
      return (
        0.45 * t.end_equity +
        140 * t.calmar +
        1.4 * t.avg_monthly_pnl -
        360 * t.max_drawdown +
        1500 * diversity(m) +
        700 * activity(m) +
        250 * Math.min(1, weightVariation(m) / 0.2) +
        (25 * tail) / 100
      );
  }
}

/** The bootstrap gate: the p10 of the bootstrapped average monthly pnl must be above this ($). */
export const BOOTSTRAP_P10_GATE = -25;

/** The robustness gate of docs/model/objectives.md; returns the names of the failed checks. */
export function failedGates(m: CandidateMetrics, ddCap: number): string[] {
  const failed: string[] = [];
  if (!(m.test.max_drawdown <= ddCap)) failed.push('test_max_drawdown');
  if (!(m.full.max_drawdown <= 1.35 * ddCap)) failed.push('full_max_drawdown');
  if (!(m.test.avg_monthly_pnl > 0)) failed.push('test_avg_monthly_pnl');
  if (!(m.stress_1_25_avg_monthly_pnl > 0)) failed.push('stress_1_25');
  if (!(m.bootstrap_p10_avg_monthly_pnl > BOOTSTRAP_P10_GATE)) failed.push('bootstrap_p10');
  if (!(m.train_test_calmar_gap_abs <= 2.0)) failed.push('train_test_calmar_gap');
  return failed;
}

/**
 * Gates whose value is within two Monte Carlo standard errors of its
 * threshold: another seed could flip them. Only the bootstrap gate has a
 * Monte Carlo error; it is listed when the probe reported one.
 */
export function gatesNearThreshold(m: CandidateMetrics): string[] {
  const se = m.bootstrap_p10_mc_std_error;
  if (se === undefined || !Number.isFinite(se)) return [];
  return Math.abs(m.bootstrap_p10_avg_monthly_pnl - BOOTSTRAP_P10_GATE) <= 2 * se ? ['bootstrap_p10'] : [];
}

export function scoreCandidate(
  c: EvaluatedCandidate,
  objective: ObjectiveName,
  ddCap: number,
): ScoredCandidate {
  if (!c.metrics)
    throw new Error(`candidate ${c.config.name} has no metrics (${c.error ?? 'not evaluated'})`);
  const failed = failedGates(c.metrics, ddCap);
  return {
    candidate: c,
    score: objectiveScore(objective, c.metrics),
    robustPass: failed.length === 0,
    failedGates: failed,
  };
}

/**
 * Highest score among those that pass the gate, else among all; ties go to
 * the earlier candidate (strictly greater wins).
 */
export function selectBest(scored: readonly ScoredCandidate[]): {
  selected: ScoredCandidate;
  withoutGate: boolean;
} {
  if (scored.length === 0) throw new Error('no candidate could be simulated: nothing to select');
  const pick = (pool: readonly ScoredCandidate[]) =>
    pool.reduce((best, c) => (c.score > best.score ? c : best), pool[0]);
  const passing = scored.filter((s) => s.robustPass);
  return passing.length > 0
    ? { selected: pick(passing), withoutGate: false }
    : { selected: pick(scored), withoutGate: true };
}

/** Promotion score of a run's selected candidate (docs/model/objectives.md). */
export function promotionScore(m: CandidateMetrics): number {
  const t = m.test;
  return (
    0.7 * t.end_equity +
    175 * t.calmar +
    1.5 * t.avg_monthly_pnl -
    300 * t.max_drawdown +
    120 * diversity(m) +
    60 * activity(m) +
    30 * Math.min(1, weightVariation(m) / 0.2) +
    0.6 * Math.max(0, m.bootstrap_p10_avg_monthly_pnl)
  );
}

/** Score of a run as the "dynamic" pick (docs/model/objectives.md). */
export function dynamicScore(m: CandidateMetrics): number {
  const t = m.test;
  return (
    0.45 * t.end_equity +
    165 * t.calmar +
    1.2 * t.avg_monthly_pnl -
    340 * t.max_drawdown +
    130 * diversity(m) +
    80 * Math.min(1, m.avg_turnover_abs / 0.08)
  );
}

/** A truly dynamic candidate: not a fixed mix, trades, and no sleeve holds more than 92% on average. */
export function isDynamic(m: CandidateMetrics, isStaticFamily: boolean): boolean {
  if (isStaticFamily || !(m.avg_turnover_abs >= 0.02)) return false;
  if (m.avg_weights.length <= 2) return m.avg_weight_a >= 0.08 && m.avg_weight_a <= DYNAMIC_MAX_AVG_WEIGHT; // 0.08 = 1 - 0.92, exactly
  return Math.max(...m.avg_weights) <= DYNAMIC_MAX_AVG_WEIGHT;
}
