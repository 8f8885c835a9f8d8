import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import type { DataType, Table } from 'apache-arrow';
import type { Options as CsvOptions } from 'csv-parse';
import { InputError, isInputError, quoteValue } from './errors.js';
import { type SleevePanel, type SleeveTable, monthEndOf, nextMonth } from './panel.js';

/*
 * The parsers are loaded on first use, not with this module: every program
 * importing @step4/core (a CLI's --help, a family package) would otherwise
 * pay for apache-arrow and the parquet-wasm module on start. csv-parse and
 * parquet-wasm's "node" build are CommonJS-loadable, so the synchronous
 * parsers below can require them.
 */
const requireLib = createRequire(import.meta.url);
type Arrow = typeof import('apache-arrow');
type CsvParse = typeof import('csv-parse');
type CsvParseSync = typeof import('csv-parse/sync');
type ParquetWasm = typeof import('parquet-wasm');
let csvLib: CsvParse | undefined;
let csvSyncLib: CsvParseSync | undefined;
let arrowLib: Arrow | undefined;

function csvParser(options: CsvOptions): ReturnType<CsvParse['parse']> {
  csvLib ??= requireLib('csv-parse') as CsvParse;
  return csvLib.parse(options);
}

function csvParseSync(input: Buffer | string, options: CsvOptions): string[][] {
  csvSyncLib ??= requireLib('csv-parse/sync') as CsvParseSync;
  return csvSyncLib.parse(input, options) as string[][];
}

/**
 * apache-arrow's ES module, the instance the output writer (@step4/report)
 * uses too, so a run that reads and writes Parquet loads it once;
 * `loadSleeveTable` imports it before parsing.
 */
async function importArrow(): Promise<void> {
  arrowLib ??= await import('apache-arrow');
}

/** The Arrow module: the one imported already, else (a synchronous parse first) its CommonJS build. */
function arrow(): Arrow {
  arrowLib ??= requireLib('apache-arrow') as Arrow;
  return arrowLib;
}

/** parquet-wasm's "node" export condition loads its wasm from disk synchronously: no fetch, no init(). */
function readParquet(bytes: Uint8Array): ReturnType<ParquetWasm['readParquet']> {
  return (requireLib('parquet-wasm') as ParquetWasm).readParquet(bytes);
}

/**
 * Loading a "Step 3 monthly table" (docs/model/inputs.md): `month_end` and `ret`
 * columns (and an optional `equity` column that must agree with `ret`), CSV
 * or Parquet, validated row by row. Every problem is an `InputError` on one
 * line naming the file, the row and the field; every value echoed in a
 * message goes through `quoteValue`.
 */

/**
 * Plausible monthly returns: `min < ret <= max`. A loss of 100% or more cannot
 * be compounded; a gain above +1000% in one month is a unit or data error.
 */
export const RETURN_BOUNDS = Object.freeze({ min: -1, max: 10 } as const);

/**
 * A table whose median |ret| is above this is in percent, not fractions. Real
 * sleeves sit far below it (SPY+QQQ 0.035, BTC+ETH 0.145); a percent table of
 * an equity sleeve sits far above (1.7, -3.2, 0.4, 5.1 … has a median of 2.45).
 */
export const PERCENT_UNITS_RULE = Object.freeze({ medianAbsRetAbove: 0.5 } as const);

/**
 * How closely the equity column must follow the returns, for consecutive
 * months: `|equity[t] - equity[t-1] * (1 + ret[t])| <= relative * equity[t-1] * (1 + ret[t])`,
 * i.e. the two equity curves agree to about one part in a million, month by
 * month (also near a total loss, where a return difference would hide it).
 * When every equity value is a multiple of `rounding` (a column rounded to
 * cents), plus `rounding * (2 + |ret[t]|)`, what that rounding can explain.
 */
export const EQUITY_TOLERANCE = Object.freeze({ relative: 1e-6, rounding: 0.01 } as const);

