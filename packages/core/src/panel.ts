/** One sleeve's monthly return table, validated and sorted by month. */
export interface SleeveTable {
  /** Sleeve name, used in column and key names (`weight_<name>`). */
  readonly name: string;
  /** Where the table came from (file path or `embedded:<file>`). */
  readonly source: string;
  /** SHA-256 of the source bytes, for the run manifest. */
  readonly sha256: string;
  /** Calendar months `YYYY-MM`, strictly increasing and contiguous. */
  readonly months: readonly string[];
  /** Simple monthly returns, one per month, finite and > -1. */
  readonly ret: Float64Array;
}

/** N >= 2 sleeves aligned on the calendar months they all cover (docs/model/inputs.md). */
export interface SleevePanel {
  /** Sleeve names in the user's order; sleeve 0 is "the first sleeve" (A of the reference). */
  readonly names: readonly string[];
  readonly sources: readonly string[];
  readonly sha256: readonly string[];
  /** Aligned month ends, last calendar day, ISO `YYYY-MM-DD`. */
  readonly monthEnds: readonly string[];
  /** Each sleeve's monthly returns on the aligned months, in sleeve order. */
  readonly returns: readonly Float64Array[];
}

/** Number of sleeves of a panel. */
export function sleeveCount(panel: Pick<SleevePanel, 'names'>): number {
  return panel.names.length;
}

/** Last calendar day of a `YYYY-MM` month as ISO `YYYY-MM-DD`. */
export function monthEndOf(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${month}-${String(last).padStart(2, '0')}`;
}

/** Month after a `YYYY-MM` month. */
export function nextMonth(month: string): string {
  let y = Number(month.slice(0, 4));
  let m = Number(month.slice(5, 7)) + 1;
  if (m > 12) {
    m = 1;
    y += 1;
  }
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
}
