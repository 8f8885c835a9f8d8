/**
 * The plugin contract of the Step 4 allocator.
 *
 * This module has no runtime dependencies so a third-party family can import
 * it alone (`@step4/core/contract`). Everything a family needs to know about
 * the harness is declared here; everything the harness needs to know about a
 * family is a field of `CandidateFamily`, never guessed.
 */

/** Major version of the plugin contract. A family declares the major it targets. */
export const CORE_API_VERSION = 1;

/** Position mechanics shared by every candidate (spec section 3). */
export interface PositionParams {
  /** Lower clip of the weight of sleeve A. */
  min_w: number;
  /** Upper clip of the weight of sleeve A. */
  max_w: number;
  /** Exponential smoothing towards the previous weight, in [0, 1). */
  smoothing: number;
  /** Largest change of the weight of A in one month. */
  max_step: number;
  /** Gross leverage before confidence scaling. */
  gross_base: number;
  /** Extra gross leverage per unit of policy confidence. */
  gross_conf_scale: number;
  /** Upper clip of gross leverage (the lower clip is 0.85). */
  max_gross: number;
  /** Monthly volatility target; 0 disables vol targeting. */
  target_vol: number;
  /** Months of history used for the realised volatility of the blend. */
  vol_lb: number;
  /** Cost per unit of weight turnover, in basis points. */
  turn_cost_bps: number;
  /** Cost per unit of gross-leverage change, in basis points. */
  gross_cost_bps: number;
}

/**
 * One candidate: a family (`method`) with its parameters and the position
 * mechanics. The key names are the reference's, so configs written to JSON are
 * drop-in compatible. Families may add their own numeric or string parameters.
 */
export interface CandidateConfig extends PositionParams {
  name: string;
  /** Name of the family that decides this candidate's weights. */
  method: string;
  /** Weight of A for static policies (reference field, present on every config). */
  static_w: number;
  /** Months of history a policy looks back on. */
  lookback: number;
  /** Drawdown penalty / risk aversion, meaning depends on the family. */
  dd_penalty: number;
  readonly [extra: string]: number | string;
}

/** A policy's raw output for one month, before the position mechanics. */
export interface Decision {
  /** Desired weight of sleeve A before clipping; must be finite. */
  wRaw: number;
  /** Confidence in [0, 1]; scales gross leverage. */
  conf: number;
  /** Optional per-month numbers worth keeping in the path table (e.g. predicted means). */
  diagnostics?: Readonly<Record<string, number>>;
}

/**
 * The rows of the feature table Z strictly before the month being decided
 * (spec section 2, "history means Z"). Arrays are copies owned by the call.
 */
export interface DecisionHistory {
  /** Number of history rows. */
  readonly length: number;
  /** Month ends (ISO `YYYY-MM-DD`) of the history rows. */
  readonly monthEnds: readonly string[];
  /** Returns of sleeve A in the history rows. */
  readonly retA: Float64Array;
  /** Returns of sleeve B in the history rows. */
  readonly retB: Float64Array;
  /** Lagged features, row-major `length x featureNames.length`. */
  readonly features: Float64Array;
}

/** What a family sees when it decides one month. */
export interface DecisionContext {
  /** Index of the month in Z (the number of history rows). */
  readonly step: number;
  /** Month being decided (ISO `YYYY-MM-DD`). Its returns are not visible. */
  readonly monthEnd: string;
  /** The month's own lagged features (they only use data before the month). */
  readonly features: Float64Array;
  readonly featureNames: readonly string[];
  readonly history: DecisionHistory;
  /** Seed for any randomness, fixed per run and candidate. */
  readonly seed: number;
}

/** The full feature table handed to a batched `decidePath`. */
export interface DecisionPanel {
  readonly length: number;
  readonly monthEnds: readonly string[];
  readonly retA: Float64Array;
  readonly retB: Float64Array;
  readonly features: Float64Array;
  readonly featureNames: readonly string[];
}

/** Declaration of one family-specific parameter. */
export interface ParamSpec {
  readonly type: 'number' | 'integer';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  readonly description: string;
}

