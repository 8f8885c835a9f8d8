import type { WalkForwardPath } from '@step4/core';

/** Mean over the path of (ret_gross - multiplier * cost), times K: pnl if costs were 25% higher. */
export function costStressAvgMonthlyPnl(
  path: WalkForwardPath,
  startCapital: number,
  multiplier = 1.25,
): number {
  const n = path.retGross.length;
  if (n === 0) return 0;
  let s = 0;
  for (let k = 0; k < n; k++) s += path.retGross[k] - multiplier * path.cost[k];
  return (s / n) * startCapital;
}
