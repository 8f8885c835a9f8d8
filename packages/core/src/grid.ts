/**
 * Naming helpers for the reference's candidate grids (`@step4/core/grid`).
 * They know names only, never a family's parameters: each family builds its
 * own candidates from the names and values these hand it.
 */

/**
 * Format a leverage cap the way the reference names candidates: Python's float
 * repr with the dot replaced by an underscore (1.0 -> "1_0", 1.15 -> "1_15").
 */
export function gridLabel(x: number): string {
  const s = Number.isInteger(x) ? x.toFixed(1) : String(x);
  return s.replace('.', '_');
}

/**
 * The reference's grid shape: for each lookback L, then each leverage cap G,
 * `make(\`${method}_lb${L}_g${G}\`, L, G)` with G as Python prints it.
 */
export function lookbackLeverageGrid<T>(
  method: string,
  lookbacks: readonly number[],
  leverageCaps: readonly number[],
  make: (name: string, lookback: number, cap: number) => T,
): T[] {
  return lookbacks.flatMap((L) => leverageCaps.map((G) => make(`${method}_lb${L}_g${gridLabel(G)}`, L, G)));
}

/*
 * Reference fields: every reference candidate config carries `static_w` and
 * `dd_penalty`, also for families that do not use them. A family that keeps
 * the reference's configs (and so the reports that print them) byte-identical
 * declares them with these specs.
 */
export const UNUSED_STATIC_W = {
  type: 'number',
  default: 0.5,
  min: 0,
  max: 1,
  description: 'Reference field, not used by this family.',
} as const;

export const UNUSED_DD_PENALTY = {
  type: 'number',
  default: 0,
  min: 0,
  max: 1e6,
  description: 'Reference field, not used by this family.',
} as const;
