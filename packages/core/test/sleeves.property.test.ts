/**
 * Property tests of the sleeve loader: any valid table, however it is written
 * (row order, dates with or without time and offset, number formats, quoting,
 * extra columns, LF, CRLF or CR line ends, even mixed, a BOM), reads to the
 * table built directly from its values; any single corruption is refused with
 * an InputError, never another error type.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError, loadSleeveTable, parseSleeveCsv } from '../src/index.js';

interface Row {
  /** Months since 2000-01; unique within a table. */
  readonly month: number;
  readonly day: number;
  readonly time: readonly [number, number, number];
  readonly offsetMinutes: number;
  readonly dateStyle: 'date' | 'utc' | 'naive' | 'offset' | 'space';
  readonly ret: number;
  readonly exponent: boolean;
}
interface Column {
  readonly name: string;
  readonly cell: (row: number) => string;
}
interface Model {
  readonly rows: readonly Row[];
  readonly withEquity: boolean;
  readonly startEquity: number;
  readonly extras: readonly { name: string; cells: readonly string[] }[];
  readonly order: readonly number[];
  readonly padHeader: boolean;
  readonly quote: readonly boolean[];
  /** Line ends, used in turn: a file may mix them. */
  readonly eols: readonly ('\n' | '\r\n' | '\r')[];
  readonly bom: boolean;
  readonly trailingEol: boolean;
}

const MAX_ROWS = 30;
const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
const yearMonth = (m: number) => `${2000 + Math.floor(m / 12)}-${pad((m % 12) + 1)}`;
const daysIn = (m: number) => new Date(Date.UTC(2000 + Math.floor(m / 12), (m % 12) + 1, 0)).getUTCDate();

function dateText(r: Row): string {
  const date = `${yearMonth(r.month)}-${pad(Math.min(r.day, daysIn(r.month)))}`;
  const time = r.time.map((x) => pad(x)).join(':');
  const offset = `${r.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(r.offsetMinutes) / 60))}:${pad(Math.abs(r.offsetMinutes) % 60)}`;
  switch (r.dateStyle) {
    case 'date':
      return date;
    case 'utc':
      return `${date}T${time}Z`;
    case 'naive':
      return `${date}T${time}`;
    case 'offset':
      return `${date}T${time}${offset}`;
    case 'space':
      return `${date} ${time}${offset}`;
  }
}

/** Equity in month order: equity[t] = equity[t-1] * (1 + ret[t]). */
function equityOf(m: Model): Map<number, number> {
  const out = new Map<number, number>();
  let e = m.startEquity;
  for (const r of [...m.rows].sort((a, b) => a.month - b.month)) {
    e *= 1 + r.ret;
    out.set(r.month, e);
  }
  return out;
}

