import type { SleevePanel } from '../panel.js';
import { monthEndOf, nextMonth } from '../panel.js';

export interface SyntheticPanelOptions {
  readonly months: number;
  readonly seed: number;
  /** Number of -30%/-45% crash months planted in B (tests drawdown handling). */
  readonly crashMonths?: number;
  /** First month `YYYY-MM` (default 2010-01). */
  readonly start?: string;
  /**
   * Number of sleeves (default 2). Sleeves after the first two alternate
   * between a bond-like and a commodity-like profile; the first two are the
   * same draws whatever the count, so a two-sleeve panel never changes.
   */
  readonly sleeves?: number;
}

/**
 * A seeded random panel (two sleeves unless `sleeves` says more): A like an equity index (mean 0.8%, vol 4%),
 * B like crypto (mean 3%, vol 18%, fat tails). Deterministic for a seed.
 */
export function syntheticPanel(opts: SyntheticPanelOptions): SleevePanel {
  let x = opts.seed >>> 0 || 1;
  const uniform = () => {
    // xorshift32: enough for test data, independent of the robustness package.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x + 0.5) / 0x100000000;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const monthEnds: string[] = [];
  const retA = new Float64Array(opts.months);
  const retB = new Float64Array(opts.months);
  const extra = Array.from(
    { length: Math.max(0, (opts.sleeves ?? 2) - 2) },
    () => new Float64Array(opts.months),
  );
  let month = opts.start ?? '2010-01';
  for (let t = 0; t < opts.months; t++) {
    monthEnds.push(monthEndOf(month));
    month = nextMonth(month);
    const common = normal();
    retA[t] = Math.max(-0.5, 0.008 + 0.04 * (0.6 * common + 0.8 * normal()));
    const tail = uniform() < 0.1 ? 2.5 : 1;
    retB[t] = Math.max(-0.8, 0.03 + 0.18 * tail * (0.4 * common + 0.9 * normal()));
  }
  // Drawn after the first two sleeves so those stay what they were.
  for (let t = 0; t < opts.months; t++) {
    extra.forEach((r, j) => {
      r[t] =
        j % 2 === 0
          ? Math.max(-0.3, 0.003 + 0.02 * normal()) // bond-like
          : Math.max(-0.6, 0.006 + 0.07 * (uniform() < 0.1 ? 2 : 1) * normal()); // commodity-like
    });
  }
  for (let j = 0; j < (opts.crashMonths ?? 0); j++) {
    retB[Math.floor(uniform() * opts.months)] = j % 2 === 0 ? -0.3 : -0.45;
  }
  const names = ['a', 'b', ...extra.map((_, j) => String.fromCharCode(99 + j))];
  return {
    names,
    sources: names.map((n) => `synthetic:${n}:${opts.seed}`),
    sha256: names.map(() => ''),
    monthEnds,
    returns: [retA, retB, ...extra],
  };
}
