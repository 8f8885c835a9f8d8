import type { Decision, DecisionPanel } from '@step4/core/contract';

export const HOLD: Decision = Object.freeze({ wRaw: 0.5, conf: 0 });
const N_BINS = 11;

/**
 * Decision on the utility bins 0.0, 0.1, ..., 1.0 (docs/model/families.md, ml_lr /
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
 * ml_dual_ridge: predicted means to a mean-variance weight (docs/model/families.md).
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

/** Equal weights: what an N-sleeve ML policy holds before it has 24 labelled rows. */
export function holdN(n: number): Decision {
  return { wRaw: Array.from({ length: n }, () => 1 / n), conf: 0 };
}

/**
 * N-sleeve form of `binDecision`: the label is the sleeve with the highest
 * next-month return, so w_raw is the predicted probability of each sleeve
 * (uniform if all are 0) and conf uses the reference's 11-bin constant.
 */
export function sleeveProbabilityDecision(p: ArrayLike<number>): Decision {
  const n = p.length;
  let total = 0;
  let top = 0;
  for (let s = 0; s < n; s++) {
    total += p[s];
    top = Math.max(top, p[s]);
  }
  const wRaw = total > 0 ? Array.from(p) : Array.from({ length: n }, () => 1 / n);
  const pMax = total > 0 ? top : 1 / n;
  return { wRaw, conf: Math.min(1, Math.max(0, (pMax - 1 / N_BINS) / (1 - 1 / N_BINS))) };
}

/**
 * N-sleeve ml_dual_ridge: the ridges' means `mu`, the sample covariance over
 * the same window as two sleeves use, and the exact long-only mean-variance
 * weights (max mu'w - ra w'Sw on the simplex). conf compares the two largest
 * means against the spread of their sleeves' returns. Diagnostics `mu_<sleeve>`.
 */
export function meanVarianceDecisionN(
  panel: DecisionPanel,
  step: number,
  config: { readonly lookback: number; readonly dd_penalty: number },
  mu: readonly number[],
  solve: (mu: readonly number[], cov: Float64Array, ra: number) => ArrayLike<number>,
): Decision {
  const k = panel.returns.length;
  const cw = Math.max(12, Math.min(36, config.lookback));
  const from = Math.max(0, step - cw);
  const n = step - from;
  if (n < 6) return holdN(k);
  const means = panel.returns.map((r) => {
    let m = 0;
    for (let i = from; i < step; i++) m += r[i];
    return m / n;
  });
  const cov = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let c = 0;
      for (let i = from; i < step; i++)
        c += (panel.returns[a][i] - means[a]) * (panel.returns[b][i] - means[b]);
      cov[a * k + b] = cov[b * k + a] = c / (n - 1);
    }
  }
  // a, b: the sleeves with the largest and second-largest predicted mean (first index on ties).
  let a = 0;
  for (let s = 1; s < k; s++) if (mu[s] > mu[a]) a = s;
  let b = a === 0 ? 1 : 0;
  for (let s = 0; s < k; s++) if (s !== a && mu[s] > mu[b]) b = s;
  let mD = 0;
  for (let i = from; i < step; i++) mD += panel.returns[b][i] - panel.returns[a][i];
  mD /= n;
  let vD = 0;
  for (let i = from; i < step; i++) {
    const d = panel.returns[b][i] - panel.returns[a][i] - mD;
    vD += d * d;
  }
  const sigma = Math.sqrt(vD / n);
  const ra = Math.max(0.8, config.dd_penalty);
  const diagnostics: Record<string, number> = {};
  panel.sleeveNames.forEach((name, s) => {
    diagnostics[`mu_${name}`] = mu[s];
  });
  return {
    wRaw: Array.from(solve(mu, cov, ra)),
    conf: Math.min(1, Math.max(0, Math.tanh((mu[a] - mu[b]) / Math.max(sigma, 1e-6)))),
    diagnostics,
  };
}
