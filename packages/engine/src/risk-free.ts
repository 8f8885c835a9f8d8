import { InputError, type SleeveTable, loadSleeveTable } from '@step4/core';
import { type RiskFreeDescription, monthlyRiskFree } from '@step4/robustness';

/**
 * The risk-free rate of a run: a constant yearly rate, or a table of monthly
 * risk-free returns in the sleeve-table format (`month_end`, `ret`; e.g. a
 * T-bill fund's monthly return), checked like a sleeve table. Loaded before
 * the simulation, so a bad table fails fast.
 */
export type RiskFreeSource =
  | { readonly kind: 'constant'; readonly annual: number }
  | { readonly kind: 'table'; readonly table: SleeveTable };

export async function loadRiskFree(annual: number, tablePath?: string): Promise<RiskFreeSource> {
  if (tablePath === undefined) return { kind: 'constant', annual };
  if (annual !== 0)
    throw new InputError('give either --risk-free-annual or --risk-free-table, not both', {
      field: 'riskFreeTable',
    });
  return { kind: 'table', table: await loadSleeveTable(tablePath, 'risk_free') };
}

/** The monthly risk-free return of every given month (`YYYY-MM-DD` month ends), or undefined for 0. */
export function riskFreeForMonths(
  source: RiskFreeSource,
  monthEnds: readonly string[],
): { monthly: Float64Array; description: RiskFreeDescription } | undefined {
  if (source.kind === 'constant') {
    if (source.annual === 0) return undefined;
    return {
      monthly: new Float64Array(monthEnds.length).fill(monthlyRiskFree(source.annual)),
      description: { kind: 'constant', annual: source.annual },
    };
  }
  const { table } = source;
  const byMonth = new Map(table.months.map((m, i) => [m, table.ret[i]]));
  const monthly = new Float64Array(monthEnds.length);
  monthEnds.forEach((end, k) => {
    const r = byMonth.get(end.slice(0, 7));
    if (r === undefined)
      throw new InputError(
        `${table.source}: the risk-free table has no row for ${end.slice(0, 7)}; it must cover every aligned month of the sleeves (${monthEnds[0].slice(0, 7)} .. ${monthEnds[monthEnds.length - 1].slice(0, 7)})`,
        { file: table.source, field: 'month_end' },
      );
    monthly[k] = r;
  });
  return { monthly, description: { kind: 'table', source: table.source } };
}
