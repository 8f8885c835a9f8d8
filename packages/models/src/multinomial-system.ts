import { mirrorLowerAndNorm } from './newton.js';

// The Newton system of the multinomial fit (./multinomial.ts, whose comment gives the loss and
// the parameter layout): internal to the package, tested against the textbook sums.

/**
 * The data of a multinomial fit: n standardised rows Z (n x f, row-major),
 * each row's class index cls in [0, Kp), the sample weights sw and the
 * inverse penalty C.
 */
export interface MultinomialData {
  readonly Z: Float64Array;
  readonly n: number;
  readonly f: number;
  readonly cls: Int32Array;
  readonly Kp: number;
  readonly sw: Float64Array;
  readonly C: number;
}

/** Softmax probabilities of one standardised row z (length f) into p (length Kp). */
export function softmaxRow(
  z: ArrayLike<number>,
  zo: number,
  f: number,
  Kp: number,
  beta: Float64Array,
  p: Float64Array,
) {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < Kp; k++) {
    const o = k * (f + 1);
    let eta = k < Kp - 1 ? beta[o + f] : 0;
    for (let j = 0; j < f; j++) eta += z[zo + j] * beta[o + j];
    p[k] = eta;
    if (eta > max) max = eta;
  }
  let s = 0;
  for (let k = 0; k < Kp; k++) {
    p[k] = Math.exp(p[k] - max);
    s += p[k];
  }
  for (let k = 0; k < Kp; k++) p[k] /= s;
  return max + Math.log(s); // log-sum-exp of the logits
}

/**
 * Gradient and Hessian of the multinomial loss at beta, written into grad (m)
 * and H (m x m), m = Kp * (f + 1) - 1. Returns the gradient norm.
 *
 * Each entry is its sum over the rows, one row at a time in row order, from 0:
 * grad[k, a] = sum_i (C sw_i (p_ik - [y_i = k])) z_ia and, lower triangle,
 * H[(k, a), (l, b)] = sum_i ((C sw_i p_ik (d_kl - p_il)) z_ia) z_ib, then the
 * penalty's 1 on the coefficients' diagonal. Entry by entry, four entries at a
 * time (independent sums: their additions overlap), instead of row by row
 * into the whole matrix: the same operations per entry, so the same bits.
 * Terms that are exactly 0 (rows before a row-space coordinate's basis vector)
 * are left out: adding +-0 to a sum that starts at +0 never changes it.
 */
export function multinomialGradientHessian(
  { Z, n, f, cls, Kp, sw, C }: MultinomialData,
  beta: Float64Array,
  grad: Float64Array,
  H: Float64Array,
): number {
  const f1 = f + 1;
  const m = Kp * f1 - 1;
  const P = new Float64Array(n * Kp);
  const cw = new Float64Array(n);
  const p = new Float64Array(Kp);
  for (let i = 0; i < n; i++) {
    softmaxRow(Z, i * f, f, Kp, beta, p);
    P.set(p, i * Kp);
    cw[i] = C * sw[i];
  }
  // Column a of the rows (the intercept's column of ones last), and the first row where it is not 0.
  const ZT = new Float64Array(f1 * n);
  for (let i = 0; i < n; i++) for (let a = 0; a < f; a++) ZT[a * n + i] = Z[i * f + a];
  ZT.fill(1, f * n);
  const first = new Int32Array(f1);
  for (let a = 0; a < f1; a++) {
    let i = 0;
    while (i < n && ZT[a * n + i] === 0) i++;
    first[a] = i;
  }
  const g = new Float64Array(n);
  for (let k = 0; k < Kp; k++) {
    const ak = k < Kp - 1 ? f1 : f; // the last class has no intercept unknown
    for (let i = 0; i < n; i++) g[i] = cw[i] * (P[i * Kp + k] - (cls[i] === k ? 1 : 0));
    for (let a = 0; a < ak; a++) {
      let s = 0;
      const za = a * n;
      for (let i = 0; i < n; i++) s += g[i] * ZT[za + i];
      grad[k * f1 + a] = s;
    }
  }
  H.fill(0);
  const h = new Float64Array(n);
  const ha = new Float64Array(n);
  for (let k = 0; k < Kp; k++) {
    const ak = k < Kp - 1 ? f1 : f;
    for (let l = 0; l <= k; l++) {
      const al = l < Kp - 1 ? f1 : f;
      const d = k === l ? 1 : 0;
      for (let i = 0; i < n; i++) h[i] = cw[i] * P[i * Kp + k] * (d - P[i * Kp + l]);
      for (let a = 0; a < ak; a++) {
        const i0 = first[a];
        const za = a * n;
        for (let i = i0; i < n; i++) ha[i] = h[i] * ZT[za + i];
        const row = (k * f1 + a) * m + l * f1;
        const bEnd = l === k ? a + 1 : al;
        let b = 0;
        for (; b + 3 < bEnd; b += 4) {
          const z0 = b * n;
          const z1 = z0 + n;
          const z2 = z1 + n;
          const z3 = z2 + n;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let i = i0; i < n; i++) {
            const t = ha[i];
            s0 += t * ZT[z0 + i];
            s1 += t * ZT[z1 + i];
            s2 += t * ZT[z2 + i];
            s3 += t * ZT[z3 + i];
          }
          H[row + b] = s0;
          H[row + b + 1] = s1;
          H[row + b + 2] = s2;
          H[row + b + 3] = s3;
        }
        for (; b < bEnd; b++) {
          const zb = b * n;
          let s = 0;
          for (let i = i0; i < n; i++) s += ha[i] * ZT[zb + i];
          H[row + b] = s;
        }
      }
    }
  }
  for (let k = 0; k < Kp; k++)
    for (let j = 0; j < f; j++) {
      const u = k * f1 + j;
      grad[u] += beta[u];
      H[u * m + u] += 1;
    }
  return mirrorLowerAndNorm(H, grad, m);
}