export type ParamSchema = Readonly<Record<string, ParamSpec>>;

export interface FamilyMeta {
  /** The family name, used as `method` in candidate configs. */
  readonly name: string;
  /** The family's own version, written into every summary. */
  readonly version: string;
  /** Major of the plugin contract the family targets (`CORE_API_VERSION`). */
  readonly coreApi: number;
  readonly description?: string;
}

/**
 * A candidate family (a plugin). Make one with `defineFamily({...})`.
 *
 * The harness calls `decide` once per walk-forward month with only the history
 * before that month. A family that can batch its work (all months at once)
 * may add `decidePath`; it must return exactly what `decide` would, month by
 * month, and the conformance kit checks that it does not look ahead.
 */
export interface CandidateFamily {
  readonly meta: FamilyMeta;
  /** Family-specific parameters with their defaults and ranges. */
  readonly params: ParamSchema;
  /** The family's default candidates, in order. */
  defaultGrid(): CandidateConfig[];
  /** Fewest history rows the family can decide with (it must still return a decision below that). */
  readonly minHistoryMonths?: number;
  /**
   * True when the weights never depend on data (a fixed mix). Such candidates
   * are never promoted as the "dynamic" run (spec section 8).
   */
  readonly isStatic?: boolean;
  /** True when `decide` uses randomness (it must then use `ctx.seed`). */
  readonly usesRandomness?: boolean;
  decide(ctx: DecisionContext, config: CandidateConfig): Decision | Promise<Decision>;
  /**
   * Optional batched form: decisions for Z rows `steps[k]` using only rows
   * before each step. Returns one decision per step.
   */
  decidePath?(
    panel: DecisionPanel,
    steps: readonly number[],
    config: CandidateConfig,
    seed: number,
  ): Decision[] | Promise<Decision[]>;
}

/** Identity function that only adds type inference (like Vite's `defineConfig`). */
export function defineFamily<F extends CandidateFamily>(family: F): F {
  return family;
}

/** Reference defaults of every candidate config (spec section 7). */
export const DEFAULT_CANDIDATE: Omit<CandidateConfig, 'name' | 'method'> = Object.freeze({
  static_w: 0.5,
  lookback: 6,
  dd_penalty: 0,
  min_w: 0,
  max_w: 1,
  smoothing: 0,
  max_step: 1,
  gross_base: 1,
  gross_conf_scale: 0,
  max_gross: 1,
  target_vol: 0,
  vol_lb: 12,
  turn_cost_bps: 12,
  gross_cost_bps: 6,
});

/** Build a config from the reference defaults plus overrides. */
export function candidate(
  name: string,
  method: string,
  overrides: Partial<Omit<CandidateConfig, 'name' | 'method'>> = {},
): CandidateConfig {
  return { name, method, ...DEFAULT_CANDIDATE, ...overrides } as CandidateConfig;
}

/**
 * Format a leverage cap the way the reference names candidates: Python's float
 * repr with the dot replaced by an underscore (1.0 -> "1_0", 1.15 -> "1_15").
 */
export function gridLabel(x: number): string {
  const s = Number.isInteger(x) ? x.toFixed(1) : String(x);
  return s.replace('.', '_');
}

/**
 * The reference's grid shape: for each lookback L and leverage cap G, a
 * candidate `${method}_lb${L}_g${G}` (G as Python prints it) with the
 * parameters `params(L, G)` gives; lookback and max_gross are set from L and G.
 */
export function lookbackLeverageGrid(
  method: string,
  lookbacks: readonly number[],
  leverageCaps: readonly number[],
  params: (lookback: number, cap: number) => Partial<Omit<CandidateConfig, 'name' | 'method'>>,
): CandidateConfig[] {
  return lookbacks.flatMap((L) =>
    leverageCaps.map((G) =>
      candidate(`${method}_lb${L}_g${gridLabel(G)}`, method, { lookback: L, max_gross: G, ...params(L, G) }),
    ),
  );
}
