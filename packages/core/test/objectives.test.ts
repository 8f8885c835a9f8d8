import { describe, expect, it } from 'vitest';
import {
  activity,
  diversity,
  objectiveReadsWeights,
  objectiveScore,
  weightVariation,
} from '../src/objectives.js';
import { type CandidateMetrics, OBJECTIVES } from '../src/results.js';

/** The metrics these measures read: average weights and weight stds per sleeve, turnover. */
function metrics(avgWeights: number[], weightStds: number[], turnover = 0): CandidateMetrics {
  return {
    avg_weights: avgWeights,
    weight_stds: weightStds,
    avg_weight_a: avgWeights[0],
    weight_std_a: weightStds[0],
    avg_turnover_abs: turnover,
  } as unknown as CandidateMetrics;
}

describe('objective measures for N sleeves', () => {
  it('diversity: 1 - (largest average weight - 1/N) / (1 - 1/N), wherever the largest is', () => {
    // Largest 0.5 of four sleeves: 1 - 0.25 / 0.75 = 2/3.
    for (const w of [
      [0.5, 0.2, 0.2, 0.1],
      [0.2, 0.5, 0.2, 0.1],
      [0.1, 0.2, 0.2, 0.5],
    ])
      expect(diversity(metrics(w, [0, 0, 0, 0]))).toBeCloseTo(2 / 3, 15);
    expect(diversity(metrics([0.25, 0.25, 0.25, 0.25], [0, 0, 0, 0]))).toBe(1);
    // One sleeve holds everything: 0; leverage above it is clamped at 0.
    expect(diversity(metrics([0, 0, 1], [0, 0, 0]))).toBe(0);
    expect(diversity(metrics([0, 1.4, 0], [0, 0, 0]))).toBe(0);
  });

  it('diversity of two sleeves is the reference form on the first sleeve', () => {
    expect(diversity(metrics([0.3, 0.7], [0, 0]))).toBeCloseTo(0.6, 15);
    expect(diversity(metrics([0.5, 0.5], [0, 0]))).toBe(1);
  });

  it('weight variation: the mean of the sleeves’ weight stds (two sleeves: the first’s)', () => {
    expect(weightVariation(metrics([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]))).toBeCloseTo(0.25, 15);
    expect(weightVariation(metrics([0.3, 0.3, 0.4], [0.3, 0, 0]))).toBeCloseTo(0.1, 15);
    expect(weightVariation(metrics([0.5, 0.5], [0.2, 0.9]))).toBe(0.2);
  });

  it('activity saturates at 8% average turnover', () => {
    expect(activity(metrics([0.5, 0.5], [0, 0], 0.04))).toBeCloseTo(0.5, 15);
    expect(activity(metrics([0.5, 0.5], [0, 0], 0.2))).toBe(1);
  });
});

describe('objectiveReadsWeights', () => {
  /** Full metrics: the test period's, and weights, their spread and turnover as given. */
  function scored(avgWeights: number[], weightStds: number[], turnover: number): CandidateMetrics {
    const test = { end_equity: 13_000, cagr: 0.11, max_drawdown: 0.17, calmar: 0.65, avg_monthly_pnl: 62 };
    return {
      ...metrics(avgWeights, weightStds, turnover),
      full: test,
      train: test,
      test,
      bootstrap_p10_avg_monthly_pnl: 12,
    } as unknown as CandidateMetrics;
  }

  it('says which scores change with the weights or the turnover (the objective PBO skips them for the others)', () => {
    const variants = [
      scored([0.3, 0.7], [0.1, 0.1], 0.02),
      scored([0.5, 0.5], [0.1, 0.1], 0.02),
      scored([0.3, 0.7], [0.3, 0.05], 0.02),
      scored([0.3, 0.7], [0.1, 0.1], 0.09),
      scored([0.2, 0.3, 0.5], [0.1, 0.2, 0.3], 0.04),
    ];
    for (const objective of OBJECTIVES) {
      const scores = new Set(variants.map((m) => objectiveScore(objective, m)));
      expect(scores.size > 1, objective).toBe(objectiveReadsWeights(objective));
    }
  });
});