interface RawRow {
  /** 1-based data row (CSV: records after the header; Parquet: row index + 1). */
  readonly row: number;
  /** month_end as written, for messages; null when the cell is missing. */
  readonly monthEnd: string | null;
  /** Calendar month already worked out (Parquet timestamps and dates); undefined: parse monthEnd. */
  readonly month?: string | null;
  readonly ret: string | number | null;
  /** undefined when the table has no equity column. */
  readonly equity?: string | number | null;
}

interface Columns {
  readonly month: number;
  readonly ret: number;
  /** -1: no equity column. */
  readonly equity: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// Shared by the sync and the streaming parser so both read a file the same way.
const CSV_OPTIONS: CsvOptions = {
  bom: true,
  trim: true,
  skip_empty_lines: true,
  relax_column_count: true, // a short row reads as missing cells, reported by name below
  relax_quotes: true, // a quote inside an unquoted cell is kept literally
  // Explicit, because csv-parse otherwise takes the first line end it meets for the whole file.
  record_delimiter: ['\r\n', '\n', '\r'],
};

/**
 * RFC 4180 CSV rows (quoted fields, doubled quotes, CRLF, a leading BOM),
 * blank lines dropped.
 * @deprecated kept for compatibility; the loader streams through csv-parse itself.
 */
export function parseCsv(text: string): string[][] {
  return csvParseSync(text, {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: CSV_OPTIONS.record_delimiter,
  }).filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Calendar month (`YYYY-MM`) of a month_end value: the month of the date as
 * written. An offset only says where the clock was; it never moves the date
 * (`2016-02-29T23:59:59-05:00` is 2016-02, not March in UTC). Accepts dates
 * and ISO date-times with or without an offset. Returns null when it is not a
 * real date.
 */
export function parseMonth(value: string): string | null {
  const m = DATE_RE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', tz] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate())
    return null;
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 60) return null;
  if (tz && tz !== 'Z') {
    const digits = tz.slice(1).replace(':', '');
    if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2) || '0') > 59) return null;
  }
  return `${y}-${mo}`;
}

const MONTH_HINTS = ['month_end', 'date', 'month'];
const RET_HINTS = ['ret', 'return', 'returns'];
// Lower case, without separators or control characters ("Month End", "ret\u0000" -> "monthend", "ret").
const squash = (s: string) =>
  Array.from(s.toLowerCase())
    .filter((ch) => ch > ' ' && !'_.-'.includes(ch))
    .join('');

/** A header cell that is probably meant to be `want` (case, spaces, a synonym). */
function nearMatch(want: string, names: readonly string[]): string | undefined {
  const hints = (want === 'ret' ? RET_HINTS : MONTH_HINTS).map(squash);
  return names.find((n) => n !== want && hints.includes(squash(n)));
}

/** Locate month_end, ret and equity among trimmed column names; exact, case-sensitive. */
function findColumns(names: readonly string[], file: string): Columns {
  const at = (c: string) => names.flatMap((n, i) => (n === c ? [i] : []));
  for (const c of ['month_end', 'ret', 'equity']) {
    const where = at(c);
    if (where.length > 1) {
      throw new InputError(
        `${file}: column ${c} appears ${where.length} times (columns ${where.map((i) => i + 1).join(', ')}); keep one`,
        { file, field: c },
      );
    }
  }
  const missing = ['month_end', 'ret'].filter((c) => at(c).length === 0);
  if (missing.length > 0) {
    const hints = missing.flatMap((c) => {
      const near = nearMatch(c, names);
      return near === undefined ? [] : [`did you mean ${quoteValue(near)} for ${c}?`];
    });
    throw new InputError(
      `${file}: missing column ${missing.join(' and ')} (found columns: ${quoteValue(names.join(','), 120)})` +
        (hints.length > 0 ? `; ${hints.join(' ')} Names must match exactly` : ''),
      { file, field: missing[0] },
    );
  }
  return { month: at('month_end')[0], ret: at('ret')[0], equity: at('equity')[0] ?? -1 };
}

