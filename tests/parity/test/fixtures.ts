import { readFileSync } from 'node:fs';
import type { CandidateMetrics, WalkForwardPath } from '@step4/core';
import { referencePanel } from '@step4/core/testing';

const dir = new URL('../../../fixtures/parity/', import.meta.url);

/** Rows of a reference CSV as objects of numbers (empty cells NaN; month_end kept as YYYY-MM-DD). */
export function readReferenceCsv(file: string): Record<string, number | string>[] {
  const [header, ...lines] = readFileSync(new URL(file, dir), 'utf8').trim().split('\n');
  const cols = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: Record<string, number | string> = {};
    cols.forEach((c, i) => {
      if (c === 'candidate') row[c] = cells[i];
      else if (c === 'month_end') row[c] = cells[i].slice(0, 10);
      else row[c] = cells[i] === '' ? Number.NaN : Number(cells[i]);
    });
    return row;
  });
}

export interface ReferenceCandidate {
  config: Record<string, number | string>;
  metrics: Record<string, unknown> & { bootstrap_p10_avg_monthly_pnl: number };
  score_full_precision: Record<string, number>;
  robust_pass: Record<string, boolean>;
  bootstrap_p10_other_seeds: { seeds: number; mean: number; sd: number };
}

export interface Reference {
  meta: Record<string, unknown>;
  objectives: Record<string, { dd_cap: number; selected: string }>;
  candidates: Record<string, ReferenceCandidate>;
  run_all: Record<string, unknown>;
}

export const reference: Reference = JSON.parse(readFileSync(new URL('reference.json', dir), 'utf8'));

/** Reference path rows grouped by candidate, in file order. */
export function referencePaths(file = 'paths.csv'): Map<string, Record<string, number | string>[]> {
  const out = new Map<string, Record<string, number | string>[]>();
  for (const row of readReferenceCsv(file)) {
    const name = String(row.candidate);
    if (!out.has(name)) out.set(name, []);
    out.get(name)!.push(row);
  }
  return out;
}

/** The embedded sleeves the reference numbers were produced on. */
export const embeddedPanel = referencePanel;

/** |a - b| <= tol * max(1, |b|): absolute or relative, whichever is larger (parity README). */
export function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

/** Flatten nested metric objects to dotted keys. */
export function flatten(o: Record<string, unknown>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object') Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v as number;
  }
  return out;
}

/** Reference path columns and our path fields (docs/model/mechanics.md, parity README); sleeve A is sleeve 0. */
export const PATH_COLUMNS = [
  ['ret_a', (p) => p.sleeveReturns[0]],
  ['ret_b', (p) => p.sleeveReturns[1]],
  ['weight_a', (p) => p.weights[0]],
  ['weight_b', (p) => p.weights[1]],
  ['gross_leverage', (p) => p.grossLeverage],
  ['ret_gross', (p) => p.retGross],
  ['cost', (p) => p.cost],
  ['ret_net', (p) => p.retNet],
  ['turnover_abs', (p) => p.turnoverAbs],
  ['policy_w_raw', (p) => p.policyWRaw[0]],
  ['policy_conf', (p) => p.policyConf],
] as const satisfies readonly (readonly [string, (path: WalkForwardPath) => Float64Array])[];

/**
 * Our metrics with the reference's key names for the first sleeve. The
 * per-sleeve lists (`avg_weights`, `weight_stds`) have no reference key and
 * are left out.
 */
export function referenceKeyed(m: CandidateMetrics): Record<string, unknown> {
  // The p10's Monte Carlo standard error is ours (the reference has none): compared on its own elsewhere.
  const { avg_weight_a, weight_std_a, avg_weights, weight_stds, bootstrap_p10_mc_std_error, ...rest } = m;
  return { ...rest, avg_weight_spyqqq: avg_weight_a, weight_std_spyqqq: weight_std_a };
}