function columnsOf(m: Model): Column[] {
  const equity = equityOf(m);
  const cols: Column[] = [
    { name: 'month_end', cell: (i) => dateText(m.rows[i]) },
    {
      name: 'ret',
      cell: (i) => (m.rows[i].exponent ? m.rows[i].ret.toExponential() : String(m.rows[i].ret)),
    },
    ...m.extras.map((x) => ({ name: x.name, cell: (i: number) => x.cells[i] })),
  ];
  if (m.withEquity) cols.push({ name: 'equity', cell: (i) => String(equity.get(m.rows[i].month)) });
  // a stable random order of the columns
  return cols
    .map((c, k) => ({ c, key: m.order[k] }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.c);
}

const needsQuotes = (v: string) => /[",\r\n]/.test(v) || v !== v.trim();
const cellText = (v: string, quote: boolean) => (quote || needsQuotes(v) ? `"${v.replace(/"/g, '""')}"` : v);

function render(m: Model, cols = columnsOf(m), rows: readonly (readonly string[])[] | null = null): string {
  const header = cols.map((c, k) => {
    const name = m.padHeader ? ` ${c.name} ` : c.name;
    return m.padHeader ? `"${name}"` : cellText(name, m.quote[k % m.quote.length]);
  });
  const body = rows ?? m.rows.map((_, i) => cols.map((c) => c.cell(i)));
  const lines = [
    header.join(','),
    ...body.map((cells, i) => cells.map((v, k) => cellText(v, m.quote[(i + k) % m.quote.length])).join(',')),
  ];
  const eol = (i: number) => m.eols[i % m.eols.length];
  return (
    (m.bom ? '\ufeff' : '') +
    lines.map((l, i) => (i < lines.length - 1 || m.trailingEol ? l + eol(i) : l)).join('')
  );
}

/** The table the loader must produce, built directly from the model. */
function expected(m: Model, source: string) {
  const sorted = [...m.rows].sort((a, b) => a.month - b.month);
  return {
    name: 't',
    source,
    sha256: '',
    months: sorted.map((r) => yearMonth(r.month)),
    ret: Float64Array.from(sorted, (r) => r.ret),
  };
}

const retArb = fc.oneof(
  {
    arbitrary: fc.double({ min: -0.5, max: 0.5, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    weight: 8,
  },
  { arbitrary: fc.constantFrom(0, 1e-12, -0.999999, 10, 2.5, -0.75), weight: 1 },
);
const rowArb: fc.Arbitrary<Row> = fc.record({
  month: fc.integer({ min: 0, max: 59 }),
  day: fc.integer({ min: 1, max: 31 }),
  time: fc.tuple(
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 59 }),
  ),
  offsetMinutes: fc.integer({ min: -14 * 60, max: 14 * 60 }),
  dateStyle: fc.constantFrom('date', 'utc', 'naive', 'offset', 'space'),
  ret: retArb,
  exponent: fc.boolean(),
});
const extraCell = fc
  .array(fc.constantFrom('a', 'Z', '1', '.', ' ', ',', '"', '\n', '\r\n', 'é', '😀', '\t'), { maxLength: 8 })
  .map((xs) => xs.join(''));
const extraName = fc.constantFrom('pnl', 'trades', 'note', 'Ret', 'month', 'equity_usd', 'x y', '');

const modelArb: fc.Arbitrary<Model> = fc
  .record({
    rows: fc.uniqueArray(rowArb, { minLength: 1, maxLength: MAX_ROWS, selector: (r) => r.month }),
    withEquity: fc.boolean(),
    startEquity: fc.double({ min: 1, max: 1e6, noNaN: true }),
    extras: fc.array(
      fc.record({
        name: extraName,
        cells: fc.array(extraCell, { minLength: MAX_ROWS, maxLength: MAX_ROWS }),
      }),
      { maxLength: 3 },
    ),
    order: fc.array(fc.double({ noNaN: true }), { minLength: 6, maxLength: 6 }),
    padHeader: fc.boolean(),
    quote: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
    eols: fc.array(fc.constantFrom('\n' as const, '\r\n' as const, '\r' as const), {
      minLength: 1,
      maxLength: 3,
    }),
    bom: fc.boolean(),
    trailingEol: fc.boolean(),
  })
  // a sleeve in fractions: at least half its months move less than 50%
  .filter((m) => {
    const abs = m.rows.map((r) => Math.abs(r.ret)).sort((a, b) => a - b);
    const k = abs.length >> 1;
    return (abs.length % 2 === 1 ? abs[k] : (abs[k - 1] + abs[k]) / 2) <= 0.5;
  });

function expectInputError(f: () => unknown, words: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'nothing was thrown').toBeInstanceOf(InputError);
  const message = (thrown as Error).message;
  expect(message).toMatch(/^t\.csv: /);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control byte may reach the message
  expect(message).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f]/);
  expect(message.length).toBeLessThan(400);
  expect(message).toMatch(words);
}

const opts = { source: 't.csv', name: 't' };