/** Bytes no text CSV holds: C0 controls other than tab, LF and CR; and DEL. Matched on a latin1 view, one char per byte. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is the point
const BINARY_RE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Refuses binary content chunk by chunk, before csv-parse can turn it into
 * cells: the first control byte ends the read with a short message that shows
 * the escaped line around it (so a NUL in the header is visible as \u0000).
 */
class BinaryScan {
  error: InputError | null = null;
  bytes = 0;
  private line = 1;
  /** Tail of the current line from earlier chunks (at most 40 bytes), for context. */
  private carry: Buffer = Buffer.alloc(0);
  private head: number[] = [];

  constructor(private readonly file: string) {}

  /** Feed the next chunk; returns true once a binary byte has been found. */
  push(chunk: Buffer): boolean {
    if (this.error) return true;
    if (this.head.length < 2) this.head.push(...chunk.subarray(0, 2 - this.head.length));
    // A regex over the latin1 view is native speed; a per-byte JS loop costs ~0.3 s on 50 MB.
    const hit = BINARY_RE.exec(chunk.toString('latin1'));
    const stop = hit ? hit.index : chunk.length;
    for (let k = chunk.indexOf(0x0a); k !== -1 && k < stop; k = chunk.indexOf(0x0a, k + 1)) this.line++;
    const nl = stop === 0 ? -1 : chunk.lastIndexOf(0x0a, stop - 1);
    if (nl !== -1) this.carry = Buffer.alloc(0);
    if (hit) {
      this.error = this.refuse(chunk, nl + 1, stop);
      return true;
    }
    const joined = Buffer.concat([this.carry, chunk.subarray(Math.max(nl + 1, chunk.length - 40))]);
    this.carry = joined.subarray(Math.max(0, joined.length - 40));
    this.bytes += chunk.length;
    return false;
  }

  private refuse(chunk: Buffer, lineStart: number, i: number): InputError {
    const before = Buffer.concat([this.carry, chunk.subarray(lineStart, i)]);
    let end = i + 1;
    while (end < chunk.length && end < i + 20 && chunk[end] !== 0x0a && chunk[end] !== 0x0d) end++;
    const context = Buffer.concat([before.subarray(Math.max(0, before.length - 40)), chunk.subarray(i, end)]);
    const at = this.bytes + i + 1;
    const hex = chunk[i].toString(16).padStart(2, '0');
    const utf16 =
      (this.head[0] === 0xff && this.head[1] === 0xfe) || (this.head[0] === 0xfe && this.head[1] === 0xff);
    const where = this.line === 1 ? 'line 1, the header' : `line ${this.line}`;
    return new InputError(
      `${this.file}: not a CSV text file (binary byte 0x${hex} at byte ${at}, ${where}: ` +
        `${quoteValue(context.toString('utf8'))})${utf16 ? '; it looks like UTF-16: save it as UTF-8' : ''}`,
      { file: this.file, field: this.line === 1 ? 'header' : undefined },
    );
  }
}

/**
 * Collects the records csv-parse hands to `on_record`: the first non-blank
 * record is the header, and of every later record only the month_end, ret and
 * equity cells are kept, so a wide extra column is dropped row by row.
 */
class CsvRows {
  columns: Columns | null = null;
  readonly rows: RawRow[] = [];
  /** Line on which the last complete record ended (for a quote left open after it). */
  lastLine = 0;

  constructor(readonly file: string) {}

  options(): CsvOptions {
    return {
      ...CSV_OPTIONS,
      on_record: (record: string[], info) => {
        this.lastLine = info.lines;
        if (record.length === 1 && record[0] === '') return null;
        if (this.columns === null)
          this.columns = findColumns(
            record.map((h) => h.trim()),
            this.file,
          );
        else {
          const c = this.columns;
          this.rows.push({
            row: this.rows.length + 1,
            monthEnd: record[c.month] ?? '',
            ret: record[c.ret] ?? '',
            equity: c.equity < 0 ? undefined : (record[c.equity] ?? ''),
          });
        }
        return null; // nothing is kept by csv-parse itself
      },
    };
  }

