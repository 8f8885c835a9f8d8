import {
  type CandidateBuilder,
  type CandidateConfig,
  type Decision,
  type DecisionPanel,
  defineFamily,
  type FamilyConfig,
  type FamilyDefinition,
  type ParamSchema,
} from '@step4/core/contract';
import { lookbackLeverageGrid } from '@step4/core/grid';
import {
  DecisionCache,
  forestClass1,
  type ForestEngineName,
  forestDecisionCost,
  forestEngine,
  forestParams,
  bestSleeve,
  forestSleeveProba,
  logisticPredictBatch,
  meanVarianceSimplex,
  multinomialPredictBatchExact,
  multinomialUnknowns,
  panelFromContext,
  ridgePredictBatch,
  stepWindows,
} from '@step4/models';
import {
  HOLD,
  binDecision,
  binLabel,
  holdN,
  meanVarianceDecision,
  meanVarianceDecisionN,
  sleeveProbabilityDecision,
} from './policies.js';
import { PACKAGE_VERSION, UNUSED_DD_PENALTY, UNUSED_STATIC_W } from './reference-fields.js';

const LOOKBACK = {
  type: 'integer',
  default: 24,
  min: 1,
  max: 600,
  description: 'Labelled months kept for training (at least 24 are used).',
} as const;

/** Parameters of ml_lr and ml_rf. */
export const ML_PARAMS = {
  static_w: UNUSED_STATIC_W,
  lookback: LOOKBACK,
  dd_penalty: UNUSED_DD_PENALTY,
} as const;

/** Parameters of ml_dual_ridge: dd_penalty is its risk aversion. */
export const ML_DUAL_RIDGE_PARAMS = {
  static_w: UNUSED_STATIC_W,
  lookback: LOOKBACK,
  dd_penalty: {
    type: 'number',
    default: 2.5,
    min: 0,
    max: 1000,
    description: 'Risk aversion (at least 0.8 is used).',
  },
} as const;

/** The config of every ML family (they declare the same keys and value types). */
export type MlConfig = FamilyConfig<typeof ML_PARAMS>;

/** The reference ML grid of one method: lookback 24, 36, 48 x max gross 1.0, 1.15, 1.30 (docs/model/families.md). */
export function mlGrid(
  candidate: CandidateBuilder<typeof ML_PARAMS>,
  method: string,
  ddPenalty: number,
): CandidateConfig[] {
  return lookbackLeverageGrid(method, [24, 36, 48], [1.0, 1.15, 1.3], (name, L, G) =>
    candidate(name, {
      lookback: L,
      max_gross: G,
      dd_penalty: ddPenalty,
      smoothing: 0.25,
      max_step: 0.25,
      gross_conf_scale: 0.3,
      target_vol: G > 1 ? 0.04 : 0,
    }),
  );
}

/**
 * A family whose decisions depend only on (panel, steps, model key): the
 * batched path is computed once per key and shared by candidates that differ
 * only in position mechanics (e.g. max_gross).
 */
function batchedFamily<const P extends ParamSchema>(
  name: string,
  description: string,
  params: P,
  grid: (candidate: CandidateBuilder<P>) => CandidateConfig[],
  modelKey: (config: FamilyConfig<P>, seed: number) => string,
  decideSteps: (
    panel: DecisionPanel,
    steps: readonly number[],
    config: FamilyConfig<P>,
    seed: number,
  ) => Promise<Decision[]>,
  extra: Pick<FamilyDefinition<P>, 'usesRandomness' | 'decisionCost'> = {},
) {
  const cache = new DecisionCache<Decision[]>();
  return defineFamily({
    meta: { name, version: PACKAGE_VERSION, coreApi: 2, description },
    params,
    sleeves: { min: 2 },
    minHistoryMonths: 25,
    ...extra,
    defaultGrid: grid,
    decidePath: (panel, steps, config, seed) =>
      cache.get(panel, `${modelKey(config, seed)}|${steps[0]}|${steps.length}`, () =>
        decideSteps(panel, steps, config, seed),
      ),
    decide: async (ctx, config) =>
      (await decideSteps(panelFromContext(ctx), [ctx.step], config, ctx.seed))[0],
  });
}

/** ml_dual_ridge: two ridge regressions predict next-month means; a mean-variance rule maps them to a weight. */
export const mlDualRidgeFamily = () =>
  batchedFamily(
    'ml_dual_ridge',
    'One ridge regression per sleeve (alpha 1.5) predicts its next-month return; long-only mean-variance weights with risk aversion max(0.8, dd_penalty).',
    ML_DUAL_RIDGE_PARAMS,
    (candidate) => mlGrid(candidate, 'ml_dual_ridge', 2.5),
    (c) => `${c.lookback}|${c.dd_penalty}`,
    async (panel, steps, config) => {
      const k = panel.returns.length;
      const out: Decision[] = steps.map(() => (k === 2 ? HOLD : holdN(k)));
      const w = stepWindows(panel, steps, config.lookback);
      if (w.trained.length === 0) return out;
      if (k === 2) {
        const [muA, muB] = await ridgePredictBatch(w.batch, [w.targetA, w.targetB], 1.5);
        w.trained.forEach((t, j) => {
          out[t.k] = meanVarianceDecision(panel, t.step, config, muA[j], muB[j]);
        });
        return out;
      }
      // One ridge per sleeve, then the exact long-only mean-variance weights.
      const mu = await ridgePredictBatch(w.batch, [...w.targets], 1.5);
      w.trained.forEach((t, j) => {
        out[t.k] = meanVarianceDecisionN(
          panel,
          t.step,
          config,
          mu.map((m) => m[j]),
          meanVarianceSimplex,
        );
      });
      return out;
    },
    // Measured on a 2-core machine: one ridge fit per sleeve, growing with the features squared.
    { decisionCost: (_c, { sleeves, features }) => 3e-4 * sleeves * features * features },
  );

