import { describe, expect, it } from 'vitest';
import { type MultinomialData, multinomialGradientHessian, softmaxRow } from '../src/multinomial-system.js';
import { rand } from './helpers.js';

/**
 * The textbook sums: each entry of the gradient and of the Hessian's lower
 * triangle summed over the rows in row order, one term at a time from 0,
 * every term included, then the penalty; the upper triangle mirrored.
 */
function textbook({ Z, n, f, cls, Kp, sw, C }: MultinomialData, beta: Float64Array) {
  const f1 = f + 1;
  const m = Kp * f1 - 1;
  const z = (i: number, a: number) => (a === f ? 1 : Z[i * f + a]);
  const P = Array.from({ length: n }, (_, i) => {
    const p = new Float64Array(Kp);
    softmaxRow(Z, i * f, f, Kp, beta, p);
    return p;
  });
  const grad = new Float64Array(m);
  const H = new Float64Array(m * m);
  const unknowns = (k: number) => (k < Kp - 1 ? f1 : f);
  for (let k = 0; k < Kp; k++)
    for (let a = 0; a < unknowns(k); a++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += C * sw[i] * (P[i][k] - (cls[i] === k ? 1 : 0)) * z(i, a);
      grad[k * f1 + a] = s;
      for (let l = 0; l <= k; l++)
        for (let b = 0; b < (l === k ? a + 1 : unknowns(l)); b++) {
          let t = 0;
          for (let i = 0; i < n; i++)
            t += C * sw[i] * P[i][k] * ((k === l ? 1 : 0) - P[i][l]) * z(i, a) * z(i, b);
          H[(k * f1 + a) * m + l * f1 + b] = t;
        }
    }
  for (let k = 0; k < Kp; k++)
    for (let j = 0; j < f; j++) {
      grad[k * f1 + j] += beta[k * f1 + j];
      H[(k * f1 + j) * m + k * f1 + j] += 1;
    }
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) H[b * m + a] = H[a * m + b];
  return { grad, H, norm: Math.sqrt(grad.reduce((s, g) => s + g * g, 0)) };
}

describe('the multinomial Newton system', () => {
  // Dense windows, and row-space ones (row i has coordinates only up to i, zeros after).
  const cases = [
    { n: 20, f: 9, Kp: 4, rowSpace: false },
    { n: 13, f: 7, Kp: 2, rowSpace: false },
    { n: 30, f: 5, Kp: 5, rowSpace: false },
    { n: 12, f: 12, Kp: 3, rowSpace: true },
    { n: 9, f: 9, Kp: 8, rowSpace: true },
  ];
  it.each(cases)(
    'gives the textbook sums to the bit: n $n, f $f, $Kp classes, row space $rowSpace',
    ({ n, f, Kp, rowSpace }) => {
      const r = rand(7 * n + f + Kp);
      const Z = Float64Array.from({ length: n * f }, (_, q) =>
        rowSpace && q % f > Math.floor(q / f) ? 0 : 2 * r() - 1,
      );
      const cls = Int32Array.from({ length: n }, (_, i) => i % Kp);
      const sw = Float64Array.from({ length: n }, () => 0.5 + r());
      const m = Kp * (f + 1) - 1;
      const beta = Float64Array.from({ length: m }, () => r() - 0.5);
      const grad = new Float64Array(m);
      const H = new Float64Array(m * m).fill(Number.NaN);
      const data: MultinomialData = { Z, n, f, cls, Kp, sw, C: 1.3 };
      const norm = multinomialGradientHessian(data, beta, grad, H);
      const want = textbook(data, beta);
      expect(Object.is(norm, want.norm)).toBe(true);
      for (let u = 0; u < m; u++) expect(Object.is(grad[u], want.grad[u]), `grad ${u}`).toBe(true);
      const off: string[] = [];
      for (let u = 0; u < m * m; u++)
        if (!Object.is(H[u], want.H[u])) off.push(`H[${u}] ${H[u]} vs ${want.H[u]}`);
      expect(off).toEqual([]);
    },
  );
});
