import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
// parquet-wasm's "node" export condition loads its wasm from disk synchronously: no fetch, no init().
import { readParquet } from 'parquet-wasm';
import { InputError } from './errors.js';
import { type SleevePanel, type SleeveTable, monthEndOf, nextMonth } from './panel.js';

/**
 * Loading a "Step 3 monthly table" (spec section 1): `month_end` and `ret`
 * columns, CSV or Parquet, validated row by row. Every problem is an
 * `InputError` on one line naming the file, the row and the field.
 */

interface RawRow {
  /** 1-based data row (CSV: line number minus the header; Parquet: row index + 1). */
  readonly row: number;
  readonly monthEnd: string;
  readonly ret: string | number | null;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF, a leading BOM. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Calendar month (`YYYY-MM`) of a month_end value, in UTC. Accepts dates and
 * ISO date-times with or without an offset (none means UTC). Returns null when
 * it is not a real date.
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
  let ms = Date.UTC(year, month - 1, day, Number(hh), Number(mi), Number(ss));
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const t = new Date(ms);
  return `${String(t.getUTCFullYear()).padStart(4, '0')}-${String(t.getUTCMonth() + 1).padStart(2, '0')}`;
}

function validateRows(
  raw: readonly RawRow[],
  source: string,
  name: string,
  sha256: string,
  rowLabel: string,
): SleeveTable {
  const file = source;
  if (raw.length === 0) throw new InputError(`${file}: no data rows (the table is empty)`, { file });
  const parsed = raw.map((r) => {
    const where = `${file}: ${rowLabel} ${r.row}`;
    const month = typeof r.monthEnd === 'string' ? parseMonth(r.monthEnd) : null;
    if (month === null) {
      throw new InputError(
        `${where}, field month_end: cannot parse ${JSON.stringify(r.monthEnd)} as a date (expected YYYY-MM-DD or an ISO date-time)`,
        { file, row: r.row, field: 'month_end' },
      );
    }
    let ret: number;
    if (typeof r.ret === 'number') ret = r.ret;
    else if (r.ret === null || r.ret.trim() === '') {
      throw new InputError(`${where}, field ret: the value is missing (empty returns are not read as 0)`, {
        file,
        row: r.row,
        field: 'ret',
      });
    } else {
      const s = r.ret.trim();
      if (!NUMBER_RE.test(s)) {
        const kind = /^[+-]?(nan|inf|infinity)$/i.test(s) ? 'is not a finite number' : 'is not a number';
        throw new InputError(`${where}, field ret: ${JSON.stringify(s)} ${kind}`, {
          file,
          row: r.row,
          field: 'ret',
        });
      }
      ret = Number(s);
    }
    if (!Number.isFinite(ret)) {
      throw new InputError(`${where}, field ret: ${String(ret)} is not a finite number`, {
        file,
        row: r.row,
        field: 'ret',
      });
    }
    if (ret <= -1) {
      throw new InputError(`${where}, field ret: ${ret} is a loss of 100% or more (returns must be > -1)`, {
        file,
        row: r.row,
        field: 'ret',
      });
    }
    return { row: r.row, month, ret };
  });
  // Unsorted input is fine: sort by month (stable, so a duplicate names its rows in file order).
  const sorted = [...parsed].sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : a.row - b.row));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].month === sorted[i - 1].month) {
      throw new InputError(
        `${file}: duplicate month ${sorted[i].month}: ${rowLabel}s ${sorted[i - 1].row} and ${sorted[i].row} fall in the same calendar month`,
        { file, row: sorted[i].row, field: 'month_end' },
      );
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

/** Parse a sleeve table from CSV text (columns `month_end`, `ret`; others ignored). */
export function parseSleeveCsv(text: string, opts: ParseOptions): SleeveTable {
  const file = opts.source;
  const rows = parseCsv(text);
  if (rows.length === 0)
    throw new InputError(`${file}: the file is empty (expected a header with month_end and ret)`, { file });
  const header = rows[0].map((h) => h.trim());
  const iMonth = header.indexOf('month_end');
  const iRet = header.indexOf('ret');
  if (iMonth < 0 || iRet < 0) {
    const missing = [iMonth < 0 ? 'month_end' : '', iRet < 0 ? 'ret' : ''].filter(Boolean).join(' and ');
    throw new InputError(`${file}: missing column ${missing} (found columns: ${header.join(',')})`, {
      file,
      field: missing,
    });
  }
  const raw: RawRow[] = rows.slice(1).map((cells, k) => ({
    row: k + 1,
    monthEnd: cells[iMonth] ?? '',
    ret: cells[iRet] ?? '',
  }));
  return validateRows(raw, file, opts.name, opts.sha256 ?? '', 'data row');
}

function arrowMonthEnds(table: Table, file: string): string[] {
  const col = table.getChild('month_end')!;
  const type = String(col.type);
  const out: string[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const v = col.get(i) as unknown;
    if (v === null || v === undefined) out.push('');
    else if (typeof v === 'string') out.push(v);
    else if (v instanceof Date) out.push(v.toISOString());
    else if (typeof v === 'number' || typeof v === 'bigint') {
      // apache-arrow hands timestamps and dates to JS as epoch milliseconds.
      const ms = Number(v);
      out.push(Number.isFinite(ms) ? new Date(ms).toISOString() : '');
    } else {
      throw new InputError(
        `${file}: column month_end has type ${type}; expected a timestamp, a date or a string`,
        { file, field: 'month_end' },
      );
    }
  }
  return out;
}

/** Parse a sleeve table from Parquet bytes. */
export function parseSleeveParquet(bytes: Uint8Array, opts: ParseOptions): SleeveTable {
  const file = opts.source;
  let table: Table;
  try {
    table = tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new InputError(`${file}: not a readable Parquet file (${why.split('\n')[0]})`, { file });
  }
  const names = table.schema.fields.map((f) => f.name);
  const missing = ['month_end', 'ret'].filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new InputError(
      `${file}: missing column ${missing.join(' and ')} (found columns: ${names.join(',')})`,
      { file, field: missing[0] },
    );
  }
  const retCol = table.getChild('ret')!;
  const retType = String(retCol.type);
  if (!/^(Float|Int|Uint)/i.test(retType)) {
    throw new InputError(`${file}: column ret has type ${retType}; expected a number type`, {
      file,
      field: 'ret',
    });
  }
  const months = arrowMonthEnds(table, file);
  const raw: RawRow[] = months.map((m, i) => {
    const v = retCol.get(i) as unknown;
    return { row: i + 1, monthEnd: m, ret: v === null || v === undefined ? null : Number(v) };
  });
  return validateRows(raw, file, opts.name, opts.sha256 ?? '', 'row');
}

