import { Builder } from 'flatbuffers';

/**
 * The Arrow IPC stream of one record batch (a schema message, a record batch
 * message, the end-of-stream marker), for the tables step4 writes as Parquet:
 * parquet-wasm reads it and writes the Parquet file
 * (https://arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-communication-ipc).
 *
 * Why not apache-arrow's writer: the tables of a run are small (about 60 of
 * 120 rows), and loading apache-arrow, building its Table and serializing it
 * cost about 5 ms a table, 0.3 s of a 3 s run; this writes the same stream
 * from the columns directly. The messages are FlatBuffers built with the
 * `flatbuffers` library, apache-arrow's own dependency. apache-arrow still
 * reads tables (`readParquetTable`), and the tests check that both writers
 * give the same Parquet bytes.
 */

/**
 * A column of an IPC table. The timestamps (epoch milliseconds) are not
 * nullable; a `float64` column's nulls are its NaN values, when it is
 * nullable; the other kinds are nullable and a null is `null`.
 */
export type IpcColumn =
  | { readonly name: string; readonly kind: 'timestamp_ms_utc'; readonly values: ArrayLike<number> }
  | {
      readonly name: string;
      readonly kind: 'float64';
      readonly values: Float64Array;
      readonly nullable: boolean;
    }
  | { readonly name: string; readonly kind: 'float64_or_null'; readonly values: readonly (number | null)[] }
  | { readonly name: string; readonly kind: 'int32'; readonly values: readonly (number | null)[] }
  | { readonly name: string; readonly kind: 'utf8'; readonly values: readonly (string | null)[] }
  | { readonly name: string; readonly kind: 'bool'; readonly values: readonly (boolean | null)[] };

// Enum and union values of the Arrow format's Schema.fbs and Message.fbs.
const METADATA_V5 = 4;
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
const TYPE_INT = 2;
const TYPE_FLOATING_POINT = 3;
const TYPE_UTF8 = 5;
const TYPE_BOOL = 6;
const TYPE_TIMESTAMP = 10;
const PRECISION_DOUBLE = 2;
const TIME_UNIT_MILLISECOND = 1;

/** Body buffers start and end on 8-byte boundaries. */
const align8 = (n: number) => (n + 7) & ~7;

/** One column's buffers (validity bitmap first, empty when there is no null) and its null count. */
interface Encoded {
  readonly nullCount: number;
  readonly buffers: readonly Uint8Array[];
}

const NO_BUFFER = new Uint8Array(0);

/** The validity bitmap (bit i set = row i holds a value), or an empty buffer when no row is null. */
function validity(n: number, isNull: (i: number) => boolean): { nullCount: number; bitmap: Uint8Array } {
  let nullCount = 0;
  let bitmap: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    if (!isNull(i)) continue;
    if (!bitmap) bitmap = new Uint8Array((n + 7) >> 3).fill(0xff);
    bitmap[i >> 3] &= ~(1 << (i & 7));
    nullCount++;
  }
  if (bitmap && n % 8 !== 0) bitmap[bitmap.length - 1] &= (1 << (n % 8)) - 1;
  return { nullCount, bitmap: bitmap ?? NO_BUFFER };
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function encodeColumn(c: IpcColumn): Encoded {
  if (c.kind === 'timestamp_ms_utc')
    return { nullCount: 0, buffers: [NO_BUFFER, bytesOf(BigInt64Array.from(c.values, (ms) => BigInt(ms)))] };
  if (c.kind === 'float64') {
    const v = c.values;
    if (!c.nullable) return { nullCount: 0, buffers: [NO_BUFFER, bytesOf(v)] };
    const { nullCount, bitmap } = validity(v.length, (i) => Number.isNaN(v[i]));
    // A null's slot holds 0, not NaN: the Arrow format leaves it undefined, readers skip it.
    const values = nullCount === 0 ? v : Float64Array.from(v, (x) => (Number.isNaN(x) ? 0 : x));
    return { nullCount, buffers: [bitmap, bytesOf(values)] };
  }
  // The other kinds: a null is `null`.
  const v: readonly unknown[] = c.values;
  const { nullCount, bitmap } = validity(v.length, (i) => v[i] === null);
  return { nullCount, buffers: [bitmap, ...valueBuffers(c)] };
}

/** The buffers after the validity bitmap of a column whose nulls are `null` (a null's slot holds 0). */
function valueBuffers(c: Extract<IpcColumn, { values: readonly unknown[] }>): Uint8Array[] {
  const n = c.values.length;
  switch (c.kind) {
    case 'float64_or_null':
      return [bytesOf(Float64Array.from(c.values, (x) => x ?? 0))];
    case 'int32':
      return [bytesOf(Int32Array.from(c.values, (x) => x ?? 0))];
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (c.values[i]) bits[i >> 3] |= 1 << (i & 7);
      return [bits];
    }
    case 'utf8': {
      const encoder = new TextEncoder();
      const parts = c.values.map((s) => encoder.encode(s ?? ''));
      const offsets = new Int32Array(n + 1);
      for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + parts[i].length;
      const data = new Uint8Array(offsets[n]);
      for (let i = 0; i < n; i++) data.set(parts[i], offsets[i]);
      return [bytesOf(offsets), data];
    }
  }
}

