import type { Decision, DecisionPanel } from '@step4/core/contract';

export const HOLD: Decision = Object.freeze({ wRaw: 0.5, conf: 0 });
const N_BINS = 11;

/**
 * Decision on the utility bins 0.0, 0.1, ..., 1.0 (spec section 4, ml_lr /
 * ml_rf). The utility is linear in the bin, so only bins 0.0 and 1.0 are ever
 * labels: w_raw = P(bin 1.0), conf from the largest bin probability.
 */
export function binDecision(pAllA: number): Decision {
  const pMax = Math.max(pAllA, 1 - pAllA);
  const conf = Math.min(1, Math.max(0, (pMax - 1 / N_BINS) / (1 - 1 / N_BINS)));
  return { wRaw: pAllA, conf };
}

/** Label of a training row: 1 = bin 1.0 (all A) when A's next return beats B's; ties go to bin 0.0. */
export function binLabel(nextA: number, nextB: number): 0 | 1 {
  return nextA > nextB ? 1 : 0;
}

/**
 * ml_dual_ridge: predicted means to a mean-variance weight (spec section 4).
 * The means are kept as diagnostics (`mu_a`, `mu_b` in the path table). A
 * month decided with HOLD (fewer than 24 labelled rows, e.g. the first month
 * with the default min history) has no forecast: it carries no diagnostics,
 * and the path table writes null there rather than inventing a value.
 */
export function meanVarianceDecision(
  panel: DecisionPanel,
  step: number,
  config: { readonly lookback: number; readonly dd_penalty: number },
  muA: number,
  muB: number,
): Decision {
  const cw = Math.max(12, Math.min(36, config.lookback));
  const from = Math.max(0, step - cw);
  const n = step - from;
  if (n < 6) return HOLD;
  let mA = 0;
  let mB = 0;
  for (let i = from; i < step; i++) {
    mA += panel.retA[i];
    mB += panel.retB[i];
  }
  mA /= n;
  mB /= n;
  const mD = mB - mA;
  let vA = 0;
  let vB = 0;
  let c = 0;
  let vD = 0;
  for (let i = from; i < step; i++) {
    const da = panel.retA[i] - mA;
    const db = panel.retB[i] - mB;
    const dd = panel.retB[i] - panel.retA[i] - mD;
    vA += da * da;
    vB += db * db;
    c += da * db;
    vD += dd * dd;
  }
  vA /= n - 1;
  vB /= n - 1;
  c /= n - 1;
  const sigma = Math.sqrt(vD / n);
  const ra = Math.max(0.8, config.dd_penalty);
  const raw = (muA - muB - 2 * ra * (c - vB)) / (2 * ra * Math.max(vA + vB - 2 * c, 1e-8));
  return {
    wRaw: Math.min(1, Math.max(0, raw)),
    conf: Math.min(1, Math.max(0, Math.tanh(Math.abs(muA - muB) / Math.max(sigma, 1e-6)))),
    diagnostics: { mu_a: muA, mu_b: muB },
  };
}
