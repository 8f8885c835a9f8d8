import type { ChartInput } from '../src/portfolio-chart.js';

// A synthetic chart input for the chart tests.

export const n = 72;
export const monthEnds = Array.from({ length: n }, (_, i) =>
  new Date(Date.UTC(2018, i + 1, 0)).toISOString().slice(0, 10),
);
const returns = (k: number) =>
  Float64Array.from({ length: n }, (_, i) => 0.004 * k + 0.04 * Math.sin(i / (2 + k)));
const equityOf = (r: Float64Array) => {
  let e = 10_000;
  return r.map((v) => (e *= 1 + v));
};
const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / x.length;

/** A synthetic chart input of `names.length` sleeves; weights sum to 1 every month. */
export function input(names: readonly string[]): ChartInput {
  const k = names.length;
  const raw = names.map((_, s) =>
    Float64Array.from({ length: n }, (_, i) => Math.exp(Math.sin(i / (4 + s) + s))),
  );
  const weights = names.map((_, s) =>
    Float64Array.from({ length: n }, (_, i) => raw[s][i] / raw.reduce((t, w) => t + w[i], 0)),
  );
  const equity = equityOf(returns(1.5));
  const correlation = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) correlation[i * k + j] = i === j ? 1 : i + j === 1 ? -0.42 : 0.1 * (i + j);
  }
  return {
    candidate: 'heuristic_lb6_g1_0',
    objective: 'return',
    score: 4321.5,
    sleeveNames: names,
    startCapital: 10_000,
    monthEnds,
    splitMonthEnd: monthEnds[40],
    equity,
    sleeveEquity: names.map((_, s) => equityOf(returns(s + 1))),
    equityEqual: equityOf(returns(2)),
    weights,
    grossLeverage: Float64Array.from({ length: n }, (_, i) => 1 + 0.2 * Math.max(0, Math.sin(i / 7))),
    pnl: equity.map((e, i) => e - (i === 0 ? 10_000 : equity[i - 1])),
    stats: {
      testEndEquity: 18_000,
      testAvgMonthlyPnl: 150,
      testMaxDrawdown: 0.18,
      testCalmar: 0.9,
      avgWeights: weights.map(mean),
      weightStdA: 0.12,
      weightStdMean: 0.09,
      avgTurnover: 0.05,
      benchEndEquity: { sleeves: names.map((_, s) => 11_000 + 1000 * s), equal: 14_000 },
      correlation,
    },
  };
}
