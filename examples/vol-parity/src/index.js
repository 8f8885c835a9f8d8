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
 * vol_parity: weight each sleeve by the inverse of its recent volatility, so
 * both contribute about the same risk. Confidence grows with how unequal the
 * volatilities are (a clear risk gap is worth acting on).
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
    minHistoryMonths: 3,
    // `candidate` applies this family's defaults and checks every key and value.
    defaultGrid: (candidate) =>
      [6, 12, 24].map((L) => candidate(`vol_parity_lb${L}`, { lookback: L, smoothing: 0.25, max_step: 0.25 })),
    decide(ctx, config) {
      const vA = recentVol(ctx.history.retA, config.lookback);
      const vB = recentVol(ctx.history.retB, config.lookback);
      if (!(vA > 0 && vB > 0)) return { wRaw: 0.5, conf: 0 };
      const wRaw = (1 / vA) / (1 / vA + 1 / vB);
      return { wRaw, conf: Math.min(1, Math.abs(wRaw - 0.5) * 2) };
    },
  });

export default volParityFamily;
