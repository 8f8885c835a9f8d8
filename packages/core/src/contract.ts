/**
 * The plugin contract of the Step 4 allocator.
 *
 * This module has no runtime dependencies so a third-party family can import
 * it alone (`@step4/core/contract`). Everything a family needs to know about
 * the harness is declared here; everything the harness needs to know about a
 * family is a field of `CandidateFamily`, never guessed.
 */

// Both are dependency-free modules of core, so this entry stays importable alone.
import { didYouMean } from './closest.js';
import { InputError } from './errors.js';

export { InputError, isInputError } from './errors.js';

/**
 * Major version of the plugin contract. A family declares the major it was
 * written for as a literal (`coreApi: 2`), so a family built for another
 * contract is refused at registration instead of misbehaving at run time.
 * API 2: typed family configs; static_w, lookback and dd_penalty are family
 * parameters, no longer core fields.
 */
export const CORE_API_VERSION = 2;

/** The contract majors this core can run. */
export const SUPPORTED_CORE_APIS: readonly number[] = [CORE_API_VERSION];

/**
 * Position mechanics shared by every candidate (docs/model/mechanics.md). A type
 * literal, not an interface, so typed configs stay assignable to
 * `CandidateConfig` (TypeScript infers index signatures only for type literals).
 */
export type PositionParams = {
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
};

/** A value of a family parameter. */
export type ParamValue = number | string | boolean;

/**
 * One candidate as the harness sees it: a family (`method`), the position
 * mechanics and the family's own parameters. The key names are the
 * reference's, so configs written to JSON are drop-in compatible.
 */
export interface CandidateConfig extends PositionParams {
  name: string;
  /** Name of the family that decides this candidate's weights. */
  method: string;
  readonly [param: string]: ParamValue;
}

/**
 * Desired weights before the position mechanics: one finite number per sleeve
 * (sleeve order), or, from a family written for two sleeves, the scalar
 * weight of the first sleeve (the second gets the rest).
 */
export type RawWeights = number | readonly number[] | Float64Array;

/** A policy's raw output for one month, before the position mechanics. */
export interface Decision {
  /** Desired weights before clipping (see `RawWeights`); must be finite. */
  wRaw: RawWeights;
  /** Confidence in [0, 1]; scales gross leverage. */
  conf: number;
  /** Optional per-month numbers worth keeping in the path table (e.g. predicted means). */
  diagnostics?: Readonly<Record<string, number>>;
}

/**
 * The rows of the feature table Z strictly before the month being decided
 * (docs/model/features.md, "history means Z"). Arrays are copies owned by the call.
 */
export interface DecisionHistory {
  /** Number of history rows. */
  readonly length: number;
  /** Month ends (ISO `YYYY-MM-DD`) of the history rows. */
  readonly monthEnds: readonly string[];
  /** Each sleeve's returns in the history rows, in sleeve order (N >= 2). */
  readonly returns: readonly Float64Array[];
  /** `returns[0]`: the first sleeve (A of a two-sleeve run). Kept for families written for two sleeves. */
  readonly retA: Float64Array;
  /** `returns[1]`: the second sleeve (B of a two-sleeve run). */
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
  /** Sleeve names in sleeve order; `returns[s]` belongs to `sleeveNames[s]`. */
  readonly sleeveNames: readonly string[];
  readonly history: DecisionHistory;
  /** Seed for any randomness, fixed per run and candidate. */
  readonly seed: number;
}

/** The full feature table handed to a batched `decidePath`. */
export interface DecisionPanel {
  readonly length: number;
  readonly monthEnds: readonly string[];
  /** Sleeve names in sleeve order. */
  readonly sleeveNames: readonly string[];
  /** Each sleeve's returns, in sleeve order (N >= 2). */
  readonly returns: readonly Float64Array[];
  /** `returns[0]` (kept for families written for two sleeves). */
  readonly retA: Float64Array;
  /** `returns[1]`. */
  readonly retB: Float64Array;
  readonly features: Float64Array;
  readonly featureNames: readonly string[];
}

/** The sleeves of a run, as a family's `defaultGrid` sees them. */
export interface SleeveUniverse {
  /** Sleeve names in the user's order (sleeve 0 first). */
  readonly names: readonly string[];
}

