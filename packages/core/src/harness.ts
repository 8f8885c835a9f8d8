import type {
  CandidateConfig,
  CandidateFamily,
  Decision,
  DecisionContext,
  DecisionPanel,
} from './contract.js';
import { isInputError } from './errors.js';
import type { FeatureTable } from './features.js';
import type { WalkForwardPath } from './results.js';
import { projectToBoundedSimplex, sleeveBounds } from './simplex.js';
import { clip, std } from './stats.js';

/** Lower clip of gross leverage in the reference mechanics (docs/model/mechanics.md). */
export const MIN_GROSS = 0.85;

export interface WalkForwardOptions {
  /** History rows of Z before the first decision (spec: min_history, default 24). */
  readonly minHistory: number;
  /** Seed handed to families that use randomness. */
  readonly seed: number;
  /**
   * Yearly financing rate of leverage in basis points (default 0, the
   * reference): each month costs (gross - 1)+ x rate / 12 of capital.
   */
  readonly financingBpsPerYear?: number;
}

/** An exception thrown by a family's own code, named by family, candidate and month (`cause`: the original). */
export class FamilyError extends Error {
  override readonly name = 'FamilyError';
}

/** A decision that breaks the contract: the candidate fails with this message. */
export class DecisionError extends Error {
  override readonly name = 'DecisionError';
}

/*
 * Sealing (issue "Plugin contract 2"): a family never gets anything the harness
 * or another candidate reads. Arrays are copies (or, for a batched family, one
 * copy per family that is checked against Z before every reuse), strings and
 * configs are frozen. Whatever a family writes only changes its own result.
 */

/** True when two typed arrays hold the same bytes (NaN and -0 included). */
export function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  // Float64 data is 8-byte aligned, so 32-bit words compare every bit.
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function deepCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepCopy) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepCopy(v)])) as T;
  }
  return value;
}

/** Configs made by `sealConfig`: re-sealing one is free. */
const sealedConfigs = new WeakSet<object>();

/**
 * A frozen deep copy of a candidate config. The harness simulates with it and
 * hands it to the family, so neither the family (a write throws in strict mode)
 * nor anyone holding the original (e.g. a family that kept the objects its
 * `defaultGrid` returned) can change what is simulated or reported.
 */
export function sealConfig(config: CandidateConfig): CandidateConfig {
  if (sealedConfigs.has(config)) return config;
  const sealed = deepFreeze(deepCopy(config));
  sealedConfigs.add(sealed);
  return sealed;
}

/** Frozen copies of the table's strings, made once per table (strings themselves are immutable). */
const frozenStrings = new WeakMap<
  FeatureTable,
  { featureNames: readonly string[]; monthEnds: readonly string[]; sleeveNames: readonly string[] }
>();

function stringsOf(table: FeatureTable) {
  let s = frozenStrings.get(table);
  if (!s) {
    s = {
      featureNames: Object.freeze(table.featureNames.slice()),
      monthEnds: Object.freeze(table.monthEnds.slice()),
      sleeveNames: Object.freeze(table.sleeveNames.slice()),
    };
    frozenStrings.set(table, s);
  }
  return s;
}

/** Per-sleeve copies of rows [0, end), with `retA`/`retB` naming the first two (the two-sleeve contract). */
function sleeveReturns(returns: readonly Float64Array[], end?: number) {
  const copies: Float64Array[] = new Array(returns.length);
  for (let s = 0; s < returns.length; s++) copies[s] = returns[s].slice(0, end);
  Object.freeze(copies);
  return { returns: copies, retA: copies[0], retB: copies[1] };
}

/** Copies of Z's rows before `step`: a family cannot reach later rows through them. */
export function historyBefore(table: FeatureTable, step: number): DecisionContext['history'] {
  const f = table.featureNames.length;
  return Object.freeze({
    length: step,
    monthEnds: Object.freeze(table.monthEnds.slice(0, step)),
    ...sleeveReturns(table.returns, step),
    features: table.features.slice(0, step * f),
  });
}

/** What `decide` gets for one month: copies owned by the call, frozen strings. */
export function decisionContext(table: FeatureTable, step: number, seed: number): DecisionContext {
  const f = table.featureNames.length;
  return Object.freeze({
    step,
    monthEnd: table.monthEnds[step],
    features: table.features.slice(step * f, (step + 1) * f),
    featureNames: stringsOf(table).featureNames,
    sleeveNames: stringsOf(table).sleeveNames,
    history: historyBefore(table, step),
    seed,
  });
}

/** A fresh copy of the whole table for `decidePath`. */
export function decisionPanel(table: FeatureTable): DecisionPanel {
  const s = stringsOf(table);
  return Object.freeze({
    length: table.length,
    monthEnds: s.monthEnds,
    sleeveNames: s.sleeveNames,
    ...sleeveReturns(table.returns),
    features: table.features.slice(),
    featureNames: s.featureNames,
  });
}