  /** A csv-parse failure as an InputError naming the line and data row. */
  failure(e: unknown): unknown {
    if (isInputError(e)) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || !(code.startsWith('CSV_') || code === 'INVALID_OPENING_QUOTE')) return e;
    const row = this.rows.length + (this.columns === null ? 0 : 1);
    const record = this.columns === null ? 'the header' : `data row ${row}`;
    const file = this.file;
    if (code === 'CSV_QUOTE_NOT_CLOSED') {
      return new InputError(
        `${file}: line ${this.lastLine + 1} (${record}): a quoted field is never closed (the file ends inside the quotes)`,
        { file, row: this.columns === null ? undefined : row },
      );
    }
    const line = Number((e as { lines?: unknown }).lines ?? this.lastLine + 1);
    const why =
      code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE' || code === 'CSV_INVALID_CLOSING_QUOTE'
        ? 'a closing quote is followed by other characters (write a quote inside a quoted field as "")'
        : `not valid CSV (${code})`;
    return new InputError(`${file}: line ${line} (${record}): ${why}`, {
      file,
      row: this.columns === null ? undefined : row,
    });
  }

  table(bytes: number, opts: ParseOptions): SleeveTable {
    const file = this.file;
    if (bytes === 0 || this.columns === null)
      throw new InputError(`${file}: the file is empty (expected a header with month_end and ret)`, { file });
    return validateRows(this.rows, file, opts.name, opts.sha256 ?? '', 'data row', this.columns.equity >= 0);
  }
}

type Where = { where: string; file: string; row: number };

function missingValue(w: Where, field: string, what = ''): InputError {
  return new InputError(`${w.where}, field ${field}: the value is missing${what}`, {
    file: w.file,
    row: w.row,
    field,
  });
}

/** A ret or equity cell as a finite number. */
function readNumber(v: string | number | null, w: Where, field: string, what: string): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else if (v === null || v.trim() === '') throw missingValue(w, field, what);
  else {
    const s = v.trim();
    if (!NUMBER_RE.test(s)) {
      const kind = /^[+-]?(nan|inf|infinity)$/i.test(s)
        ? 'is not a finite number'
        : s.endsWith('%')
          ? 'is not a number (write 0.05 for +5%, without a % sign)'
          : 'is not a number';
      throw new InputError(`${w.where}, field ${field}: ${quoteValue(s)} ${kind}`, {
        file: w.file,
        row: w.row,
        field,
      });
    }
    x = Number(s);
    if (!Number.isFinite(x))
      throw new InputError(`${w.where}, field ${field}: ${quoteValue(s)} is not a finite number`, {
        file: w.file,
        row: w.row,
        field,
      });
  }
  if (!Number.isFinite(x))
    throw new InputError(`${w.where}, field ${field}: ${String(x)} is not a finite number`, {
      file: w.file,
      row: w.row,
      field,
    });
  return x;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 === 1 ? s[k] : (s[k - 1] + s[k]) / 2;
}

const fmt = (x: number) => String(Number(x.toPrecision(10)));

