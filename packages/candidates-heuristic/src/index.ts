import { createRequire } from 'node:module';
import {
  type CandidateBuilder,
  type DecisionContext,
  defineFamily,
  type FamilyConfig,
} from '@step4/core/contract';
import { lookbackLeverageGrid } from '@step4/core/grid';

// The version written into summaries is the package's own, never a second copy.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const HEURISTIC_PARAMS = {
  // Unused here; kept because every reference config carries it (same configs and reports as the reference).
  static_w: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    description: 'Reference field, not used by heuristic.',
  },
  lookback: { type: 'integer', default: 6, min: 2, max: 600, description: 'Months of history scored.' },
  dd_penalty: {
    type: 'number',
    default: 1.2,
    min: 0,
    max: 100,
    description: 'Weight of max drawdown in the score.',
  },
} as const;

export type HeuristicConfig = FamilyConfig<typeof HEURISTIC_PARAMS>;

/** Mean over population std minus a drawdown penalty, over the last values of a series. */
export function riskAdjustedScore(r: Float64Array, ddPenalty: number): number {
  const n = r.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += r[i];
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (r[i] - m) * (r[i] - m);
  const sd = Math.sqrt(ss / n);
  // Max drawdown of prod(1 + r), starting at 1 + r0 (docs/model/metrics.md).
  let value = 1;
  let peak = Number.NEGATIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    value *= 1 + r[i];
    peak = Math.max(peak, value);
    worst = Math.min(worst, value / peak - 1);
  }
  return m / Math.max(sd, 1e-9) - ddPenalty * Math.abs(worst);
}

/** Softmax weight of A over two scores at temperature 0.35, computed stably. */
export function softmaxWeightA(scoreA: number, scoreB: number): number {
  const zA = scoreA / 0.35;
  const zB = scoreB / 0.35;
  const top = Math.max(zA, zB);
  const eA = Math.exp(zA - top);
  const eB = Math.exp(zB - top);
  return eA / (eA + eB);
}

/**
 * Softmax of N scores at temperature 0.35, computed stably; conf is how far
 * the largest weight is above equal weight, scaled to [0, 1].
 */
export function softmaxWeights(scores: readonly number[]): { w: number[]; conf: number } {
  const n = scores.length;
  const z = scores.map((x) => x / 0.35);
  const top = Math.max(...z);
  const e = z.map((x) => Math.exp(x - top));
  let total = 0;
  for (const x of e) total += x;
  const w = e.map((x) => x / total);
  return { w, conf: Math.min(1, Math.max(0, (Math.max(...w) - 1 / n) / (1 - 1 / n))) };
}

export function decideHeuristic(ctx: DecisionContext, config: HeuristicConfig) {
  const h = ctx.history;
  const L = config.lookback;
  const from = Math.max(0, h.length - L);
  const n = h.returns.length;
  if (h.length - from < 2) return { wRaw: n === 2 ? 0.5 : h.returns.map(() => 1 / n), conf: 0 };
  if (n === 2) {
    // The reference's two-sleeve form, bit for bit.
    const sA = riskAdjustedScore(h.returns[0].subarray(from), config.dd_penalty);
    const sB = riskAdjustedScore(h.returns[1].subarray(from), config.dd_penalty);
    const wRaw = softmaxWeightA(sA, sB);
    return { wRaw, conf: Math.abs(wRaw - 0.5) * 2 };
  }
  const { w, conf } = softmaxWeights(
    h.returns.map((r) => riskAdjustedScore(r.subarray(from), config.dd_penalty)),
  );
  return { wRaw: w, conf };
}

/** The reference grid: L in 3, 6, 12 and max gross G in 1.0, 1.15, 1.30 (docs/model/families.md). */
function grid(candidate: CandidateBuilder<typeof HEURISTIC_PARAMS>) {
  return lookbackLeverageGrid('heuristic', [3, 6, 12], [1.0, 1.15, 1.3], (name, L, G) =>
    candidate(name, {
      lookback: L,
      max_gross: G,
      static_w: 0.5,
      dd_penalty: 1.2,
      max_w: 0.85,
      smoothing: 0.2,
      max_step: 0.25,
      gross_conf_scale: 0.3,
      target_vol: G > 1 ? 0.045 : 0,
    }),
  );
}

/** Rolling Sharpe-minus-drawdown score allocator (docs/model/families.md, "heuristic"). */
export const heuristicFamily = () =>
  defineFamily({
    meta: {
      name: 'heuristic',
      version,
      coreApi: 2,
      description:
        "Softmax of each sleeve's rolling mean/std minus dd_penalty x max drawdown over the lookback.",
    },
    params: HEURISTIC_PARAMS,
    sleeves: { min: 2 },
    minHistoryMonths: 2,
    defaultGrid: grid,
    decide: decideHeuristic,
  });

/** The reference grid of the heuristic family (its default grid). */
export const heuristicGrid = () => heuristicFamily().defaultGrid();

export default heuristicFamily;