/** True when a panel handed out still holds Z's values. */
export function panelUnchanged(panel: DecisionPanel, table: FeatureTable): boolean {
  return (
    panel.returns.length === table.returns.length &&
    panel.returns.every((r, s) => sameValues(r, table.returns[s])) &&
    sameValues(panel.features, table.features)
  );
}

/**
 * One panel copy per (table, family), reused across the family's candidates so
 * its own caches keyed on the panel keep working (an ML fit shared by every
 * leverage cap). It is compared with Z before every reuse: a family that wrote
 * to it gets a new copy, and other families never see it.
 */
const familyPanels = new WeakMap<FeatureTable, WeakMap<CandidateFamily, DecisionPanel>>();

export function familyPanel(table: FeatureTable, family: CandidateFamily): DecisionPanel {
  let byFamily = familyPanels.get(table);
  if (!byFamily) {
    byFamily = new WeakMap();
    familyPanels.set(table, byFamily);
  }
  let panel = byFamily.get(family);
  if (!panel || !panelUnchanged(panel, table)) {
    panel = decisionPanel(table);
    byFamily.set(family, panel);
  }
  return panel;
}

/** One call of a family, with what it was handed (the conformance kit inspects it). */
export type FamilyCall =
  | { readonly kind: 'decidePath'; readonly panel: DecisionPanel; readonly config: CandidateConfig }
  | {
      readonly kind: 'decide';
      readonly step: number;
      readonly ctx: DecisionContext;
      readonly config: CandidateConfig;
    };

/** The Z rows that get a decision: min_history .. length - 1. */
export function walkForwardSteps(table: FeatureTable, minHistory: number): number[] {
  const steps: number[] = [];
  for (let i = minHistory; i < table.length; i++) steps.push(i);
  return steps;
}

/**
 * Ask the family for every step's decision (batched when it offers that). The
 * family gets a sealed config and sealed inputs; `afterCall` sees each call's
 * inputs once the call returned.
 */
export function familyDecisions(
  family: CandidateFamily,
  config: CandidateConfig,
  table: FeatureTable,
  opts: WalkForwardOptions,
  afterCall?: (call: FamilyCall) => void,
): Promise<Decision[]> {
  return callFamily(family, sealConfig(config), table, opts, afterCall);
}

/**
 * The calls themselves, with `config` handed over as given. Only the
 * conformance kit hands an unsealed copy (to see what a family writes to it).
 */
export async function callFamily(
  family: CandidateFamily,
  config: CandidateConfig,
  table: FeatureTable,
  opts: WalkForwardOptions,
  afterCall?: (call: FamilyCall) => void,
): Promise<Decision[]> {
  const steps = walkForwardSteps(table, opts.minHistory);
  if (family.decidePath) {
    const panel = familyPanel(table, family);
    let out: Decision[];
    try {
      out = await family.decidePath(panel, Object.freeze(steps.slice()), config, opts.seed);
    } catch (e) {
      const range = `${table.monthEnds[steps[0]]} .. ${table.monthEnds[steps[steps.length - 1]]}`;
      throw familyError(family, config, `decidePath for months ${range}`, e);
    }
    afterCall?.({ kind: 'decidePath', panel, config });
    if (out?.length !== steps.length) {
      throw new DecisionError(
        `family ${family.meta.name}, candidate ${config.name}: decidePath returned ${out?.length} decisions for ${steps.length} months`,
      );
    }
    return out;
  }
  const out: Decision[] = [];
  for (const i of steps) {
    const ctx = decisionContext(table, i, opts.seed);
    try {
      out.push(await family.decide(ctx, config));
    } catch (e) {
      throw familyError(family, config, `month ${table.monthEnds[i]}`, e);
    }
    afterCall?.({ kind: 'decide', step: i, ctx, config });
  }
  return out;
}

/** A family's own exception, named by family, candidate and month, with its original message. */
function familyError(family: CandidateFamily, config: CandidateConfig, where: string, e: unknown): Error {
  if (isInputError(e)) return e as Error;
  const message = e instanceof Error ? e.message : String(e);
  return new FamilyError(
    `family ${family.meta.name}, candidate ${config.name}, ${where}: ${message.split('\n')[0]}`,
    { cause: e },
  );
}