function validateRows(
  raw: readonly RawRow[],
  source: string,
  name: string,
  sha256: string,
  rowLabel: string,
  hasEquity: boolean,
): SleeveTable {
  const file = source;
  if (raw.length === 0) throw new InputError(`${file}: no data rows (the table is empty)`, { file });
  // 1. Every cell on its own, in file order.
  const parsed = raw.map((r) => {
    const w: Where = { where: `${file}: ${rowLabel} ${r.row}`, file, row: r.row };
    let month: string | null;
    if (r.monthEnd === null || r.monthEnd.trim() === '') throw missingValue(w, 'month_end');
    if (r.month !== undefined) month = r.month;
    else month = parseMonth(r.monthEnd);
    if (month === null) {
      throw new InputError(
        `${w.where}, field month_end: cannot parse ${quoteValue(r.monthEnd.trim())} as a date (expected YYYY-MM-DD or an ISO date-time)`,
        { file, row: r.row, field: 'month_end' },
      );
    }
    const ret = readNumber(r.ret, w, 'ret', ' (empty returns are not read as 0)');
    let equity = Number.NaN;
    if (hasEquity) {
      equity = readNumber(r.equity ?? null, w, 'equity', '');
      if (equity <= 0)
        throw new InputError(`${w.where}, field equity: ${fmt(equity)} is not positive`, {
          file: w.file,
          row: w.row,
          field: 'equity',
        });
    }
    return { row: r.row, month, ret, equity };
  });
  // 2. Units before bounds: a percent table would otherwise be reported as one "impossible" row.
  const med = median(parsed.map((r) => Math.abs(r.ret)));
  if (med > PERCENT_UNITS_RULE.medianAbsRetAbove) {
    throw new InputError(
      `${file}: field ret looks like percent, not fractions (median |ret| is ${fmt(med)}, above ${PERCENT_UNITS_RULE.medianAbsRetAbove}); divide the returns by 100 (0.05 means +5%)`,
      { file, field: 'ret' },
    );
  }
  // 3. Plausibility of each return, in file order.
  for (const r of parsed) {
    const where = `${file}: ${rowLabel} ${r.row}, field ret`;
    if (r.ret <= RETURN_BOUNDS.min) {
      throw new InputError(
        `${where}: ${fmt(r.ret)} is a loss of 100% or more (returns must be > ${RETURN_BOUNDS.min})`,
        { file, row: r.row, field: 'ret' },
      );
    }
    if (r.ret > RETURN_BOUNDS.max) {
      throw new InputError(
        `${where}: ${fmt(r.ret)} is a gain above +${RETURN_BOUNDS.max * 100}% in one month (returns must be <= ${RETURN_BOUNDS.max}); percent values must be divided by 100`,
        { file, row: r.row, field: 'ret' },
      );
    }
  }
  // 4. Unsorted input is fine: sort by month (stable, so a duplicate names its rows in file order).
  const sorted = [...parsed].sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : a.row - b.row));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].month === sorted[i - 1].month) {
      throw new InputError(
        `${file}: duplicate month ${sorted[i].month}: ${rowLabel}s ${sorted[i - 1].row} and ${sorted[i].row} fall in the same calendar month`,
        { file, row: sorted[i].row, field: 'month_end' },
      );
    }
  }
  // 5. equity[t] / equity[t-1] - 1 is ret[t] on the same row (as Step 3 writes it); a gap in the
  // months spans several returns, so only consecutive months are compared.
  if (hasEquity) {
    // An equity column rounded to `rounding` (cents) gets the slack that rounding explains; a
    // column at full precision (e.g. a curve starting at 1.0) gets none.
    const step = EQUITY_TOLERANCE.rounding;
    const rounded = sorted.every((r) => Math.abs(r.equity / step - Math.round(r.equity / step)) < 1e-6);
    for (let i = 1; i < sorted.length; i++) {
      const [p, r] = [sorted[i - 1], sorted[i]];
      if (r.month !== nextMonth(p.month)) continue;
      const implied = r.equity / p.equity - 1;
      const expected = p.equity * (1 + r.ret);
      const slack = EQUITY_TOLERANCE.relative * expected + (rounded ? step * (2 + Math.abs(r.ret)) : 0);
      if (!(Math.abs(r.equity - expected) <= slack)) {
        throw new InputError(
          `${file}: ${rowLabel} ${r.row}, field equity: ${fmt(r.equity)} / ${fmt(p.equity)} (${rowLabel} ${p.row}) - 1 = ${fmt(implied)}, but ret is ${fmt(r.ret)} (equity and ret disagree in ${r.month})`,
          { file, row: r.row, field: 'equity' },
        );
      }
    }
  }
  return {
    name,
    source,
    sha256,
    months: sorted.map((r) => r.month),
    ret: Float64Array.from(sorted, (r) => r.ret),
  };
}

export interface ParseOptions {
  readonly source: string;
  readonly name: string;
  readonly sha256?: string;
}

