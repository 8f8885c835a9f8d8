import {
  type CandidateBuilder,
  type Decision,
  type DecisionPanel,
  defineFamily,
  type FamilyConfig,
} from '@step4/core/contract';
import { lookbackLeverageGrid } from '@step4/core/grid';
import {
  DecisionCache,
  type ForestEngineName,
  bestSleeve,
  forestClass1,
  forestDecisionCost,
  forestEngine,
  forestParams,
  forestSleeveProba,
  panelFromContext,
} from '@step4/models';
import { PACKAGE_VERSION, UNUSED_DD_PENALTY, UNUSED_STATIC_W } from './reference-fields.js';

export const REGIME_RF_PARAMS = {
  static_w: UNUSED_STATIC_W,
  lookback: {
    type: 'integer',
    default: 24,
    min: 1,
    max: 600,
    description: 'Labelled months kept for training (at least 24 are used).',
  },
  dd_penalty: UNUSED_DD_PENALTY,
} as const;

export type RegimeRfConfig = FamilyConfig<typeof REGIME_RF_PARAMS>;

const HOLD: Decision = Object.freeze({ wRaw: 0.5, conf: 0 });

export const REGIME_RF_FOREST = Object.freeze({
  nTrees: 260,
  maxDepth: 4,
  minSamplesLeaf: 3,
  maxFeatures: 'sqrt' as const,
  classWeight: 'balanced_subsample' as const,
});

export interface RegimeRfOptions {
  /** Forest implementation: the typed-array forest (default) or ml-random-forest. */
  readonly engine?: ForestEngineName;
}

/**
 * regime_rf decisions (docs/model/families.md): a forest classifies "B beats A next
 * month" (class 1); w_raw = 1 - P(B), conf = |P(B) - 0.5| * 2. Unlike the
 * reference, the unlabelled last history row is not trained on (section 10).
 */
export function regimeRfDecisions(
  engineName: ForestEngineName,
  panel: DecisionPanel,
  steps: readonly number[],
  config: RegimeRfConfig,
  seed: number,
): Decision[] {
  const engine = forestEngine(engineName);
  const params = forestParams(REGIME_RF_FOREST, seed);
  const n = panel.returns.length;
  if (n > 2) {
    // "Which sleeve is favoured next month", N classes; an exact tie labels the first tied sleeve.
    const hold: Decision = Object.freeze({ wRaw: panel.returns.map(() => 1 / n), conf: 0 });
    return steps.map((step) => {
      const p = forestSleeveProba(
        engine,
        panel,
        step,
        config.lookback,
        (next) => bestSleeve(next, 'first'),
        params,
      );
      if (!p) return hold;
      const top = Math.max(...p);
      return { wRaw: Array.from(p), conf: Math.min(1, Math.max(0, (top - 1 / n) / (1 - 1 / n))) };
    });
  }
  const bFavoured = (nextA: number, nextB: number): 0 | 1 => (nextB > nextA ? 1 : 0);
  return steps.map((step) => {
    const r = forestClass1(engine, panel, step, config.lookback, bFavoured, params);
    if (!r) return HOLD;
    // P(B) = 0.5 when class 1 never appeared in training (docs/model/families.md).
    const pB = r.classes === 1 && r.p1 === 0 ? 0.5 : r.p1;
    return { wRaw: 1 - pB, conf: Math.min(1, Math.max(0, Math.abs(pB - 0.5) * 2)) };
  });
}

/** The reference grid: the ML grid of docs/model/families.md (dd_penalty 0.8). */
function grid(candidate: CandidateBuilder<typeof REGIME_RF_PARAMS>) {
  return lookbackLeverageGrid('regime_rf', [24, 36, 48], [1.0, 1.15, 1.3], (name, L, G) =>
    candidate(name, {
      lookback: L,
      max_gross: G,
      dd_penalty: 0.8,
      smoothing: 0.25,
      max_step: 0.25,
      gross_conf_scale: 0.3,
      target_vol: G > 1 ? 0.04 : 0,
    }),
  );
}

export const regimeRfFamily = (options: RegimeRfOptions = {}) => {
  const engine = options.engine ?? 'typed';
  const cache = new DecisionCache<Decision[]>();
  return defineFamily({
    meta: {
      name: 'regime_rf',
      version: PACKAGE_VERSION,
      coreApi: 2,
      description: `Random-forest regime classifier (260 trees, depth 4, min leaf 3; ${engine} engine): which sleeve is favoured next month?`,
    },
    params: REGIME_RF_PARAMS,
    sleeves: { min: 2 },
    minHistoryMonths: 25,
    usesRandomness: true,
    decisionCost: (c, shape) => forestDecisionCost(REGIME_RF_FOREST.nTrees, c.lookback, shape),
    defaultGrid: grid,
    decidePath: (panel, steps, config, seed) =>
      cache.get(panel, `${config.lookback}|${seed}|${steps[0]}|${steps.length}`, async () =>
        regimeRfDecisions(engine, panel, steps, config, seed),
      ),
    decide: (ctx, config) =>
      regimeRfDecisions(engine, panelFromContext(ctx), [ctx.step], config, ctx.seed)[0],
  });
};

/** The reference grid of regime_rf (its default grid). */
export const regimeRfGrid = () => regimeRfFamily().defaultGrid();