/** A decision's raw weights, checked: a scalar (two sleeves only) or one finite number per sleeve. */
function checkDecision(
  d: Decision,
  sleeves: number,
  family: string,
  config: CandidateConfig,
  month: string,
): void {
  const where = `family ${family}, candidate ${config.name}, month ${month}`;
  const w = d?.wRaw;
  if (typeof w === 'number') {
    if (!Number.isFinite(w)) throw new DecisionError(`${where}: w_raw must be a finite number, got ${w}`);
    if (sleeves !== 2) {
      throw new DecisionError(
        `${where}: w_raw is one number, but this run has ${sleeves} sleeves; return one weight per sleeve`,
      );
    }
  } else if (w && typeof w === 'object' && typeof (w as ArrayLike<number>).length === 'number') {
    const v = w as ArrayLike<number>;
    if (v.length !== sleeves)
      throw new DecisionError(`${where}: w_raw has ${v.length} weights for ${sleeves} sleeves`);
    for (let s = 0; s < v.length; s++) {
      if (!Number.isFinite(v[s]))
        throw new DecisionError(`${where}: w_raw[${s}] must be a finite number, got ${v[s]}`);
    }
  } else {
    throw new DecisionError(`${where}: w_raw must be a number or one weight per sleeve, got ${String(w)}`);
  }
  if (!(d.conf >= 0 && d.conf <= 1))
    throw new DecisionError(`${where}: conf must be in [0, 1], got ${d.conf}`);
}

/**
 * The first sleeve's raw weight of a two-sleeve decision: the scalar itself,
 * or the projection of a weight pair onto w_A + w_B = 1 (w_A itself when the
 * pair already sums to 1).
 */
function firstSleeveWeight(w: Decision['wRaw']): number {
  if (typeof w === 'number') return w;
  const v = w as ArrayLike<number>;
  return v[0] + v[1] === 1 ? v[0] : (v[0] - v[1] + 1) / 2;
}

/**
 * Apply the position mechanics (docs/model/mechanics.md) to a policy's
 * decisions: clip (projection onto the bounded simplex), smoothing, max step
 * on one-way turnover, confidence-scaled gross, vol targeting, costs.
 */
export function applyPositionMechanics(
  table: FeatureTable,
  steps: readonly number[],
  decisions: readonly Decision[],
  config: CandidateConfig,
  familyName = config.method,
  financingBpsPerYear = 0,
): WalkForwardPath {
  const n = steps.length;
  const sleeves = table.returns.length;
  const col = () => new Float64Array(n);
  const path = {
    monthEnds: steps.map((i) => table.monthEnds[i]),
    sleeveNames: table.sleeveNames.slice(),
    sleeveReturns: table.returns.map(col),
    weights: table.returns.map(col),
    grossLeverage: col(),
    retGross: col(),
    cost: col(),
    retNet: col(),
    turnoverAbs: col(),
    policyWRaw: table.returns.map(col),
    policyConf: col(),
    financingCost: financingBpsPerYear > 0 ? col() : undefined,
  };
  const { min_w, max_w, smoothing, max_step, gross_base, gross_conf_scale, max_gross, target_vol } = config;
  const volLb = Math.max(0, Math.floor(config.vol_lb));
  const blend = new Float64Array(volLb);
  const extra: Record<string, Float64Array> = {};
  // Two sleeves run the reference's scalar mechanics on w_A (bit for bit); more run the vector form.
  const vector = sleeves === 2 ? undefined : new VectorMechanics(sleeves, config);
  let wPrev = 0.5;
  let gPrev = 1.0;
  for (let k = 0; k < n; k++) {
    const i = steps[k];
    const d = decisions[k];
    checkDecision(d, sleeves, familyName, config, table.monthEnds[i]);
    let w = 0;
    let turnover: number;
    if (vector) {
      turnover = vector.step(d.wRaw as ArrayLike<number>);
      for (let s = 0; s < sleeves; s++) path.policyWRaw[s][k] = (d.wRaw as ArrayLike<number>)[s];
    } else {
      const raw = firstSleeveWeight(d.wRaw);
      const wRaw = clip(raw, min_w, max_w);
      const wSm = smoothing * wPrev + (1 - smoothing) * wRaw;
      w = clip(wPrev + clip(wSm - wPrev, -max_step, max_step), min_w, max_w);
      turnover = Math.abs(w - wPrev);
      path.policyWRaw[0][k] = typeof d.wRaw === 'number' ? d.wRaw : (d.wRaw as ArrayLike<number>)[0];
      path.policyWRaw[1][k] = typeof d.wRaw === 'number' ? 1 - d.wRaw : (d.wRaw as ArrayLike<number>)[1];
    }
    let gross = clip(gross_base + gross_conf_scale * d.conf, MIN_GROSS, max_gross);
    if (target_vol > 0) {
      // Realised vol of the current blend over the last vol_lb history rows.
      const from = Math.max(0, i - volLb);
      const m = i - from;
      if (vector) for (let j = 0; j < m; j++) blend[j] = vector.blend(table.returns, from + j);
      else
        for (let j = 0; j < m; j++)
          blend[j] = w * table.returns[0][from + j] + (1 - w) * table.returns[1][from + j];
      const rv = m >= 3 ? std(blend, 1, 0, m) : 0;
      if (rv > 1e-6) gross = clip(Math.min(gross, target_vol / rv), MIN_GROSS, max_gross);
    }
    let blended: number;
    if (vector) {
      blended = vector.blend(table.returns, i);
      for (let s = 0; s < sleeves; s++) {
        path.sleeveReturns[s][k] = table.returns[s][i];
        path.weights[s][k] = vector.w[s];
      }
    } else {
      const rA = table.returns[0][i];
      const rB = table.returns[1][i];
      blended = w * rA + (1 - w) * rB;
      path.sleeveReturns[0][k] = rA;
      path.sleeveReturns[1][k] = rB;
      path.weights[0][k] = w;
      path.weights[1][k] = 1 - w;
    }
    const retGross = gross * blended;
    const grossChange = Math.abs(gross - gPrev);
    const cost = config.turn_cost_bps * 1e-4 * turnover + config.gross_cost_bps * 1e-4 * grossChange;
    path.grossLeverage[k] = gross;
    path.retGross[k] = retGross;
    path.cost[k] = cost;
    // Leverage above 1 is borrowed: (gross - 1)+ x yearly rate / 12 of capital per month.
    const financing =
      financingBpsPerYear > 0 ? (Math.max(0, gross - 1) * financingBpsPerYear * 1e-4) / 12 : 0;
    if (path.financingCost) path.financingCost[k] = financing;
    path.retNet[k] = retGross - cost - financing;
    path.turnoverAbs[k] = turnover;
    path.policyConf[k] = d.conf;
    if (d.diagnostics) {
      for (const [key, v] of Object.entries(d.diagnostics)) {
        if (!extra[key]) extra[key] = new Float64Array(n).fill(Number.NaN);
        extra[key][k] = v;
      }
    }
    wPrev = w;
    gPrev = gross;
  }
  // Added in place, not spread into a new object: V8 gives `{ ...path, extra }` a new hidden class per path.
  return Object.keys(extra).length > 0 ? Object.assign(path, { extra }) : path;
}

