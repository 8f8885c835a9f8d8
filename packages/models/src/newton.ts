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
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