/** The numbers of sleeves a family can allocate between. */
export interface SleeveCounts {
  readonly min: number;
  /** Absent: no upper limit. */
  readonly max?: number;
}

/**
 * What a family that declares no `sleeves` supports: it was written for the
 * two-sleeve contract (`retA`/`retB`, a scalar `wRaw`), so it runs only when
 * the run has exactly two sleeves.
 */
export const TWO_SLEEVES: SleeveCounts = Object.freeze({ min: 2, max: 2 });

/** The sleeve counts a family supports. */
export function supportedSleeves(family: Pick<CandidateFamily, 'sleeves'>): SleeveCounts {
  return family.sleeves ?? TWO_SLEEVES;
}

/** True when the family can allocate between `n` sleeves. */
export function supportsSleeveCount(family: Pick<CandidateFamily, 'sleeves'>, n: number): boolean {
  const c = supportedSleeves(family);
  return n >= c.min && (c.max === undefined || n <= c.max);
}

/** "2 sleeves", "2 to 6 sleeves", "2 or more sleeves". */
export function describeSleeveCounts(c: SleeveCounts): string {
  if (c.max === c.min) return `${c.min} sleeves`;
  return c.max === undefined ? `${c.min} or more sleeves` : `${c.min} to ${c.max} sleeves`;
}

/** A numeric family parameter (`integer` also requires a whole number). */
export interface NumericParamSpec {
  readonly type: 'number' | 'integer';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  readonly description: string;
  /** See `OptionalParamKeys`: left out of configs unless set. */
  readonly optional?: boolean;
}

/** A family parameter taking one of a few strings (write `values` as a literal so the type is their union). */
export interface EnumParamSpec<V extends string = string> {
  readonly type: 'enum';
  readonly values: readonly V[];
  readonly default: V;
  readonly description: string;
  /** Left out of a candidate's config unless set (see `OptionalParamKeys`). */
  readonly optional?: boolean;
  // Declared absent so `spec.min` reads on every ParamSpec.
  readonly min?: undefined;
  readonly max?: undefined;
}

export interface BooleanParamSpec {
  readonly type: 'boolean';
  readonly default: boolean;
  readonly description: string;
  /** Left out of a candidate's config unless set (see `OptionalParamKeys`). */
  readonly optional?: boolean;
  readonly min?: undefined;
  readonly max?: undefined;
}

/** A free-form text parameter (e.g. a sleeve name); `pattern` restricts it. */
export interface StringParamSpec {
  readonly type: 'string';
  readonly default: string;
  /** A regular expression (source text) every value must match in full. */
  readonly pattern?: string;
  readonly description: string;
  /** Left out of a candidate's config unless set (see `OptionalParamKeys`). */
  readonly optional?: boolean;
  readonly min?: undefined;
  readonly max?: undefined;
}

/** Declaration of one family-specific parameter. */
export type ParamSpec = NumericParamSpec | EnumParamSpec | BooleanParamSpec | StringParamSpec;

export type ParamSchema = Readonly<Record<string, ParamSpec>>;

/** The TypeScript type of a parameter's values. */
export type ParamType<S> = S extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
  ? V
  : S extends { readonly type: 'boolean' }
    ? boolean
    : S extends { readonly type: 'string' }
      ? string
      : number;

/**
 * The parameters a schema marks `optional: true`: a candidate's config holds
 * one only when it is set, so adding such a parameter to a family changes no
 * existing config or report (the family reads `config.x ?? <default>`;
 * `default` documents what that is).
 */
export type OptionalParamKeys<P> = {
  [K in keyof P]: P[K] extends { readonly optional: true } ? K : never;
}[keyof P];

/** The values of a family's parameters, typed from its schema (optional ones may be absent). */
export type ParamValues<P extends ParamSchema> = {
  -readonly [K in Exclude<keyof P, OptionalParamKeys<P>>]: ParamType<P[K]>;
} & { -readonly [K in OptionalParamKeys<P>]?: ParamType<P[K]> };

/**
 * The config a family's `decide` receives: exactly the position mechanics,
 * name, method and the family's declared parameters, so a misspelt key
 * (`config.lookbak`) is a compile error.
 */
