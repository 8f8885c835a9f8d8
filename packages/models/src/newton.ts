// Internal to the models (not re-exported by index.ts).

/**
 * Newton's systems are accumulated in their lower triangle: copy it to the
 * upper one and return the gradient norm (shared by the logistic models).
 */
export function mirrorLowerAndNorm(H: Float64Array, grad: Float64Array, m: number): number {
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) H[b * m + a] = H[a * m + b];
  let s = 0;
  for (let a = 0; a < m; a++) s += grad[a] * grad[a];
  return Math.sqrt(s);
}

/** Bit-for-bit equality of two vectors (Object.is: -0 and 0 differ). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Below this Newton decrement g'H^{-1}g a damped Newton update takes the full
 * step: that is the quadratic convergence region, where loss differences are
 * rounding noise, so comparing losses would only stall the iteration (every
 * halving refused, the iterate creeping by the last one until the cap). One
 * rule for the two-class and the multinomial logistic fits.
 */
export const FULL_STEP_DECREMENT = 1e-12;

/** The Newton decrement g'd of a step d solving H d = g (the first m entries). */
function newtonDecrement(grad: Float64Array, step: Float64Array, m: number): number {
  let decrement = 0;
  for (let a = 0; a < m; a++) decrement += grad[a] * step[a];
  return decrement;
}

/**
 * One damped Newton update of beta in place: beta - t * step with t = 1, 1/2,
 * ... (30 halvings at most) the first that does not raise the loss, or the full
 * step once the Newton decrement is below FULL_STEP_DECREMENT. `lossAtBeta` is
 * the loss at beta when it is known (the previous update's: the same bits),
 * NaN otherwise. Returns the loss at the new beta (NaN after a full step, where
 * it is not computed) and whether beta changed at all. One rule for the
 * two-class and the multinomial logistic fits.
 */
export function dampedNewtonUpdate(
  beta: Float64Array,
  grad: Float64Array,
  step: Float64Array,
  loss: (b: Float64Array) => number,
  lossAtBeta = Number.NaN,
): { readonly loss: number; readonly moved: boolean } {
  const m = beta.length;
  const trial = new Float64Array(m);
  let after = Number.NaN;
  if (newtonDecrement(grad, step, m) <= FULL_STEP_DECREMENT) {
    for (let a = 0; a < m; a++) trial[a] = beta[a] - step[a];
  } else {
    const before = Number.isNaN(lossAtBeta) ? loss(beta) : lossAtBeta;
    let t = 1;
    for (let half = 0; half < 30; half++, t /= 2) {
      for (let a = 0; a < m; a++) trial[a] = beta[a] - t * step[a];
      after = loss(trial);
      if (after <= before) break;
    }
  }
  const moved = !sameBits(beta, trial);
  beta.set(trial);
  return { loss: after, moved };
}