/**
 * Parse a sleeve table from CSV text (columns `month_end`, `ret`, optional
 * `equity`; others ignored). Gives the same table or the same error as
 * `loadSleeveTable` on a file holding this text.
 */
export function parseSleeveCsv(text: string, opts: ParseOptions): SleeveTable {
  const bytes = Buffer.from(text, 'utf8');
  const scan = new BinaryScan(opts.source);
  if (scan.push(bytes)) throw scan.error;
  const rows = new CsvRows(opts.source);
  try {
    csvParseSync(bytes, rows.options());
  } catch (e) {
    throw rows.failure(e);
  }
  return rows.table(bytes.length, opts);
}

/** The file read error as a one-line InputError. */
function readError(path: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'file not found'
      : code === 'EISDIR'
        ? 'cannot read: it is a directory'
        : `cannot read (${code ?? String(e)})`;
  return new InputError(`${path}: ${why}`, { file: path });
}

/**
 * Stream a CSV file through csv-parse: memory grows with the rows kept, not
 * with the file. The sha256 is hashed from the same chunks. A binary byte
 * anywhere wins over a parse error (as in `parseSleeveCsv`, which scans first),
 * so after a parse error the rest of the file is still scanned.
 */
function streamCsvFile(path: string, name: string): Promise<SleeveTable> {
  return new Promise<SleeveTable>((resolve, reject) => {
    const rows = new CsvRows(path);
    const scan = new BinaryScan(path);
    const hash = createHash('sha256');
    const source = createReadStream(path);
    const parser = csvParser(rows.options());
    let parseError: unknown;
    let sourceEnded = false;
    let parserEnded = false;
    let settled = false;
    const settle = (run: () => SleeveTable) => {
      if (settled) return;
      settled = true;
      source.destroy();
      parser.destroy();
      try {
        resolve(run());
      } catch (e) {
        reject(e);
      }
    };
    const maybeDone = () => {
      if (!sourceEnded || !(parserEnded || parseError !== undefined)) return;
      settle(() => {
        if (parseError !== undefined) throw rows.failure(parseError);
        return rows.table(scan.bytes, { source: path, name, sha256: hash.digest('hex') });
      });
    };
    source.on('data', (chunk) => {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      if (scan.push(bytes)) {
        settle(() => {
          throw scan.error;
        });
      }
    });
    source.on('error', (e) =>
      settle(() => {
        throw readError(path, e);
      }),
    );
    source.on('end', () => {
      sourceEnded = true;
      maybeDone();
    });
    parser.on('error', (e) => {
      parseError = e;
      source.resume(); // pipe() paused the source on the error; keep scanning for binary bytes
      maybeDone();
    });
    parser.on('end', () => {
      parserEnded = true;
      maybeDone();
    });
    parser.resume(); // on_record keeps nothing, but the readable side must flow for 'end'
    source.pipe(parser);
  });
}

