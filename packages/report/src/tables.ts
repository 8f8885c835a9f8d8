import { createRequire } from 'node:module';
import { type IpcColumn, ipcStream } from './arrow-ipc.js';
import { nonFiniteError } from './stable-json.js';

// parquet-wasm (which writes and reads the Parquet files) and apache-arrow (which
// reads the Arrow stream of a table read back; ./arrow-ipc.ts writes them) load
// on first use, not with the package: most commands of a process that imports
// @step4/report never touch a table. Both ship CommonJS builds (parquet-wasm's
// loads its wasm from disk synchronously: no fetch, no init()), so the tables'
// functions stay synchronous.
type Arrow = typeof import('apache-arrow');
type ParquetWasm = typeof import('parquet-wasm');
const requireHere = createRequire(import.meta.url);
let arrowModule: Arrow | undefined;
let parquetModule: ParquetWasm | undefined;
const arrow = (): Arrow => (arrowModule ??= requireHere('apache-arrow') as Arrow);
const parquet = (): ParquetWasm => (parquetModule ??= requireHere('parquet-wasm') as ParquetWasm);

/** Columns of a path table (structurally a core `WalkForwardPath`). */
export interface PathColumns {
  readonly monthEnds: readonly string[];
  /** Each sleeve's return, sleeve order. */
  readonly sleeveReturns: readonly Float64Array[];
  /** Each sleeve's weight, sleeve order. */
  readonly weights: readonly Float64Array[];
  readonly grossLeverage: Float64Array;
  readonly retGross: Float64Array;
  readonly cost: Float64Array;
  readonly retNet: Float64Array;
  readonly turnoverAbs: Float64Array;
  /** The policy's raw weights per sleeve (written as `policy_w_raw` of the first sleeve for two sleeves). */
  readonly policyWRaw: readonly Float64Array[];
  readonly policyConf: Float64Array;
  readonly financingCost?: Float64Array;
  readonly extra?: Readonly<Record<string, Float64Array>>;
}

export interface MonthlyColumns {
  readonly monthEnds: readonly string[];
  readonly retNet: Float64Array;
  /** Each sleeve's weight, sleeve order. */
  readonly weights: readonly Float64Array[];
  readonly grossLeverage: Float64Array;
}

/** `YYYY-MM-DD` -> epoch milliseconds at 00:00 UTC. */
function epochMs(monthEnd: string): number {
  return Date.UTC(
    Number(monthEnd.slice(0, 4)),
    Number(monthEnd.slice(5, 7)) - 1,
    Number(monthEnd.slice(8, 10)),
  );
}

/** A Float64 column; a nullable one holds values that are not defined every month. */
interface Column {
  readonly name: string;
  readonly values: Float64Array;
  /**
   * Policy diagnostics (e.g. ml_dual_ridge's `mu_a`, `mu_b`): the harness
   * marks a month whose decision gave no such number with NaN, written as
   * null ("not defined"). Every other column must be finite.
   */
  readonly nullable?: boolean;
}

/** Every value finite, or NaN (a null) in a nullable column; else an Error naming file, column and row. */
function checkColumn(c: Column, monthEnds: readonly string[], file: string): void {
  for (let i = 0; i < c.values.length; i++) {
    const v = c.values[i];
    if (Number.isFinite(v) || (c.nullable && Number.isNaN(v))) continue;
    throw nonFiniteError(file, `column ${c.name}, row ${i + 1} (month_end ${monthEnds[i]})`, v);
  }
}

/** Epoch milliseconds -> `YYYY-MM-DD` (UTC), as a reader of the tables shows a timestamp. */
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * A table as written: its Parquet bytes (or their promise, when another
 * thread encodes them), and what `readParquetTable` returns for those bytes,
 * built from the columns in memory (the tear sheets of a run read the tables
 * it has just written without decoding them again).
 */
export interface WrittenTable<Bytes extends ParquetBytes = ParquetBytes> {
  readonly bytes: Bytes;
  readBack(): ParquetColumns;
}

/** Parquet bytes, or their promise when another thread encodes them. */
export type ParquetBytes = Uint8Array | Promise<Uint8Array>;

