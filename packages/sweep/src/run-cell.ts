import type { FamilyRegistry } from '@step4/core';
import { InputError, firstLineOf } from '@step4/core';
import { type FamilyReference, type RunResult, runStep4 } from '@step4/engine';
import { summaryDocument, writeRunAllOutputs } from '@step4/report';
import { type CellSleeve, type CellSpec, cellHash, engineOptionsOf, packageVersions } from './cells.js';

/** A leaderboard value: every number finite or null, so JSON carries it exactly. */
export type RowValue = string | number | boolean | null;

/** One objective's row of a cell, before the sweep adds the universe and options. */
export type ObjectiveRow = Readonly<Record<string, RowValue>>;

/** What a cell gives: its rows (one per objective), or the error that stopped it. */
export type CellOutcome =
  | { readonly hash: string; readonly rows: readonly ObjectiveRow[] }
  | { readonly hash: string; readonly error: string };

/** What a process needs to run cells: its families and a way to get each table's file. */
export interface CellEnvironment {
  readonly families: readonly FamilyReference[];
  readonly registry: FamilyRegistry;
  /** A local file holding the table with this content hash. */
  tablePath(sleeve: CellSleeve): Promise<string>;
}

function at(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

const numberAt = (doc: unknown, path: string): number | null => {
  const v = at(doc, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/**
 * The numeric columns of a row: leaderboard name -> path in the objective's
 * `step4_summary.json` (docs/model/outputs.md), so the leaderboard reads
 * exactly what a run writes.
 */
export const METRIC_COLUMNS: readonly (readonly [string, string])[] = [
  ['score', 'selected_candidate.score'],
  ['test_end_equity', 'selected_candidate.metrics.test.end_equity'],
  ['test_cagr', 'selected_candidate.metrics.test.cagr'],
  ['test_max_drawdown', 'selected_candidate.metrics.test.max_drawdown'],
  ['test_calmar', 'selected_candidate.metrics.test.calmar'],
  ['test_avg_monthly_pnl', 'selected_candidate.metrics.test.avg_monthly_pnl'],
  ['test_positive_month_rate', 'selected_candidate.metrics.test.positive_month_rate'],
  ['train_calmar', 'selected_candidate.metrics.train.calmar'],
  ['bootstrap_p10_avg_monthly_pnl', 'selected_candidate.metrics.bootstrap_p10_avg_monthly_pnl'],
  ['avg_turnover_abs', 'selected_candidate.metrics.avg_turnover_abs'],
  ['avg_gross_leverage', 'selected_candidate.metrics.avg_gross_leverage'],
  ['honest_test_end_equity', 'overfitting.selection_honest.test.end_equity'],
  ['honest_test_cagr', 'overfitting.selection_honest.test.cagr'],
  ['honest_test_max_drawdown', 'overfitting.selection_honest.test.max_drawdown'],
  ['honest_test_calmar', 'overfitting.selection_honest.test.calmar'],
  ['honest_test_avg_monthly_pnl', 'overfitting.selection_honest.test.avg_monthly_pnl'],
  ['honest_switches', 'overfitting.selection_honest.switches'],
  ['pbo', 'overfitting.pbo.pbo'],
  ['probability_oos_loss', 'overfitting.pbo.probability_oos_loss'],
  ['sharpe_monthly', 'overfitting.selected_deflated_sharpe.sharpe_monthly'],
  ['psr', 'overfitting.selected_deflated_sharpe.probabilistic_sharpe_ratio_0'],
  ['dsr', 'overfitting.selected_deflated_sharpe.deflated_sharpe_ratio'],
  ['trials_effective', 'overfitting.trials.effective'],
  ['spa_pvalue_consistent', 'overfitting.spa.pvalue_consistent'],
  ['spa_pvalue_lower', 'overfitting.spa.pvalue_lower'],
  ['spa_pvalue_upper', 'overfitting.spa.pvalue_upper_reality_check'],
];

/** The rows of a finished run, one per objective in run order. */
export function rowsOf(result: RunResult): ObjectiveRow[] {
  const { promotion } = result;
  const dynamic = 'objective' in promotion.dynamic ? promotion.dynamic.objective : null;
  const failed = result.evaluated.filter((c) => c.error !== undefined).length;
  return result.runs.map((run) => {
    // Through JSON, as the files hold it: what every process computes the same way.
    const doc = JSON.parse(JSON.stringify(summaryDocument(run, result, result.manifest))) as unknown;
    const row: Record<string, RowValue> = {
      objective: run.objective,
      selected_candidate: run.selected.candidate.config.name,
      selected_family: run.selected.candidate.config.method,
      robust_pass: at(doc, 'selected_candidate.robust_pass') === true,
      selected_without_gate: run.selectedWithoutGate === true,
      promoted: promotion.promoted.objective === run.objective,
      promoted_dynamic: dynamic === run.objective,
      candidates: result.evaluated.length,
      failed_candidates: failed,
    };
    for (const [name, path] of METRIC_COLUMNS) row[name] = numberAt(doc, path);
    return row;
  });
}

/** Refuse a cell this process cannot compute exactly as the sweep asked. */
export function checkCell(spec: CellSpec, env: Pick<CellEnvironment, 'registry'>): void {
  const own = packageVersions();
  for (const [name, version] of Object.entries(spec.packages)) {
    if (own[name] !== version)
      throw new InputError(
        `cell ${spec.hash.slice(0, 12)}: needs ${name} ${version}, this process has ${own[name] ?? 'none'}`,
      );
  }
  for (const f of spec.families) {
    const here = env.registry.get(f.name);
    if (!here)
      throw new InputError(
        `cell ${spec.hash.slice(0, 12)}: needs family ${f.name}, which this worker's config does not load`,
      );
    if (here.meta.version !== f.version)
      throw new InputError(
        `cell ${spec.hash.slice(0, 12)}: needs family ${f.name} ${f.version}, this worker has ${here.meta.version}`,
      );
  }
  const { hash, ...body } = spec;
  if (cellHash(body) !== hash)
    throw new InputError(`cell ${hash.slice(0, 12)}: its content does not match its hash`);
}

/**
 * Run one cell: the whole run-all of one universe with one option set
 * (runStep4 in this thread), its rows, and, when asked, its full output folder.
 * Throws when the cell cannot run (the caller records the error).
 */
export async function computeCell(
  spec: CellSpec,
  env: CellEnvironment,
  options: { readonly outDir?: string } = {},
): Promise<ObjectiveRow[]> {
  checkCell(spec, env);
  const sleeves = [];
  for (const s of spec.sleeves) sleeves.push({ name: s.name, path: await env.tablePath(s), label: s.label });
  const result = await runStep4({
    sleeves,
    families: env.families,
    registry: env.registry,
    grid: spec.grid,
    options: engineOptionsOf(spec.options),
    jobs: 1,
    packages: spec.packages,
  });
  result.prepared.panel.sha256.forEach((sha, i) => {
    if (sha !== spec.sleeves[i].sha256)
      throw new InputError(
        `sleeve ${spec.sleeves[i].name}: its table does not match hash ${spec.sleeves[i].sha256}`,
      );
  });
  if (options.outDir) await writeRunAllOutputs(options.outDir, result, result.manifest, { chart: false });
  return rowsOf(result);
}

/** `computeCell`, with a failure as the cell's outcome (its message's first line). */
export async function runCell(
  spec: CellSpec,
  env: CellEnvironment,
  options: { readonly outDir?: string } = {},
): Promise<CellOutcome> {
  try {
    return { hash: spec.hash, rows: await computeCell(spec, env, options) };
  } catch (e) {
    return { hash: spec.hash, error: firstLineOf(e).trim() };
  }
}