/**
 * The mechanics' weight steps for N > 2 sleeves: project the raw weights,
 * smooth towards the previous weights, cap the one-way turnover
 * 0.5 * sum|w - w_prev| at max_step by scaling the move, project again.
 */
class VectorMechanics {
  readonly w: Float64Array;
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  readonly #raw: Float64Array;
  readonly #next: Float64Array;
  readonly #smoothing: number;
  readonly #maxStep: number;

  constructor(n: number, config: CandidateConfig) {
    const { lo, hi } = sleeveBounds(n, config.min_w, config.max_w);
    this.#lo = lo;
    this.#hi = hi;
    // Start state: equal weights (0.5 / 0.5 for two sleeves).
    this.w = new Float64Array(n).fill(1 / n);
    this.#raw = new Float64Array(n);
    this.#next = new Float64Array(n);
    this.#smoothing = config.smoothing;
    this.#maxStep = config.max_step;
  }

  /** Move to the next month's weights; returns the one-way turnover. */
  step(wRaw: ArrayLike<number>): number {
    const n = this.w.length;
    projectToBoundedSimplex(wRaw, this.#lo, this.#hi, this.#raw);
    let t = 0;
    for (let s = 0; s < n; s++) {
      const d = this.#smoothing * this.w[s] + (1 - this.#smoothing) * this.#raw[s] - this.w[s];
      this.#next[s] = d;
      t += Math.abs(d);
    }
    t *= 0.5;
    const scale = t > this.#maxStep ? this.#maxStep / t : 1;
    for (let s = 0; s < n; s++) this.#next[s] = this.w[s] + scale * this.#next[s];
    projectToBoundedSimplex(this.#next, this.#lo, this.#hi, this.#next);
    let turnover = 0;
    for (let s = 0; s < n; s++) {
      turnover += Math.abs(this.#next[s] - this.w[s]);
      this.w[s] = this.#next[s];
    }
    return 0.5 * turnover;
  }

  /** Return of the current weights in row `i`. */
  blend(returns: readonly Float64Array[], i: number): number {
    let r = 0;
    for (let s = 0; s < this.w.length; s++) r += this.w[s] * returns[s][i];
    return r;
  }
}

/** Simulate one candidate over the walk-forward months (docs/model/mechanics.md). */
export async function runWalkForward(
  family: CandidateFamily,
  config: CandidateConfig,
  table: FeatureTable,
  opts: WalkForwardOptions,
): Promise<WalkForwardPath> {
  const steps = walkForwardSteps(table, opts.minHistory);
  // The family and the mechanics use the same frozen copy, sealed before any family code runs.
  const sealed = sealConfig(config);
  const decisions = await familyDecisions(family, sealed, table, opts);
  return applyPositionMechanics(
    table,
    steps,
    decisions,
    sealed,
    family.meta.name,
    opts.financingBpsPerYear ?? 0,
  );
}
