// @ts-check
import { createRequire } from 'node:module';
import { defineFamily } from '@step4/core/contract';

// meta.version is this package's own version, never a second hand-written copy.
const { version } = createRequire(import.meta.url)('../package.json');

/** Sample standard deviation of the last `n` values of x (0 with fewer than 2). */
function recentVol(x, n) {
  const from = Math.max(0, x.length - n);
  const k = x.length - from;
  if (k < 2) return 0;
  let m = 0;
  for (let i = from; i < x.length; i++) m += x[i];
  m /= k;
  let v = 0;
  for (let i = from; i < x.length; i++) v += (x[i] - m) ** 2;
  return Math.sqrt(v / (k - 1));
}

/**
 * vol_parity: weight every sleeve by the inverse of its recent volatility, so
 * each contributes about the same risk. Works for any number of sleeves (two
 * sleeves: the weight of the first is (1/vA) / (1/vA + 1/vB), as before).
 * Confidence grows with how far the weights are from equal (a clear risk gap
 * is worth acting on): the total variation distance from equal weights,
 * scaled to [0, 1] (two sleeves: |wA - 0.5| * 2).
 */
export const volParityFamily = () =>
  defineFamily({
    meta: {
      name: 'vol_parity',
      version,
      // The contract this family was written for; core refuses the family if it cannot run it.
      coreApi: 2,
      description: 'Inverse-volatility weights over the last `lookback` months.',
    },
    params: {
      lookback: { type: 'integer', default: 12, min: 3, max: 120, description: 'Months of returns for the volatilities.' },
    },
    // Any number of sleeves: decide returns one weight per sleeve.
    sleeves: { min: 2 },
    minHistoryMonths: 3,
    // `candidate` applies this family's defaults and checks every key and value.
    defaultGrid: (candidate) =>
      [6, 12, 24].map((L) => candidate(`vol_parity_lb${L}`, { lookback: L, smoothing: 0.25, max_step: 0.25 })),
    decide(ctx, config) {
      const vols = ctx.history.returns.map((r) => recentVol(r, config.lookback));
      const n = vols.length;
      // Too little history (or a flat sleeve): equal weights, no confidence.
      if (!vols.every((v) => v > 0)) return { wRaw: vols.map(() => 1 / n), conf: 0 };
      const inverse = vols.map((v) => 1 / v);
      const total = inverse.reduce((sum, x) => sum + x, 0);
      const wRaw = inverse.map((x) => x / total);
      const distance = wRaw.reduce((sum, w) => sum + Math.abs(w - 1 / n), 0) / 2;
      return { wRaw, conf: Math.min(1, distance / (1 - 1 / n)) };
    },
  });

export default volParityFamily;