export type FamilyConfig<P extends ParamSchema = ParamSchema> = PositionParams & {
  name: string;
  method: string;
} & ParamValues<P>;

/** What a candidate of a family may set: position mechanics and the family's parameters, all optional. */
export type CandidateParams<P extends ParamSchema = ParamSchema> = Partial<PositionParams & ParamValues<P>>;

/** A built candidate of a family: a harness config whose family parameters are typed. */
export type TypedCandidate<P extends ParamSchema = ParamSchema> = CandidateConfig & ParamValues<P>;

/** Builds a candidate of one family with its defaults applied (see `buildCandidate`). */
export type CandidateBuilder<P extends ParamSchema = ParamSchema> = (
  name: string,
  params?: CandidateParams<P>,
) => TypedCandidate<P>;

export interface FamilyMeta {
  /** The family name, used as `method` in candidate configs. */
  readonly name: string;
  /** The family's own version (its package.json version), written into every summary. */
  readonly version: string;
  /** Major of the plugin contract the family targets; must be in core's `SUPPORTED_CORE_APIS`. */
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
export interface CandidateFamily<P extends ParamSchema = ParamSchema> {
  readonly meta: FamilyMeta;
  /** Family-specific parameters with their defaults and ranges. */
  readonly params: P;
  /**
   * The family's default candidates, in order. `sleeves` names the run's
   * sleeves (a grid may depend on them, e.g. one baseline per sleeve); without
   * it, the grid of a two-sleeve run.
   */
  defaultGrid(sleeves?: SleeveUniverse): CandidateConfig[];
  /**
   * The sleeve counts the family supports. Absent: the two-sleeve contract
   * (`TWO_SLEEVES`), so a family written before N sleeves keeps working for two
   * and is refused, with a message naming it, for more.
   */
  readonly sleeves?: SleeveCounts;
  /** Fewest history rows the family can decide with (it must still return a decision below that). */
  readonly minHistoryMonths?: number;
  /**
   * True when the weights never depend on data (a fixed mix). Such candidates
   * are never promoted as the "dynamic" run (docs/model/objectives.md).
   */
  readonly isStatic?: boolean;
  /** True when `decide` uses randomness (it must then use `ctx.seed`). */
  readonly usesRandomness?: boolean;
  /**
   * Rough cost of one decision month of `config` on a panel of this shape, in
   * milliseconds (absent: `DEFAULT_DECISION_COST`). With several threads the
   * engine starts the costliest candidates first, so one long candidate does not
   * run alone at the end; it only orders the work, never changes a result.
   */
  decisionCost?(config: FamilyConfig<P>, shape: DecisionShape): number;
  decide(ctx: DecisionContext, config: FamilyConfig<P>): Decision | Promise<Decision>;
  /**
   * Optional batched form: decisions for Z rows `steps[k]` using only rows
   * before each step. Returns one decision per step.
   */
  decidePath?(
    panel: DecisionPanel,
    steps: readonly number[],
    config: FamilyConfig<P>,
    seed: number,
  ): Decision[] | Promise<Decision[]>;
}

/** The size of the decisions a run asks for, for `decisionCost`. */
export interface DecisionShape {
  /** Sleeves of the run. */
  readonly sleeves: number;
  /** Feature columns of the decision panel (`featureNames`). */
  readonly features: number;
}

/** The cost of a decision month of a family that states none (`decisionCost`): a rule-based family's, roughly. */
export const DEFAULT_DECISION_COST = 1;

/** Whether a `decisionCost` answer is a usable hint: a positive, finite number of milliseconds. */
export function isDecisionCostHint(cost: unknown): cost is number {
  return typeof cost === 'number' && Number.isFinite(cost) && cost > 0;
}

/** What `defineFamily` takes: a family whose `defaultGrid` builds its candidates with the typed builder. */
export interface FamilyDefinition<P extends ParamSchema>
  extends Omit<CandidateFamily<P>, 'meta' | 'defaultGrid'> {
  readonly meta: FamilyMeta & {
    /** A literal, never read from core (`CORE_API_VERSION`): it states what the family was written for. */
    readonly coreApi: 2;
  };
  /**
   * The family's default candidates, in order, built with `candidate(name, params)`
   * (defaults applied, keys checked); `sleeves` names the run's sleeves.
   */
  defaultGrid(candidate: CandidateBuilder<P>, sleeves: SleeveUniverse): CandidateConfig[];
}

/** A family made by `defineFamily`: also builds its own typed candidates. */
export interface DefinedFamily<P extends ParamSchema> extends CandidateFamily<P> {
  /** `buildCandidate(this family, name, params)`: unknown keys are compile errors here. */
  candidate: CandidateBuilder<P>;
}

/**
 * Make a family (like Vite's `defineConfig`, but it also types `config` in
 * `decide` from `params`). `const` keeps enum `values` as literal unions.
 */
export function defineFamily<const P extends ParamSchema>(definition: FamilyDefinition<P>): DefinedFamily<P> {
  const family: DefinedFamily<P> = {
    ...definition,
    defaultGrid: (sleeves = DEFAULT_UNIVERSE) => definition.defaultGrid(family.candidate, sleeves),
    candidate: (name, params = {}) => buildCandidate(family, name, params) as TypedCandidate<P>,
  };
  return family;
}

/** The sleeves of the reference (a two-sleeve run): what `defaultGrid()` without sleeves builds for. */
export const DEFAULT_UNIVERSE: SleeveUniverse = Object.freeze({ names: Object.freeze(['spyqqq', 'btceth']) });

/** Reference defaults of the position mechanics of every candidate (docs/model/families.md). */
export const DEFAULT_POSITION: Readonly<PositionParams> = Object.freeze({
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

/** @deprecated API 1 name of `DEFAULT_POSITION` (it no longer holds static_w, lookback or dd_penalty). */
export const DEFAULT_CANDIDATE = DEFAULT_POSITION;

/**
 * A config with the position defaults only, for code that has no family (harness
 * tests). A family's candidates come from `buildCandidate` / `family.candidate`,
 * which also apply the family's defaults; `validateCandidate` rejects a config
 * that lacks a family parameter, so this cannot silently differ from those.
 */
export function candidate(
  name: string,
  method: string,
  overrides: Partial<PositionParams> & Readonly<Record<string, ParamValue | undefined>> = {},
): CandidateConfig {
  return { name, method, ...DEFAULT_POSITION, ...overrides } as CandidateConfig;
}

/** The family's parameter defaults, in schema order (optional parameters are left out). */
export function paramDefaults(params: ParamSchema): Record<string, ParamValue> {
  return Object.fromEntries(
    Object.entries(params)
      .filter(([, spec]) => spec.optional !== true)
      .map(([k, spec]) => [k, spec.default]),
  );
}

/**
 * The one place defaults are applied: a candidate of `family` from the given
 * parameters, family defaults and position defaults, validated. Library code
 * (`family.candidate`, default grids) and the CLI's config grids both use it,
 * so the same parameters always give the same config. Key order is name,
 * method, family parameters (schema order), position mechanics; JSON dumps
 * depend on it.
 */
export function buildCandidate(
  family: Pick<CandidateFamily, 'meta' | 'params'>,
  name: string,
  params: Readonly<Record<string, unknown>> = {},
): CandidateConfig {
  for (const key of ['name', 'method'])
    if (key in params) throw new InputError(`candidate ${name}: ${key} is not a parameter`, { field: key });
  const config = {
    name,
    method: family.meta.name,
    ...paramDefaults(family.params),
    ...DEFAULT_POSITION,
    ...params,
  } as CandidateConfig;
  validateCandidate(config, family);
  return config;
}

/** The parameters a candidate of the family may set: its own, then the position mechanics. */
export function candidateParameterNames(family: Pick<CandidateFamily, 'params'>): string[] {
  return [...Object.keys(family.params), ...Object.keys(DEFAULT_POSITION)];
}

/** Bounds of a numeric parameter (inclusive unless marked exclusive). */
export interface ParamRange {
  min: number;
  max: number;
  integer?: boolean;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** Bounds of the position and cost parameters every candidate has (checked by `validateCandidate`). */
export const POSITION_PARAM_BOUNDS: Readonly<Record<keyof PositionParams, Readonly<ParamRange>>> = {
  min_w: { min: 0, max: 1 },
  max_w: { min: 0, max: 1 },
  smoothing: { min: 0, max: 1, maxExclusive: true },
  max_step: { min: 0, max: 1, minExclusive: true },
  gross_base: { min: 0, max: 10 },
  gross_conf_scale: { min: 0, max: 10 },
  max_gross: { min: 0.85, max: 10 },
  target_vol: { min: 0, max: 10 },
  vol_lb: { min: 0, max: 1200, integer: true },
  turn_cost_bps: { min: 0, max: 10_000 },
  gross_cost_bps: { min: 0, max: 10_000 },
};

function checkNumber(where: string, field: string, v: unknown, r: ParamRange): void {
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (r.minExclusive ? v > r.min : v >= r.min) &&
    (r.maxExclusive ? v < r.max : v <= r.max) &&
    (!r.integer || Number.isInteger(v));
  if (!ok) {
    const lo = r.minExclusive ? '(' : '[';
    const hi = r.maxExclusive ? ')' : ']';
    throw new InputError(
      `${where}: ${field} must be ${r.integer ? 'an integer' : 'a number'} in ${lo}${r.min}, ${r.max}${hi}, got ${JSON.stringify(v)}`,
      { field },
    );
  }
}

/** Check one value against its parameter spec (type, bounds, enum membership). */
export function checkParamValue(where: string, field: string, v: unknown, spec: ParamSpec): void {
  if (spec.type === 'enum') {
    if (typeof v !== 'string' || !spec.values.includes(v)) {
      throw new InputError(
        `${where}: ${field} must be one of ${spec.values.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`,
        { field },
      );
    }
  } else if (spec.type === 'string') {
    if (typeof v !== 'string' || (spec.pattern !== undefined && !new RegExp(`^(?:${spec.pattern})$`).test(v)))
      throw new InputError(
        `${where}: ${field} must be a string${spec.pattern === undefined ? '' : ` matching /${spec.pattern}/`}, got ${JSON.stringify(v)}`,
        { field },
      );
  } else if (spec.type === 'boolean') {
    if (typeof v !== 'boolean')
      throw new InputError(`${where}: ${field} must be true or false, got ${JSON.stringify(v)}`, { field });
  } else {
    checkNumber(where, field, v, {
      min: spec.min ?? Number.NEGATIVE_INFINITY,
      max: spec.max ?? Number.POSITIVE_INFINITY,
      integer: spec.type === 'integer',
    });
  }
}

/**
 * Validate a candidate against the position mechanics and its family's schema:
 * no unknown keys (the error names the closest valid one), every family
 * parameter present and valid.
 */
export function validateCandidate(
  config: CandidateConfig,
  family: Pick<CandidateFamily, 'meta' | 'params'>,
): void {
  const name = typeof config.name === 'string' && config.name.length > 0 ? config.name : '(unnamed)';
  if (name === '(unnamed)') throw new InputError('a candidate has no name', { field: 'name' });
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new InputError(
      `candidate ${JSON.stringify(name)}: names may only use letters, digits, _, . and - (they become file names)`,
      { field: 'name' },
    );
  }
  const where = `candidate ${name}`;
  const valid = candidateParameterNames(family);
  for (const key of Object.keys(config)) {
    if (key === 'name' || key === 'method' || valid.includes(key)) continue;
    throw new InputError(
      `${where}: family ${family.meta.name} has no parameter ${key} (${didYouMean(key, valid)})`,
      { field: key },
    );
  }
  for (const [field, range] of Object.entries(POSITION_PARAM_BOUNDS))
    checkNumber(where, field, config[field], range);
  if (config.min_w > config.max_w) {
    throw new InputError(`${where}: min_w (${config.min_w}) must not exceed max_w (${config.max_w})`, {
      field: 'min_w',
    });
  }
  for (const [field, spec] of Object.entries(family.params)) {
    if (config[field] === undefined && spec.optional === true) continue;
    if (config[field] === undefined) {
      throw new InputError(
        `${where}: ${field} is missing (build candidates with buildCandidate or family.candidate, which apply the defaults)`,
        { field },
      );
    }
    checkParamValue(where, field, config[field], spec);
  }
}
