import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Table as WasmTable, writeParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import {
  InputError,
  alignSleeves,
  loadSleeveTable,
  parseMonth,
  parseSleeveCsv,
  parseSleeveParquet,
} from '../src/index.js';

const data = (f: string) => fileURLToPath(new URL(`../../cli/data/${f}`, import.meta.url));
const csv = (rows: string[]) => ['month_end,ret', ...rows].join('\n');
const opts = { source: 't.csv', name: 't' };

function monthsFrom(y: number, m: number, n: number, day: (y: number, m: number) => number) {
  return Array.from({ length: n }, (_, k) => {
    const yy = y + Math.floor((m - 1 + k) / 12);
    const mm = ((m - 1 + k) % 12) + 1;
    return `${yy}-${String(mm).padStart(2, '0')}-${String(day(yy, mm)).padStart(2, '0')}`;
  });
}
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
/** Last weekday of the month (a "last business day" stamp). */
const lastWeekday = (y: number, m: number) => {
  let d = lastDay(y, m);
  while ([0, 6].includes(new Date(Date.UTC(y, m - 1, d)).getUTCDay())) d--;
  return d;
};

describe('sleeve tables (docs/model/inputs.md)', () => {
  it('reads the embedded CSV and Parquet sleeves to the same doubles', async () => {
    for (const name of ['spyqqq', 'btceth']) {
      const a = await loadSleeveTable(data(`sleeve_${name}_monthly.csv`), name);
      const b = await loadSleeveTable(data(`sleeve_${name}_monthly.parquet`), name);
      expect(b.months).toEqual(a.months);
      expect(Buffer.from(b.ret.buffer).equals(Buffer.from(a.ret.buffer))).toBe(true);
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const a = await loadSleeveTable(data('sleeve_spyqqq_monthly.csv'), 'spyqqq');
    const b = await loadSleeveTable(data('sleeve_btceth_monthly.csv'), 'btceth');
    expect([a.months.length, b.months.length]).toEqual([120, 131]);
    const panel = alignSleeves([a, b]);
    expect(panel.monthEnds.length).toBe(120);
    expect([panel.monthEnds[0], panel.monthEnds[119]]).toEqual(['2016-02-29', '2026-01-31']);
  });

  it('aligns a last-business-day table with a last-calendar-day table by calendar month', () => {
    const n = 60;
    const business = monthsFrom(2015, 1, n, lastWeekday);
    const calendar = monthsFrom(2015, 1, n, lastDay);
    expect(business).toContain('2015-05-29');
    const a = parseSleeveCsv(csv(business.map((d, i) => `${d},${0.01 * (i % 3)}`)), {
      source: 'a.csv',
      name: 'a',
    });
    const b = parseSleeveCsv(csv(calendar.map((d, i) => `${d}T00:00:00Z,${-0.01 * (i % 2)}`)), {
      source: 'b.csv',
      name: 'b',
    });
    const panel = alignSleeves([a, b]);
    expect(panel.monthEnds).toEqual(calendar);
    expect(panel.returns[0][4]).toBe(0.01);
  });

  it('sorts unsorted rows', () => {
    const t = parseSleeveCsv(csv(['2020-03-31,0.3', '2020-01-31,0.1', '2020-02-29,0.2']), opts);
    expect(t.months).toEqual(['2020-01', '2020-02', '2020-03']);
    expect(Array.from(t.ret)).toEqual([0.1, 0.2, 0.3]);
  });

  it('takes the calendar month as written, whatever the offset', () => {
    expect(parseMonth('2021-01-31T23:30:00-02:00')).toBe('2021-01');
    expect(parseMonth('2021-02-01T00:30:00+01:00')).toBe('2021-02');
    expect(parseMonth('2021-02-28 00:00:00+00:00')).toBe('2021-02');
    expect(parseMonth('2021-02-29')).toBeNull();
    expect(parseMonth('Feb 2021')).toBeNull();
  });

  it('names file, row, field and value in one line', () => {
    const bad = (rows: string[]) => () => parseSleeveCsv(csv(rows), opts);
    expect(bad(['2020-01-31,0.1', '2020-02-29,x'])).toThrow(
      't.csv: data row 2, field ret: "x" is not a number',
    );
    expect(bad(['2020-01-31,0.1', '2020-02-29,-1.5', '2020-03-31,0.02'])).toThrow(
      /data row 2, field ret: -1.5 is a loss of 100% or more/,
    );
    expect(bad(['2020-01-31,NaN'])).toThrow(/data row 1, field ret: "NaN" is not a finite number/);
    expect(bad(['2020-01-31,0.1', '2020-01-15,0.2'])).toThrow(/duplicate month 2020-01: data rows 1 and 2/);
    expect(bad(['31/01/2020,0.1'])).toThrow(/data row 1, field month_end: cannot parse "31\/01\/2020"/);
    try {
      bad(['2020-01-31,0.1', '2020-02-29,'])();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).not.toContain('\n');
      expect((e as InputError).row).toBe(2);
      expect((e as InputError).field).toBe('ret');
    }
  });

  it('names a missing month inside the common range, and too little overlap', () => {
    const full = monthsFrom(2010, 1, 60, lastDay);
    const gap = full.filter((_, i) => i !== 30);
    const a = parseSleeveCsv(csv(full.map((d) => `${d},0.01`)), { source: 'a.csv', name: 'a' });
    const b = parseSleeveCsv(csv(gap.map((d) => `${d},0.02`)), { source: 'b.csv', name: 'b' });
    expect(() => alignSleeves([a, b])).toThrow(
      `b.csv: month ${full[30].slice(0, 7)} is missing inside the range 2010-01 .. 2014-12`,
    );
    const short = parseSleeveCsv(csv(full.slice(0, 40).map((d) => `${d},0.02`)), {
      source: 'c.csv',
      name: 'c',
    });
    // The message names each table with its range, the table that cuts the overlap short first.
    expect(() => alignSleeves([a, short])).toThrow(
      /too little overlap: the 2 sleeves share 40 months .* at least 48 are needed; c\.csv \(c, 2010-01 \.\. 2013-04\) ends first; the others: a\.csv \(a, 2010-01 \.\. 2014-12\)$/,
    );
  });

  it('validates Parquet tables too: null returns and broken files', () => {
    const arrow = tableFromArrays({
      month_end: ['2020-01-31', '2020-02-29'],
      ret: Float64Array.from([0.1, Number.NaN]),
    });
    const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(arrow, 'stream')));
    expect(() => parseSleeveParquet(bytes, { source: 'p.parquet', name: 'p' })).toThrow(
      /p.parquet: row 2, field ret: NaN is not a finite number/,
    );
    const real = readFileSync(data('sleeve_spyqqq_monthly.parquet'));
    expect(() => parseSleeveParquet(real.subarray(0, 200), { source: 'cut.parquet', name: 'c' })).toThrow(
      /cut.parquet: not a readable Parquet file/,
    );
  });
});