describe('sleeve loader properties', () => {
  it('reads any valid table to the table built from its values', () => {
    fc.assert(
      fc.property(modelArb, (m) => {
        expect(parseSleeveCsv(render(m), opts)).toEqual(expected(m, 't.csv'));
      }),
      { numRuns: 200 },
    );
  });

  it('streams a file to the same table as the text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'step4-prop-'));
    let k = 0;
    await fc.assert(
      fc.asyncProperty(modelArb, async (m) => {
        const path = join(dir, `t${k++}.csv`);
        writeFileSync(path, render(m));
        const t = await loadSleeveTable(path, 't');
        expect({ ...t, sha256: '' }).toEqual(expected(m, path));
      }),
      { numRuns: 25 },
    );
  });

  type Corruption =
    | { kind: 'date'; row: number; value: string }
    | { kind: 'number'; row: number; value: string }
    | { kind: 'bound'; row: number; value: number }
    | { kind: 'duplicate-month'; row: number; day: number }
    | { kind: 'missing-column'; column: 'month_end' | 'ret'; name: string }
    | { kind: 'duplicate-column'; column: 'month_end' | 'ret' | 'equity' }
    | { kind: 'binary'; at: number; byte: number }
    | { kind: 'equity'; row: number; factor: number };

  const corruptionArb: fc.Arbitrary<Corruption> = fc.oneof(
    fc.record({
      kind: fc.constant('date' as const),
      row: fc.nat(),
      value: fc.constantFrom(
        '2016-13-45',
        '31/01/2020',
        '2016-02-30',
        'Feb 2016',
        '',
        '2016-02-29T25:00:00Z',
        '20160229',
      ),
    }),
    fc.record({
      kind: fc.constant('number' as const),
      row: fc.nat(),
      value: fc.constantFrom(
        'abc',
        '1,5',
        '5%',
        '--1',
        '0x10',
        '',
        'NaN',
        'inf',
        '-Infinity',
        '1e400',
        'nan',
      ),
    }),
    fc.record({
      kind: fc.constant('bound' as const),
      row: fc.nat(),
      value: fc.oneof(
        fc.double({ min: -1e6, max: -1, noNaN: true }),
        fc.double({ min: 10.000001, max: 1e6, noNaN: true }),
      ),
    }),
    fc.record({
      kind: fc.constant('duplicate-month' as const),
      row: fc.nat(),
      day: fc.integer({ min: 1, max: 28 }),
    }),
    fc.record({
      kind: fc.constant('missing-column' as const),
      column: fc.constantFrom('month_end' as const, 'ret' as const),
      name: fc.constantFrom('Ret', 'return', 'month end', 'date', 'x', ''),
    }),
    fc.record({
      kind: fc.constant('duplicate-column' as const),
      column: fc.constantFrom('month_end' as const, 'ret' as const, 'equity' as const),
    }),
    fc.record({
      kind: fc.constant('binary' as const),
      at: fc.nat(),
      byte: fc.oneof(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 11, max: 12 }),
        fc.integer({ min: 14, max: 31 }),
        fc.constant(127),
      ),
    }),
    fc.record({
      kind: fc.constant('equity' as const),
      row: fc.nat(),
      factor: fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
    }),
  );

  it('refuses any single corruption with an InputError', () => {
    fc.assert(
      fc.property(modelArb, corruptionArb, (m, c) => {
        const cols = columnsOf(m);
        const rows = m.rows.map((_, i) => cols.map((col) => col.cell(i)));
        const iMonth = cols.findIndex((col) => col.name === 'month_end');
        const iRet = cols.findIndex((col) => col.name === 'ret');
        const n = m.rows.length;
        let text: string;
        let words: RegExp;
        switch (c.kind) {
          case 'date':
            rows[c.row % n][iMonth] = c.value;
            words = /field month_end: (cannot parse|the value is missing)/;
            break;
          case 'number':
            rows[c.row % n][iRet] = c.value;
            words = /field ret: (.* is not a (finite )?number|the value is missing)/;
            break;
          case 'bound':
            rows[c.row % n][iRet] = String(c.value);
            words = /field ret(: .* (loss|gain) | looks like percent)/;
            break;
          case 'duplicate-month': {
            const r = m.rows[c.row % n];
            rows.push([...rows[c.row % n]]);
            rows[n][iMonth] = `${yearMonth(r.month)}-${pad(c.day)}`;
            rows[n][iRet] = '0.01'; // a small return, so the units check cannot fire first
            words = new RegExp(`duplicate month ${yearMonth(r.month)}`);
            break;
          }
          case 'missing-column': {
            const renamed = cols.map((col) => (col.name === c.column ? { ...col, name: c.name } : col));
            text = render(m, renamed, rows);
            expectInputError(() => parseSleeveCsv(text, opts), new RegExp(`missing column .*${c.column}`));
            return;
          }
          case 'duplicate-column': {
            fc.pre(c.column !== 'equity' || m.withEquity);
            const k = cols.findIndex((col) => col.name === c.column);
            const twice = [...cols, cols[k]];
            text = render(
              m,
              twice,
              rows.map((r) => [...r, r[k]]),
            );
            expectInputError(
              () => parseSleeveCsv(text, opts),
              new RegExp(`column ${c.column} appears 2 times`),
            );
            return;
          }
          case 'binary': {
            const clean = render(m, cols, rows);
            const at = c.at % (clean.length + 1);
            text = clean.slice(0, at) + String.fromCharCode(c.byte) + clean.slice(at);
            expectInputError(() => parseSleeveCsv(text, opts), /not a CSV text file \(binary byte 0x/);
            return;
          }
          case 'equity': {
            fc.pre(m.withEquity);
            // the later month of a pair of consecutive months, so the check applies
            const months = new Set(m.rows.map((r) => r.month));
            const later = m.rows.map((r, i) => (months.has(r.month - 1) ? i : -1)).filter((i) => i >= 0);
            fc.pre(later.length > 0);
            const i = later[c.row % later.length];
            const iEq = cols.findIndex((col) => col.name === 'equity');
            rows[i][iEq] = String(Number(rows[i][iEq]) * (1 + c.factor));
            words = /field equity: .* but ret is /;
            break;
          }
        }
        text = render(m, cols, rows);
        expectInputError(() => parseSleeveCsv(text, opts), words);
      }),
      { numRuns: 400 },
    );
  });
});