/** Time zone of a Parquet timestamp column -> the calendar month of an instant in it. */
function zoneMonth(tz: string | null | undefined, file: string): (ms: number) => string | null {
  const utcMonth = (ms: number) => {
    const t = new Date(ms);
    if (Number.isNaN(t.getTime())) return null;
    return `${String(t.getUTCFullYear()).padStart(4, '0')}-${String(t.getUTCMonth() + 1).padStart(2, '0')}`;
  };
  if (!tz || tz === 'UTC' || tz === 'Z') return utcMonth;
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (offset) {
    const minutes = (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
    return (ms) => utcMonth(ms + minutes * 60_000);
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit' });
  } catch {
    throw new InputError(
      `${file}: column month_end has time zone ${quoteValue(tz)}, which is not a known time zone`,
      { file, field: 'month_end' },
    );
  }
  return (ms) => {
    if (Number.isNaN(new Date(ms).getTime())) return null;
    const parts = format.formatToParts(ms);
    const y = parts.find((p) => p.type === 'year')?.value ?? '';
    const m = parts.find((p) => p.type === 'month')?.value ?? '';
    return `${y.padStart(4, '0')}-${m}`;
  };
}

function isStringType(t: DataType): boolean {
  const { Type } = arrow();
  return (
    t.typeId === Type.Utf8 ||
    t.typeId === Type.LargeUtf8 ||
    (t.typeId === Type.Dictionary && isStringType((t as unknown as { dictionary: DataType }).dictionary))
  );
}

/** month_end cells of a Parquet table: strings are parsed later; timestamps and dates are months now. */
function parquetMonths(table: Table, index: number, file: string): Pick<RawRow, 'monthEnd' | 'month'>[] {
  const { Type } = arrow();
  const col = table.getChildAt(index)!;
  const type = col.type as DataType & { timezone?: string | null };
  const out: Pick<RawRow, 'monthEnd' | 'month'>[] = [];
  if (isStringType(type)) {
    for (let i = 0; i < table.numRows; i++) {
      const v = col.get(i) as string | null;
      out.push({ monthEnd: v ?? null });
    }
    return out;
  }
  let monthOf: (ms: number) => string | null;
  if (type.typeId === Type.Timestamp) monthOf = zoneMonth(type.timezone, file);
  else if (type.typeId === Type.Date) monthOf = zoneMonth(null, file);
  else {
    const numeric = type.typeId === Type.Int || type.typeId === Type.Float || type.typeId === Type.Decimal;
    throw new InputError(
      `${file}: column month_end has type ${quoteValue(String(type))}${numeric ? ' (a number such as 20160229 is not a date)' : ''}; expected a timestamp, a date, or text such as 2016-02-29`,
      { file, field: 'month_end' },
    );
  }
  for (let i = 0; i < table.numRows; i++) {
    // apache-arrow hands timestamps (any unit) and dates to JS as epoch milliseconds.
    const v = col.get(i) as number | null;
    if (v === null || v === undefined) out.push({ monthEnd: null, month: null });
    else out.push({ monthEnd: String(v), month: monthOf(Number(v)) });
  }
  return out;
}

/** A numeric Parquet column (ret, equity) as JS numbers, nulls kept. */
function parquetNumbers(table: Table, index: number, field: string, file: string): (number | null)[] {
  const { Type } = arrow();
  const col = table.getChildAt(index)!;
  if (col.type.typeId !== Type.Float && col.type.typeId !== Type.Int) {
    throw new InputError(
      `${file}: column ${field} has type ${quoteValue(String(col.type))}; expected a number type`,
      { file, field },
    );
  }
  return Array.from({ length: table.numRows }, (_, i) => {
    const v = col.get(i) as number | bigint | null;
    return v === null || v === undefined ? null : Number(v);
  });
}

/** Parse a sleeve table from Parquet bytes. */
export function parseSleeveParquet(bytes: Uint8Array, opts: ParseOptions): SleeveTable {
  const file = opts.source;
  let table: Table;
  try {
    table = arrow().tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new InputError(`${file}: not a readable Parquet file (${quoteValue(why.split('\n')[0], 120)})`, {
      file,
    });
  }
  const c = findColumns(
    table.schema.fields.map((f) => f.name.trim()),
    file,
  );
  const months = parquetMonths(table, c.month, file);
  const ret = parquetNumbers(table, c.ret, 'ret', file);
  const equity = c.equity < 0 ? null : parquetNumbers(table, c.equity, 'equity', file);
  const raw: RawRow[] = months.map((m, i) => ({
    row: i + 1,
    ...m,
    ret: ret[i],
    equity: equity === null ? undefined : equity[i],
  }));
  return validateRows(raw, file, opts.name, opts.sha256 ?? '', 'row', equity !== null);
}

/** Parquet by extension, else by its magic bytes `PAR1`; anything else is read as CSV. */
async function isParquetFile(path: string): Promise<boolean> {
  if (/\.(parquet|pq)$/i.test(path)) return true;
  if (/\.csv$/i.test(path)) return false;
  let magic: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      magic = Buffer.alloc(4);
      const { bytesRead } = await handle.read(magic, 0, 4, 0);
      magic = magic.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw readError(path, e);
  }
  return magic.toString('latin1') === 'PAR1';
}

