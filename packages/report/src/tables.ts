import {
  Field,
  Float64,
  Schema,
  Table,
  TimestampMillisecond,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
// parquet-wasm's "node" export condition loads its wasm from disk synchronously: no fetch, no init().
import {
  Compression,
  Table as WasmTable,
  WriterPropertiesBuilder,
  readParquet,
  writeParquet,
} from 'parquet-wasm';

/** Columns of a path table (structurally a core `WalkForwardPath`). */
export interface PathColumns {
  readonly monthEnds: readonly string[];
  readonly retA: Float64Array;
  readonly retB: Float64Array;
  readonly weightA: Float64Array;
  readonly weightB: Float64Array;
  readonly grossLeverage: Float64Array;
  readonly retGross: Float64Array;
  readonly cost: Float64Array;
  readonly retNet: Float64Array;
  readonly turnoverAbs: Float64Array;
  readonly policyWRaw: Float64Array;
  readonly policyConf: Float64Array;
  readonly financingCost?: Float64Array;
  readonly extra?: Readonly<Record<string, Float64Array>>;
}

export interface MonthlyColumns {
  readonly monthEnds: readonly string[];
  readonly retNet: Float64Array;
  readonly weightA: Float64Array;
  readonly weightB: Float64Array;
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

/** A table with `month_end` as Timestamp(ms, UTC), the reference's Step 3 format, then Float64 columns. */
function toParquet(monthEnds: readonly string[], columns: [string, Float64Array][]): Uint8Array {
  const tsType = new TimestampMillisecond('UTC');
  const fields = [
    new Field('month_end', tsType, false),
    ...columns.map(([name]) => new Field(name, new Float64(), false)),
  ];
  const vectors = [
    vectorFromArray(monthEnds.map(epochMs), tsType),
    ...columns.map(([, values]) => makeVector(values)),
  ];
  const arrow = new Table(
    new Schema(fields),
    Object.fromEntries(fields.map((f, i) => [f.name, vectors[i]])) as never,
  );
  const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(arrow, 'stream')), props);
}

/** Per-candidate path table: the path columns of spec section 3 plus the policy's own output. */
export function pathTableToParquet(path: PathColumns, names: { a: string; b: string }): Uint8Array {
  const extra = Object.keys(path.extra ?? {})
    .sort()
    .map((k) => [k, path.extra![k]] as [string, Float64Array]);
  return toParquet(path.monthEnds, [
    [`ret_${names.a}`, path.retA],
    [`ret_${names.b}`, path.retB],
    [`weight_${names.a}`, path.weightA],
    [`weight_${names.b}`, path.weightB],
    ['gross_leverage', path.grossLeverage],
    ['ret_gross', path.retGross],
    ['cost', path.cost],
    ['ret_net', path.retNet],
    ['turnover_abs', path.turnoverAbs],
    ['policy_w_raw', path.policyWRaw],
    ['policy_conf', path.policyConf],
    ...(path.financingCost ? [['financing_cost', path.financingCost] as [string, Float64Array]] : []),
    ...extra,
  ]);
}

/** `backtest/step4_monthly_table.parquet`: month_end, ret, equity, pnl, weights, gross leverage (spec section 9). */
export function monthlyTableToParquet(
  input: MonthlyColumns,
  names: { a: string; b: string },
  startCapital: number,
): Uint8Array {
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
  return toParquet(input.monthEnds, [
    ['ret', input.retNet],
    ['equity', equity],
    ['pnl', pnl],
    [`weight_${names.a}`, input.weightA],
    [`weight_${names.b}`, input.weightB],
    ['gross_leverage', input.grossLeverage],
  ]);
}

export interface ParquetColumns {
  readonly numRows: number;
  readonly fields: { name: string; type: string }[];
  /** Numbers as Float64Array; timestamps and dates as `YYYY-MM-DD`; other types as strings. */
  readonly columns: Record<string, Float64Array | string[]>;
}

/** Read a Parquet file back into plain columns (used by tests and tools). */
export function readParquetTable(bytes: Uint8Array): ParquetColumns {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  const columns: Record<string, Float64Array | string[]> = {};
  const fields = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
  for (const f of table.schema.fields) {
    const col = table.getChild(f.name)!;
    const type = String(f.type);
    if (/^(Timestamp|Date)/.test(type)) {
      columns[f.name] = Array.from({ length: table.numRows }, (_, i) =>
        new Date(Number(col.get(i))).toISOString().slice(0, 10),
      );
    } else if (/^(Float|Int|Uint)/.test(type)) {
      columns[f.name] = Float64Array.from({ length: table.numRows }, (_, i) => Number(col.get(i)));
    } else {
      columns[f.name] = Array.from({ length: table.numRows }, (_, i) => String(col.get(i)));
    }
  }
  return { numRows: table.numRows, fields, columns };
}
