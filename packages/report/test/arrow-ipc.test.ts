/**
 * The Arrow IPC writer of the tables against apache-arrow's: the same
 * Parquet bytes through parquet-wasm, and the stream reads back in
 * apache-arrow as the columns that were written.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IpcColumn, ipcStream } from '../src/arrow-ipc.js';

const require = createRequire(import.meta.url);
const arrow = require('apache-arrow') as typeof import('apache-arrow');
const parquet = require('parquet-wasm') as typeof import('parquet-wasm');

/** The same columns as an apache-arrow Table (apache-arrow's own builders). */
function arrowTable(columns: readonly IpcColumn[]) {
  const { Bool, Field, Float64, Int32, Schema, Table, TimestampMillisecond, Utf8, vectorFromArray } = arrow;
  // The kinds whose nulls are `null`, all nullable.
  const nullableType = { float64_or_null: Float64, int32: Int32, utf8: Utf8, bool: Bool };
  const fields: InstanceType<typeof Field>[] = [];
  const vectors: Record<string, unknown> = {};
  for (const c of columns) {
    if (c.kind === 'timestamp_ms_utc') {
      const t = new TimestampMillisecond('UTC');
      fields.push(new Field(c.name, t, false));
      vectors[c.name] = vectorFromArray(Array.from(c.values), t);
    } else if (c.kind === 'float64') {
      fields.push(new Field(c.name, new Float64(), c.nullable));
      const values = Array.from(c.values, (v) => (c.nullable && Number.isNaN(v) ? null : v));
      vectors[c.name] = vectorFromArray(values, new Float64());
    } else {
      const type = new nullableType[c.kind]();
      fields.push(new Field(c.name, type, true));
      vectors[c.name] = vectorFromArray([...c.values], type as never);
    }
  }
  return new Table(new Schema(fields), vectors as never);
}

const toParquet = (ipc: Uint8Array) =>
  parquet.writeParquet(
    parquet.Table.fromIPCStream(ipc),
    new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.SNAPPY).build(),
  );

/** Random columns of one length: every kind, nulls anywhere (often none), lengths around multiples of 8. */
const tables = fc
  .integer({ min: 1, max: 41 })
  .chain((rows) =>
    fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant('timestamp_ms_utc' as const),
          // Days from 1926 (before the epoch: negative) to 2100.
          values: fc.array(fc.integer({ min: -16_000, max: 47_500 }), {
            minLength: rows,
            maxLength: rows,
          }),
        }),
        fc.record({
          kind: fc.constant('float64' as const),
          nullable: fc.boolean(),
          values: fc.array(
            fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(Number.NaN)),
            {
              minLength: rows,
              maxLength: rows,
            },
          ),
        }),
        fc.record({
          kind: fc.constant('float64_or_null' as const),
          values: fc.array(fc.option(fc.double(), { nil: null, freq: 4 }), {
            minLength: rows,
            maxLength: rows,
          }),
        }),
        fc.record({
          kind: fc.constant('int32' as const),
          values: fc.array(fc.option(fc.integer(), { nil: null, freq: 4 }), {
            minLength: rows,
            maxLength: rows,
          }),
        }),
        fc.record({
          kind: fc.constant('utf8' as const),
          values: fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null, freq: 4 }), {
            minLength: rows,
            maxLength: rows,
          }),
        }),
        fc.record({
          kind: fc.constant('bool' as const),
          values: fc.array(fc.option(fc.boolean(), { nil: null, freq: 4 }), {
            minLength: rows,
            maxLength: rows,
          }),
        }),
      ),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map((cols) =>
    cols.map((c, i): IpcColumn => {
      const name = `c${i}_${c.kind}`;
      switch (c.kind) {
        case 'timestamp_ms_utc':
          // Midnights, as the month ends are.
          return { name, kind: c.kind, values: c.values.map((d) => d * 86_400_000) };
        case 'float64': {
          // A column that is not nullable holds no NaN (the tables check that first).
          const values = Float64Array.from(c.values, (v) => (c.nullable || !Number.isNaN(v) ? v : 0));
          return { name, kind: c.kind, values, nullable: c.nullable };
        }
        default:
          return { name, ...c } as IpcColumn;
      }
    }),
  );

describe('Arrow IPC stream of a table', () => {
  it('gives the same Parquet bytes as apache-arrow, and reads back as written', () => {
    fc.assert(
      fc.property(tables, (columns) => {
        const ours = ipcStream(columns);
        const theirs = arrow.tableToIPC(arrowTable(columns), 'stream');
        expect(Buffer.from(toParquet(ours)).equals(Buffer.from(toParquet(theirs)))).toBe(true);
        const read = arrow.tableFromIPC(ours);
        const expected = arrowTable(columns);
        expect(read.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual(
          expected.schema.fields.map((f) => [f.name, String(f.type), f.nullable]),
        );
        expect(read.numRows).toBe(expected.numRows);
        for (const f of expected.schema.fields) {
          // Values with null where there is none (a null's slot is not compared).
          expect([...read.getChild(f.name)!]).toEqual([...expected.getChild(f.name)!]);
          expect(read.getChild(f.name)!.nullCount).toBe(expected.getChild(f.name)!.nullCount);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('writes a table without rows', () => {
    const empty = ipcStream([
      { name: 'month_end', kind: 'timestamp_ms_utc', values: [] },
      { name: 'x', kind: 'float64', values: new Float64Array(0), nullable: true },
    ]);
    const read = arrow.tableFromIPC(parquet.readParquet(toParquet(empty)).intoIPCStream());
    expect(read.numRows).toBe(0);
    expect(read.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
      ['month_end', 'Timestamp<MILLISECOND, UTC>', false],
      ['x', 'Float64', true],
    ]);
  });

  it('refuses columns of different lengths', () => {
    expect(() =>
      ipcStream([
        { name: 'a', kind: 'float64', values: new Float64Array(3), nullable: false },
        { name: 'b', kind: 'float64', values: new Float64Array(2), nullable: false },
      ]),
    ).toThrow('column b has 2 rows, the table 3');
  });
});