/** The Type union of a column: its type id and the offset of its table. */
function columnType(b: Builder, c: IpcColumn): [number, number] {
  switch (c.kind) {
    case 'timestamp_ms_utc': {
      const tz = b.createString('UTC');
      b.startObject(2);
      b.addFieldInt16(0, TIME_UNIT_MILLISECOND, 0);
      b.addFieldOffset(1, tz, 0);
      return [TYPE_TIMESTAMP, b.endObject()];
    }
    case 'float64':
    case 'float64_or_null':
      b.startObject(1);
      b.addFieldInt16(0, PRECISION_DOUBLE, 0);
      return [TYPE_FLOATING_POINT, b.endObject()];
    case 'int32':
      b.startObject(2);
      b.addFieldInt32(0, 32, 0);
      b.addFieldInt8(1, 1, 0);
      return [TYPE_INT, b.endObject()];
    case 'utf8':
      b.startObject(0);
      return [TYPE_UTF8, b.endObject()];
    case 'bool':
      b.startObject(0);
      return [TYPE_BOOL, b.endObject()];
  }
}

const isNullable = (c: IpcColumn) => c.kind !== 'timestamp_ms_utc' && (c.kind !== 'float64' || c.nullable);

/** A Message table around a header, finished. */
function message(b: Builder, headerType: number, header: number, bodyLength: number): Uint8Array {
  b.startObject(5);
  b.addFieldInt16(0, METADATA_V5, 0);
  b.addFieldInt8(1, headerType, 0);
  b.addFieldOffset(2, header, 0);
  b.addFieldInt64(3, BigInt(bodyLength), 0n);
  b.finish(b.endObject());
  return b.asUint8Array();
}

function schemaMessage(columns: readonly IpcColumn[]): Uint8Array {
  const b = new Builder(1024);
  const fields = columns.map((c) => {
    const name = b.createString(c.name);
    const [typeType, type] = columnType(b, c);
    b.startVector(4, 0, 4);
    const children = b.endVector();
    b.startObject(7);
    b.addFieldOffset(0, name, 0);
    b.addFieldInt8(1, isNullable(c) ? 1 : 0, 0);
    b.addFieldInt8(2, typeType, 0);
    b.addFieldOffset(3, type, 0);
    b.addFieldOffset(5, children, 0);
    return b.endObject();
  });
  b.startVector(4, fields.length, 4);
  for (let i = fields.length - 1; i >= 0; i--) b.addOffset(fields[i]);
  const fieldVector = b.endVector();
  b.startObject(4);
  b.addFieldOffset(1, fieldVector, 0); // endianness: Little, the default
  return message(b, HEADER_SCHEMA, b.endObject(), 0);
}

function recordBatchMessage(rows: number, encoded: readonly Encoded[], bodyLength: number): Uint8Array {
  const b = new Builder(1024);
  // Structs are written last field first (the builder grows downwards).
  b.startVector(16, encoded.length, 8);
  for (let i = encoded.length - 1; i >= 0; i--) {
    b.prep(8, 16);
    b.writeInt64(BigInt(encoded[i].nullCount));
    b.writeInt64(BigInt(rows));
  }
  const nodes = b.endVector();
  const buffers = encoded.flatMap((e) => e.buffers);
  const offsets: number[] = [];
  let at = 0;
  for (const buf of buffers) {
    offsets.push(at);
    at += align8(buf.length);
  }
  b.startVector(16, buffers.length, 8);
  for (let i = buffers.length - 1; i >= 0; i--) {
    b.prep(8, 16);
    b.writeInt64(BigInt(buffers[i].length));
    b.writeInt64(BigInt(offsets[i]));
  }
  const bufferVector = b.endVector();
  b.startObject(5);
  b.addFieldInt64(0, BigInt(rows), 0n);
  b.addFieldOffset(1, nodes, 0);
  b.addFieldOffset(2, bufferVector, 0);
  return message(b, HEADER_RECORD_BATCH, b.endObject(), bodyLength);
}

/** The IPC stream of the columns as one record batch (every column has the same number of rows). */
export function ipcStream(columns: readonly IpcColumn[]): Uint8Array {
  const rows = columns.length > 0 ? columns[0].values.length : 0;
  for (const c of columns)
    if (c.values.length !== rows)
      throw new RangeError(`column ${c.name} has ${c.values.length} rows, the table ${rows}`);
  const encoded = columns.map(encodeColumn);
  const buffers = encoded.flatMap((e) => e.buffers);
  const bodyLength = buffers.reduce((s, buf) => s + align8(buf.length), 0);
  const schema = schemaMessage(columns);
  const batch = recordBatchMessage(rows, encoded, bodyLength);
  // Each message: continuation marker, metadata length (padded to 8), metadata, body; then end of stream.
  const framed = (m: Uint8Array) => 8 + align8(m.length);
  const out = new Uint8Array(framed(schema) + framed(batch) + bodyLength + 8);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const m of [schema, batch]) {
    view.setInt32(at, -1, true);
    view.setInt32(at + 4, align8(m.length), true);
    out.set(m, at + 8);
    at += framed(m);
    if (m === batch)
      for (const buf of buffers) {
        out.set(buf, at);
        at += align8(buf.length);
      }
  }
  view.setInt32(at, -1, true); // end of stream: the marker and a zero length
  return out;
}