/** Read and validate a sleeve table from a CSV or Parquet file. */
export async function loadSleeveTable(path: string, name: string): Promise<SleeveTable> {
  if (!(await isParquetFile(path))) return streamCsvFile(path, name);
  await importArrow();
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
  return parseSleeveParquet(bytes, { source: path, name, sha256: sha256Hex(bytes) });
}

export interface AlignOptions {
  /** Fewest common months (default 48, docs/model/inputs.md). */
  readonly minOverlap?: number;
}

/**
 * Align N >= 2 sleeves on the calendar months they all cover
 * (docs/model/inputs.md). Inside the common range [latest first month,
 * earliest last month] every month must be in every table; fewer than
 * `minOverlap` common months is an error naming each table and its range.
 */
export function alignSleeves(tables: readonly SleeveTable[], opts: AlignOptions = {}): SleevePanel {
  const minOverlap = opts.minOverlap ?? 48;
  if (tables.length < 2)
    throw new InputError(`a run needs at least two sleeves, got ${tables.length}`, { field: 'sleeves' });
  const seen = new Map<string, SleeveTable>();
  for (const t of tables) {
    const other = seen.get(t.name);
    if (other)
      throw new InputError(
        `two sleeves are named ${t.name} (${other.source} and ${t.source}); names must be unique`,
        {
          field: 'sleeves',
        },
      );
    seen.set(t.name, t);
  }
  const firstOf = (t: SleeveTable) => t.months[0];
  const lastOf = (t: SleeveTable) => t.months[t.months.length - 1];
  const first = tables.map(firstOf).reduce((x, y) => (y > x ? y : x));
  const last = tables.map(lastOf).reduce((x, y) => (y < x ? y : x));
  const indices = tables.map((t) => new Map(t.months.map((m, i) => [m, i])));
  const months: string[] = [];
  if (first <= last) {
    for (let m = first; m <= last; m = nextMonth(m)) {
      tables.forEach((t, k) => {
        if (!indices[k].has(m)) {
          throw new InputError(
            `${t.source}: month ${m} is missing inside the range ${first} .. ${last} that all sleeves cover`,
            { file: t.source, field: 'month_end' },
          );
        }
      });
      months.push(m);
    }
  }
  if (months.length < minOverlap) {
    // Name the tables that bound the overlap first: the run is short because of them.
    const range = (t: SleeveTable) => `${basename(t.source)} (${t.name}, ${firstOf(t)} .. ${lastOf(t)})`;
    const late = tables.filter((t) => firstOf(t) === first);
    const early = tables.filter((t) => lastOf(t) === last);
    const roles = (t: SleeveTable) =>
      [
        late.length < tables.length && late.includes(t) ? 'starts last' : '',
        early.length < tables.length && early.includes(t) ? 'ends first' : '',
      ].filter(Boolean);
    const named = tables.filter((t) => roles(t).length > 0);
    const bounds = named.map((t) => `${range(t)} ${roles(t).join(' and ')}`);
    const others = tables.filter((t) => !named.includes(t));
    throw new InputError(
      `too little overlap: the ${tables.length} sleeves share ${months.length} months` +
        `${months.length > 0 ? ` (${first} .. ${last})` : ''}, at least ${minOverlap} are needed; ` +
        `${bounds.length > 0 ? bounds.join('; ') : 'every table'}` +
        `${others.length > 0 ? `; ${bounds.length > 0 ? 'the others: ' : ''}${others.map(range).join(', ')}` : ''}`,
      { field: 'sleeves' },
    );
  }
  return {
    names: tables.map((t) => t.name),
    sources: tables.map((t) => t.source),
    sha256: tables.map((t) => t.sha256),
    monthEnds: months.map(monthEndOf),
    returns: tables.map((t, k) => Float64Array.from(months, (m) => t.ret[indices[k].get(m)!])),
  };
}