/**
 * A table's Arrow IPC stream as Parquet bytes, Snappy-compressed: every step4
 * table is written this way (in this thread, or on the chart thread).
 */
export function parquetFromIpc(ipc: Uint8Array): Uint8Array {
  const { Compression, Table: WasmTable, WriterPropertiesBuilder, writeParquet } = parquet();
  const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).build();
  return writeParquet(WasmTable.fromIPCStream(ipc), props);
}

/**
 * Encodes a table's Arrow IPC stream as Parquet: `parquetFromIpc` in this
 * thread, or the same function on another thread (the same bytes).
 */
export type ParquetEncoder<Bytes extends ParquetBytes = ParquetBytes> = (ipc: Uint8Array) => Bytes;

/** The type of a column of a record table. */
export type RecordColumnKind = 'int' | 'float' | 'string' | 'bool';

/**
 * A table of records (e.g. a sweep's leaderboard) as Parquet: the given
 * columns in order, each nullable, Int32, Float64, Utf8 or Bool; a missing
 * value is null.
 */
export function recordsToParquet(
  columns: readonly (readonly [name: string, kind: RecordColumnKind])[],
  rows: readonly Readonly<Record<string, string | number | boolean | null>>[],
): Uint8Array {
  const kinds = { int: 'int32', float: 'float64_or_null', string: 'utf8', bool: 'bool' } as const;
  return parquetFromIpc(
    ipcStream(
      columns.map(
        ([name, kind]) =>
          ({ name, kind: kinds[kind], values: rows.map((r) => r[name] ?? null) }) as IpcColumn,
      ),
    ),
  );
}

/** How `readParquetTable` names the types of the tables below (apache-arrow's names). */
const MONTH_END_TYPE = 'Timestamp<MILLISECOND, UTC>';
const FLOAT64_TYPE = 'Float64';

/**
 * A table with `month_end` as Timestamp(ms, UTC), the reference's Step 3
 * format, then Float64 columns; its Parquet bytes made by `encode`.
 */
function toParquet<Bytes extends ParquetBytes>(
  monthEnds: readonly string[],
  columns: readonly Column[],
  file: string,
  encode: ParquetEncoder<Bytes>,
): WrittenTable<Bytes> {
  // Every column is checked before anything is built, so a bad value never reaches a file.
  for (const c of columns) checkColumn(c, monthEnds, file);
  const times = monthEnds.map(epochMs);
  const bytes = encode(
    ipcStream([
      { name: 'month_end', kind: 'timestamp_ms_utc', values: times },
      ...columns.map(
        (c): IpcColumn => ({
          name: c.name,
          kind: 'float64',
          values: c.values,
          nullable: c.nullable === true,
        }),
      ),
    ]),
  );
  // Copies now: the caller's arrays may change after the write; a null reads back as NaN, as written.
  const values = columns.map((c) => Float64Array.from(c.values));
  let read: ParquetColumns | undefined;
  return {
    bytes,
    readBack: () =>
      (read ??= {
        numRows: times.length,
        fields: [
          { name: 'month_end', type: MONTH_END_TYPE },
          ...columns.map((c) => ({ name: c.name, type: FLOAT64_TYPE })),
        ],
        columns: Object.fromEntries([
          ['month_end', times.map(isoDay)],
          ...columns.map((c, i) => [c.name, values[i]]),
        ]),
      }),
  };
}

const column = (name: string, values: Float64Array): Column => ({ name, values });

/**
 * Per-candidate path table (docs/model/outputs.md): `ret_<s>` and
 * `weight_<s>` of every sleeve, the mechanics' columns, the policy's own
 * output (`policy_w_raw` for two sleeves, `policy_w_raw_<s>` for more) and its
 * diagnostics, nullable (null in a month that gave none). `file` names the
 * table in errors.
 */
export function pathTableToParquet(
  path: PathColumns,
  sleeveNames: readonly string[],
  file = 'path table',
): Uint8Array {
  return pathTable(path, sleeveNames, file, parquetFromIpc).bytes;
}