/** ml_lr: balanced logistic regression on the utility-bin labels. */
export const mlLrFamily = () =>
  batchedFamily(
    'ml_lr',
    'Balanced L2 logistic regression (C = 1; multinomial for more than two sleeves) of "which sleeve returns most next month"; weights = its probabilities.',
    ML_PARAMS,
    (candidate) => mlGrid(candidate, 'ml_lr', 0.8),
    (c) => `${c.lookback}`,
    async (panel, steps, config) => {
      const k = panel.returns.length;
      const out: Decision[] = steps.map(() => (k === 2 ? HOLD : holdN(k)));
      const w = stepWindows(panel, steps, config.lookback);
      if (w.trained.length === 0) return out;
      if (k > 2) {
        // Multinomial logistic regression on "which sleeve has the highest next return" (ties: the last).
        // Newton in float64 with Cholesky solves on the CPU: the TensorFlow.js path (multinomialPredictBatch,
        // float32 conjugate gradients + refinement, agreeing within 3e-13) needs about as many CG steps
        // as unknowns (151 for four sleeves) and is 8x slower already at four sleeves. Eight sleeves'
        // systems (623 unknowns) are solved in the training rows' span (<= 391, see multinomialFit).
        const labels = Int32Array.from(w.targets[0], (_, i) =>
          bestSleeve(
            w.targets.map((t) => t[i]),
            'last',
          ),
        );
        // Let the event loop turn before a long synchronous solve (timers, worker messages).
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        const p = multinomialPredictBatchExact(w.batch, labels, k, 1.0);
        w.trained.forEach((t, j) => {
          out[t.k] = sleeveProbabilityDecision(p.subarray(j * k, (j + 1) * k));
        });
        return out;
      }
      const labels = Uint8Array.from(w.targetA, (a, i) => binLabel(a, w.targetB[i]));
      const p = await logisticPredictBatch(w.batch, labels, 1.0);
      w.trained.forEach((t, j) => {
        out[t.k] = binDecision(p[j]);
      });
      return out;
    },
    {
      // Measured on a 2-core machine: the two-sleeve fits are batched (under a millisecond a month);
      // a multinomial fit's Newton steps cost its Cholesky solves (m^3) and Hessians (rows x m^2).
      decisionCost: (c, { sleeves, features }) => {
        if (sleeves === 2) return 0.7;
        const m = multinomialUnknowns(sleeves, c.lookback, features);
        return 1e-6 * m ** 3 + 3e-6 * c.lookback * m * m;
      },
    },
  );

export interface ForestFamilyOptions {
  /** Forest implementation: the typed-array forest (default) or ml-random-forest. */
  readonly engine?: ForestEngineName;
}

/** ml_rf: random forest (220 trees, depth 4, leaf 4, balanced_subsample) on the utility-bin labels. */
export const mlRfFamily = (options: ForestFamilyOptions = {}) => {
  const engine = forestEngine(options.engine ?? 'typed');
  const forest = {
    nTrees: 220,
    maxDepth: 4,
    minSamplesLeaf: 4,
    maxFeatures: 'sqrt' as const,
    classWeight: 'balanced_subsample' as const,
  };
  return batchedFamily(
    'ml_rf',
    `Random forest (220 trees, depth 4, min leaf 4, balanced_subsample; ${engine.name} engine) of "which sleeve returns most next month".`,
    ML_PARAMS,
    (candidate) => mlGrid(candidate, 'ml_rf', 0.8),
    (c, seed) => `${c.lookback}|${seed}|${engine.name}`,
    async (panel, steps, config, seed) => {
      const k = panel.returns.length;
      if (k > 2) {
        // An N-class forest on "which sleeve has the highest next return" (ties: the last).
        return steps.map((step) => {
          const p = forestSleeveProba(
            engine,
            panel,
            step,
            config.lookback,
            (next) => bestSleeve(next, 'last'),
            forestParams(forest, seed),
          );
          return p ? sleeveProbabilityDecision(p) : holdN(k);
        });
      }
      return steps.map((step) => {
        const r = forestClass1(engine, panel, step, config.lookback, binLabel, forestParams(forest, seed));
        return r ? binDecision(r.p1) : HOLD;
      });
    },
    {
      usesRandomness: true,
      decisionCost: (c, shape) => forestDecisionCost(forest.nTrees, c.lookback, shape),
    },
  );
};
