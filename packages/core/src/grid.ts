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