function isParquet(path: string, bytes: Uint8Array): boolean {
  if (/\.(parquet|pq)$/i.test(path)) return true;
  if (/\.csv$/i.test(path)) return false;
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31
  );
}

/** Read and validate a sleeve table from a CSV or Parquet file. */
export async function loadSleeveTable(path: string, name: string): Promise<SleeveTable> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'cannot read: it is a directory'
          : `cannot read (${code ?? String(e)})`;
    throw new InputError(`${path}: ${why}`, { file: path });
  }
  const opts = { source: path, name, sha256: sha256Hex(bytes) };
  if (isParquet(path, bytes)) return parseSleeveParquet(bytes, opts);
  if (bytes.length === 0)
    throw new InputError(`${path}: the file is empty (expected a header with month_end and ret)`, {
      file: path,
    });
  return parseSleeveCsv(new TextDecoder('utf-8').decode(bytes), opts);
}

export interface AlignOptions {
  /** Fewest common months (default 48, spec section 1). */
  readonly minOverlap?: number;
}

/**
 * Align two sleeves on their common calendar months (spec section 1). Inside
 * the common range [latest first month, earliest last month] every month must
 * be in both tables.
 */
export function alignSleeves(a: SleeveTable, b: SleeveTable, opts: AlignOptions = {}): SleevePanel {
  const minOverlap = opts.minOverlap ?? 48;
  const first = a.months[0] > b.months[0] ? a.months[0] : b.months[0];
  const last =
    a.months[a.months.length - 1] < b.months[b.months.length - 1]
      ? a.months[a.months.length - 1]
      : b.months[b.months.length - 1];
  const indexA = new Map(a.months.map((m, i) => [m, i]));
  const indexB = new Map(b.months.map((m, i) => [m, i]));
  const months: string[] = [];
  if (first <= last) {
    for (let m = first; m <= last; m = nextMonth(m)) {
      for (const [t, index] of [
        [a, indexA],
        [b, indexB],
      ] as const) {
        if (!index.has(m)) {
          throw new InputError(
            `${t.source}: month ${m} is missing inside the range ${first} .. ${last} that both sleeves cover`,
            { file: t.source, field: 'month_end' },
          );
        }
      }
      months.push(m);
    }
  }
  if (months.length < minOverlap) {
    throw new InputError(
      `too little overlap: ${basename(a.source)} and ${basename(b.source)} share ${months.length} months` +
        `${months.length > 0 ? ` (${first} .. ${last})` : ''}, at least ${minOverlap} are needed`,
    );
  }
  return {
    names: [a.name, b.name],
    sources: [a.source, b.source],
    sha256: [a.sha256, b.sha256],
    monthEnds: months.map(monthEndOf),
    retA: Float64Array.from(months, (m) => a.ret[indexA.get(m)!]),
    retB: Float64Array.from(months, (m) => b.ret[indexB.get(m)!]),
  };
}
