import { RUN_ALL_OBJECTIVES } from '@step4/engine';
import { type RecordColumnKind, recordsToParquet } from '@step4/report';
import { type SweepCell, canonicalJson, resolvedOptions } from './cells.js';
import { METRIC_COLUMNS, type CellOutcome, type RowValue } from './run-cell.js';

/** A leaderboard row: the cell, its options, and one objective's result (or the cell's error). */
export type LeaderboardRow = Readonly<Record<string, RowValue>>;

/** Every column of `leaderboard.parquet`, in order, with its type (every one nullable except the cell's own). */
export const LEADERBOARD_COLUMNS: readonly (readonly [string, RecordColumnKind])[] = [
  ['cell', 'int'],
  ['cell_hash', 'string'],
  ['universe', 'string'],
  ['n_sleeves', 'int'],
  ['variant', 'int'],
  ['options', 'string'],
  ['train_ratio', 'float'],
  ['financing_bps_per_year', 'float'],
  ['seed', 'float'],
  ['turn_cost_bps', 'float'],
  ['gross_cost_bps', 'float'],
  ['status', 'string'],
  ['error', 'string'],
  ['objective', 'string'],
  ['selected_candidate', 'string'],
  ['selected_family', 'string'],
  ['robust_pass', 'bool'],
  ['selected_without_gate', 'bool'],
  ['promoted', 'bool'],
  ['promoted_dynamic', 'bool'],
  ['candidates', 'int'],
  ['failed_candidates', 'int'],
  ...METRIC_COLUMNS.map(([name]) => [name, 'float'] as const),
];

/**
 * The leaderboard: one row per cell and objective, in the order of the sweep
 * file's expansion and then the objectives' order. A failed cell gets one row
 * per objective with its error. Nothing here depends on when or where a cell ran.
 */
export function leaderboardRows(
  cells: readonly SweepCell[],
  outcomes: ReadonlyMap<string, CellOutcome>,
): LeaderboardRow[] {
  const rows: LeaderboardRow[] = [];
  for (const cell of cells) {
    const { spec } = cell;
    const resolved = resolvedOptions(spec.options);
    const base: Record<string, RowValue> = {
      cell: cell.index,
      cell_hash: spec.hash,
      universe: spec.sleeves.map((s) => s.name).join('+'),
      n_sleeves: spec.sleeves.length,
      variant: cell.variantIndex,
      options: canonicalJson(spec.options),
      train_ratio: resolved.trainRatio as number,
      financing_bps_per_year: resolved.financingBpsPerYear as number,
      seed: resolved.seed as number,
      turn_cost_bps: spec.options.turn_cost_bps ?? null,
      gross_cost_bps: spec.options.gross_cost_bps ?? null,
    };
    const outcome = outcomes.get(spec.hash);
    if (outcome && 'rows' in outcome) {
      for (const r of outcome.rows) rows.push(complete({ ...base, status: 'ok', error: null, ...r }));
    } else {
      const error = outcome ? outcome.error : 'the cell did not finish';
      for (const objective of RUN_ALL_OBJECTIVES)
        rows.push(complete({ ...base, status: 'failed', error, objective }));
    }
  }
  return rows;
}

function complete(row: Record<string, RowValue>): LeaderboardRow {
  const out: Record<string, RowValue> = {};
  for (const [name] of LEADERBOARD_COLUMNS) {
    const v = row[name];
    out[name] = v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v;
  }
  return out;
}

/** `leaderboard.parquet`: the columns of `LEADERBOARD_COLUMNS`, written like every step4 table (@step4/report). */
export function leaderboardToParquet(rows: readonly LeaderboardRow[]): Uint8Array {
  return recordsToParquet(LEADERBOARD_COLUMNS, rows);
}
