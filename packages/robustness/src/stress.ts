import type { WalkForwardPath } from '@step4/core';

/**
 * Average monthly pnl if trading costs were `multiplier` times higher, over
 * path months [from, to): mean of (ret_gross - multiplier * cost - financing),
 * times K. Financing (when a rate is set) is a real cost of leverage, not a
 * trading cost: it is included once, unstressed. The one definition of the
 * cost stress, for the candidates' metrics and the selection-honest windows.
 */
export function costStressAvgMonthlyPnl(
  path: WalkForwardPath,
  startCapital: number,
  multiplier = 1.25,
  from = 0,
  to = path.retGross.length,
): number {
  const n = to - from;
  if (n <= 0) return 0;
  const financing = path.financingCost;
  let s = 0;
  for (let k = from; k < to; k++)
    s += path.retGross[k] - multiplier * path.cost[k] - (financing ? financing[k] : 0);
  return (s / n) * startCapital;
}
