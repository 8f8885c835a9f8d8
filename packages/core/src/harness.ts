import type {
  CandidateConfig,
  CandidateFamily,
  Decision,
  DecisionContext,
  DecisionPanel,
} from './contract.js';
import type { FeatureTable } from './features.js';
import type { WalkForwardPath } from './results.js';
import { clip, std } from './stats.js';

/** Lower clip of gross leverage in the reference mechanics (spec section 3). */
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

/** A decision that breaks the contract: the candidate fails with this message. */
export class DecisionError extends Error {
  override readonly name = 'DecisionError';
}

/** Copies of Z's rows before `step`: a family cannot reach later rows through them. */
export function historyBefore(table: FeatureTable, step: number): DecisionContext['history'] {
  const f = table.featureNames.length;
  return {
    length: step,
    monthEnds: table.monthEnds.slice(0, step),
    retA: table.retA.slice(0, step),
    retB: table.retB.slice(0, step),
    features: table.features.slice(0, step * f),
  };
}

export function decisionContext(table: FeatureTable, step: number, seed: number): DecisionContext {
  const f = table.featureNames.length;
  return {
    step,
    monthEnd: table.monthEnds[step],
    features: table.features.slice(step * f, (step + 1) * f),
    featureNames: table.featureNames,
    history: historyBefore(table, step),
    seed,
  };
}

export function decisionPanel(table: FeatureTable): DecisionPanel {
  return {
    length: table.length,
    monthEnds: table.monthEnds,
    retA: table.retA,
    retB: table.retB,
    features: table.features,
    featureNames: table.featureNames,
  };
}

/** The Z rows that get a decision: min_history .. length - 1. */
export function walkForwardSteps(table: FeatureTable, minHistory: number): number[] {
  const steps: number[] = [];
  for (let i = minHistory; i < table.length; i++) steps.push(i);
  return steps;
}

/** Ask the family for every step's decision (batched when it offers that). */
export async function familyDecisions(
  family: CandidateFamily,
  config: CandidateConfig,
  table: FeatureTable,
  opts: WalkForwardOptions,
): Promise<Decision[]> {
  const steps = walkForwardSteps(table, opts.minHistory);
  if (family.decidePath) {
    const out = await family.decidePath(decisionPanel(table), steps, config, opts.seed);
    if (out.length !== steps.length) {
      throw new DecisionError(
        `family ${family.meta.name}, candidate ${config.name}: decidePath returned ${out.length} decisions for ${steps.length} months`,
      );
    }
    return out;
  }
  const out: Decision[] = [];
  for (const i of steps) out.push(await family.decide(decisionContext(table, i, opts.seed), config));
  return out;
}

function checkDecision(d: Decision, family: string, config: CandidateConfig, month: string): void {
  if (!Number.isFinite(d?.wRaw)) {
    throw new DecisionError(
      `family ${family}, candidate ${config.name}, month ${month}: w_raw must be a finite number, got ${d?.wRaw}`,
    );
  }
  if (!(d.conf >= 0 && d.conf <= 1)) {
    throw new DecisionError(
      `family ${family}, candidate ${config.name}, month ${month}: conf must be in [0, 1], got ${d.conf}`,
    );
  }
}

/**
 * Apply the position mechanics of spec section 3 to a policy's decisions:
 * clip, smoothing, max step, confidence-scaled gross, vol targeting, costs.
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
  const col = () => new Float64Array(n);
  const path = {
    monthEnds: steps.map((i) => table.monthEnds[i]),
    retA: col(),
    retB: col(),
    weightA: col(),
    weightB: col(),
    grossLeverage: col(),
    retGross: col(),
    cost: col(),
    retNet: col(),
    turnoverAbs: col(),
    policyWRaw: col(),
    policyConf: col(),
    financingCost: financingBpsPerYear > 0 ? col() : undefined,
  };
  const { min_w, max_w, smoothing, max_step, gross_base, gross_conf_scale, max_gross, target_vol } = config;
  const volLb = Math.max(0, Math.floor(config.vol_lb));
  const blend = new Float64Array(volLb);
  const extra: Record<string, Float64Array> = {};
  let wPrev = 0.5;
  let gPrev = 1.0;
  for (let k = 0; k < n; k++) {
    const i = steps[k];
    const d = decisions[k];
    checkDecision(d, familyName, config, table.monthEnds[i]);
    const wRaw = clip(d.wRaw, min_w, max_w);
    const wSm = smoothing * wPrev + (1 - smoothing) * wRaw;
    const w = clip(wPrev + clip(wSm - wPrev, -max_step, max_step), min_w, max_w);
    let gross = clip(gross_base + gross_conf_scale * d.conf, MIN_GROSS, max_gross);
    if (target_vol > 0) {
      // Realised vol of the current blend over the last vol_lb history rows.
      const from = Math.max(0, i - volLb);
      const m = i - from;
      for (let j = 0; j < m; j++) blend[j] = w * table.retA[from + j] + (1 - w) * table.retB[from + j];
      const rv = m >= 3 ? std(blend, 1, 0, m) : 0;
      if (rv > 1e-6) gross = clip(Math.min(gross, target_vol / rv), MIN_GROSS, max_gross);
    }
    const rA = table.retA[i];
    const rB = table.retB[i];
    const retGross = gross * (w * rA + (1 - w) * rB);
    const turnover = Math.abs(w - wPrev);
    const grossChange = Math.abs(gross - gPrev);
    const cost = config.turn_cost_bps * 1e-4 * turnover + config.gross_cost_bps * 1e-4 * grossChange;
    path.retA[k] = rA;
    path.retB[k] = rB;
    path.weightA[k] = w;
    path.weightB[k] = 1 - w;
    path.grossLeverage[k] = gross;
    path.retGross[k] = retGross;
    path.cost[k] = cost;
    // Leverage above 1 is borrowed: (gross - 1)+ x yearly rate / 12 of capital per month.
    const financing =
      financingBpsPerYear > 0 ? (Math.max(0, gross - 1) * financingBpsPerYear * 1e-4) / 12 : 0;
    if (path.financingCost) path.financingCost[k] = financing;
    path.retNet[k] = retGross - cost - financing;
    path.turnoverAbs[k] = turnover;
    path.policyWRaw[k] = d.wRaw;
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
  return Object.keys(extra).length > 0 ? { ...path, extra } : path;
}

/** Simulate one candidate over the walk-forward months (spec section 3). */
export async function runWalkForward(
  family: CandidateFamily,
  config: CandidateConfig,
  table: FeatureTable,
  opts: WalkForwardOptions,
): Promise<WalkForwardPath> {
  const steps = walkForwardSteps(table, opts.minHistory);
  const decisions = await familyDecisions(family, config, table, opts);
  return applyPositionMechanics(
    table,
    steps,
    decisions,
    config,
    family.meta.name,
    opts.financingBpsPerYear ?? 0,
  );
}