/** `pathTableToParquet` with the table's read-back columns, its bytes made by `encode`. */
export function pathTable<Bytes extends ParquetBytes>(
  path: PathColumns,
  sleeveNames: readonly string[],
  file: string,
  encode: ParquetEncoder<Bytes>,
): WrittenTable<Bytes> {
  const extra = Object.keys(path.extra ?? {})
    .sort()
    .map((k): Column => ({ name: k, values: path.extra![k], nullable: true }));
  return toParquet(
    path.monthEnds,
    [
      ...sleeveNames.map((s, i) => column(`ret_${s}`, path.sleeveReturns[i])),
      ...sleeveNames.map((s, i) => column(`weight_${s}`, path.weights[i])),
      column('gross_leverage', path.grossLeverage),
      column('ret_gross', path.retGross),
      column('cost', path.cost),
      column('ret_net', path.retNet),
      column('turnover_abs', path.turnoverAbs),
      ...(sleeveNames.length === 2
        ? [column('policy_w_raw', path.policyWRaw[0])]
        : sleeveNames.map((s, i) => column(`policy_w_raw_${s}`, path.policyWRaw[i]))),
      column('policy_conf', path.policyConf),
      ...(path.financingCost ? [column('financing_cost', path.financingCost)] : []),
      ...extra,
    ],
    file,
    encode,
  );
}

/** `backtest/step4_monthly_table.parquet`: month_end, ret, equity, pnl, weights, gross leverage (docs/model/outputs.md). */
export function monthlyTableToParquet(
  input: MonthlyColumns,
  sleeveNames: readonly string[],
  startCapital: number,
  file = 'monthly table',
): Uint8Array {
  return monthlyTable(input, sleeveNames, startCapital, file, parquetFromIpc).bytes;
}

/** `monthlyTableToParquet` with the table's read-back columns, its bytes made by `encode`. */
export function monthlyTable<Bytes extends ParquetBytes>(
  input: MonthlyColumns,
  sleeveNames: readonly string[],
  startCapital: number,
  file: string,
  encode: ParquetEncoder<Bytes>,
): WrittenTable<Bytes> {
  const n = input.retNet.length;
  const equity = new Float64Array(n);
  const pnl = new Float64Array(n);
  let growth = 1;
  let prev = startCapital;
  for (let i = 0; i < n; i++) {
    growth *= 1 + input.retNet[i];
    equity[i] = startCapital * growth;
    pnl[i] = equity[i] - prev;
    prev = equity[i];
  }
  return toParquet(
    input.monthEnds,
    [
      column('ret', input.retNet),
      column('equity', equity),
      column('pnl', pnl),
      ...sleeveNames.map((s, i) => column(`weight_${s}`, input.weights[i])),
      column('gross_leverage', input.grossLeverage),
    ],
    file,
    encode,
  );
}

export interface ParquetColumns {
  readonly numRows: number;
  readonly fields: { name: string; type: string }[];
  /** Numbers as Float64Array (null read as NaN); timestamps and dates as `YYYY-MM-DD`; other types as strings. */
  readonly columns: Record<string, Float64Array | string[]>;
}

/** Read a Parquet file back into plain columns (used by tests and tools). */
export function readParquetTable(bytes: Uint8Array): ParquetColumns {
  const table = arrow().tableFromIPC(parquet().readParquet(bytes).intoIPCStream());
  const columns: Record<string, Float64Array | string[]> = {};
  const fields = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
  for (const f of table.schema.fields) {
    const col = table.getChild(f.name)!;
    const type = String(f.type);
    if (/^(Timestamp|Date)/.test(type)) {
      columns[f.name] = Array.from({ length: table.numRows }, (_, i) => isoDay(Number(col.get(i))));
    } else if (/^(Float|Int|Uint)/.test(type)) {
      columns[f.name] = Float64Array.from({ length: table.numRows }, (_, i) => {
        const v = col.get(i);
        return v === null ? Number.NaN : Number(v);
      });
    } else {
      columns[f.name] = Array.from({ length: table.numRows }, (_, i) => String(col.get(i)));
    }
  }
  return { numRows: table.numRows, fields, columns };
}
