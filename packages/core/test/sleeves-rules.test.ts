/**
 * The loader's rules one by one: csv-parse reading (sync and streaming alike),
 * binary files, duplicate and near-miss columns, the calendar month as written
 * (CSV offsets, Parquet time zones, numeric month_end), the return bounds, the
 * percent-units check and the equity check.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type DataType,
  DateDay,
  Field,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
  makeData,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { Table as WasmTable, writeParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import {
  EQUITY_TOLERANCE,
  InputError,
  PERCENT_UNITS_RULE,
  RETURN_BOUNDS,
  loadSleeveTable,
  parseMonth,
  parseSleeveCsv,
  parseSleeveParquet,
  quoteValue,
} from '../src/index.js';

const data = (f: string) => fileURLToPath(new URL(`../../cli/data/${f}`, import.meta.url));
const opts = { source: 't.csv', name: 't' };
const tmp = mkdtempSync(join(tmpdir(), 'step4-sleeves-'));
let files = 0;
const writeTmp = (body: string | Uint8Array, ext = 'csv') => {
  const f = join(tmp, `f${files++}.${ext}`);
  writeFileSync(f, body);
  return f;
};

/** n month-end dates from January 2010. */
const months = (n: number) =>
  Array.from({ length: n }, (_, k) => {
    const y = 2010 + Math.floor(k / 12);
    const m = (k % 12) + 1;
    const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return `${y}-${String(m).padStart(2, '0')}-${d}`;
  });
const table = (rets: readonly number[], header = 'month_end,ret') =>
  [header, ...months(rets.length).map((d, i) => `${d},${rets[i]}`)].join('\n');

/** The InputError thrown by f (fails the test if f throws anything else or nothing). */
function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).not.toMatch(/[\n\r]/);
    return e as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}
async function loadError(path: string): Promise<InputError> {
  try {
    await loadSleeveTable(path, 'x');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

function parquet(fields: { name: string; type: DataType; values: ArrayLike<unknown> }[]): Uint8Array {
  const schema = new Schema(fields.map((f) => new Field(f.name, f.type, true)));
  const length = fields[0].values.length;
  const children = fields.map((f) => {
    if (f.type instanceof TimestampMillisecond || f.type instanceof Int64)
      return makeData({ type: f.type, length, data: BigInt64Array.from(f.values as bigint[]) });
    return vectorFromArray(Array.from(f.values), f.type).data[0];
  });
  const arrow = new Table(
    schema,
    new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, children })),
  );
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(arrow, 'stream')));
}
const popts = { source: 'p.parquet', name: 'p' };

describe('quoteValue', () => {
  it('JSON-quotes, escapes control and invisible characters, and cuts long values', () => {
    expect(quoteValue('ret')).toBe('"ret"');
    expect(quoteValue('a\u0000b\nc\u007f\u202e\ufeff')).toBe('"a\\u0000b\\nc\\u007f\\u202e\\ufeff"');
    expect(quoteValue('x'.repeat(100))).toBe(`"${'x'.repeat(60)}"…(100 chars)`);
    expect(quoteValue('abcdef', 3)).toBe('"abc"…(6 chars)');
    // a surrogate pair is never cut in half
    expect(quoteValue('ab😀cd', 3)).toBe('"ab"…(6 chars)');
    expect(quoteValue(12.5)).toBe('"12.5"');
    expect(quoteValue('\u0000'.repeat(1000)).length).toBeLessThan(400);
  });
});

describe('CSV through csv-parse', () => {
  it('reads quoted cells, CRLF, a BOM, padded headers and extra columns', () => {
    const text =
      '\ufeff month_end , "ret" ,note\r\n' +
      '2020-01-31,"0.01","has, a comma"\r\n' +
      '"2020-02-29", 0.02 ,"two\nlines"\r\n' +
      '\r\n' +
      '2020-03-31,-0.03,"say ""hi"""\r\n';
    const t = parseSleeveCsv(text, opts);
    expect(t.months).toEqual(['2020-01', '2020-02', '2020-03']);
    expect(Array.from(t.ret)).toEqual([0.01, 0.02, -0.03]);
  });

  it('reads a file that mixes LF, CRLF and CR line ends', () => {
    const t = parseSleeveCsv('month_end,ret\r\n2020-01-31,0.1\n2020-02-29,0.2\r2020-03-31,0.3\r\n', opts);
    expect(t.months).toEqual(['2020-01', '2020-02', '2020-03']);
    expect(Array.from(t.ret)).toEqual([0.1, 0.2, 0.3]);
  });

  it('names file and line of a CSV syntax error', () => {
    const unclosed = inputError(() =>
      parseSleeveCsv('month_end,ret\n2020-01-31,0.1\n"2020-02-29,0.2\n2020-03-31,0.3\n', opts),
    );
    expect(unclosed.message).toBe(
      't.csv: line 3 (data row 2): a quoted field is never closed (the file ends inside the quotes)',
    );
    expect(unclosed.row).toBe(2);
    const trailing = inputError(() => parseSleeveCsv('month_end,ret\n2020-01-31,"0.1"x\n', opts));
    expect(trailing.message).toMatch(/^t\.csv: line 2 \(data row 1\): a closing quote is followed/);
  });

  it('streams a file to the same table or the same error as parseSleeveCsv, and hashes its bytes', async () => {
    const texts = [
      table([0.01, -0.02, 0.03]),
      `\ufeff${table([0.01, 0.02]).replace(/\n/g, '\r\n')}\r\n`,
      'month_end,ret\n2020-01-31,0.1\n"2020-02-29,0.2\n',
      'month_end,ret\n2020-01-31,0.1\n2020-02-29,abc\n',
      'month_end,Ret\n2020-01-31,0.1\n',
      'month_end,ret\n2020-01-31,"0.1"x\n2020-02-29,0.1\u0000\n',
      'month_end,ret\n',
      '\n\n',
    ];
    for (const text of texts) {
      const path = writeTmp(text);
      const viaFile = await loadSleeveTable(path, 't').then(
        (t) => t,
        (e: unknown) => e as Error,
      );
      let direct: unknown;
      try {
        direct = parseSleeveCsv(text, { source: path, name: 't' });
      } catch (e) {
        direct = e;
      }
      if (viaFile instanceof Error) {
        expect(viaFile).toBeInstanceOf(InputError);
        expect(direct).toBeInstanceOf(InputError);
        expect(viaFile.message).toBe((direct as Error).message);
      } else {
        const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
        expect(viaFile).toEqual({ ...(direct as object), sha256: sha });
      }
    }
  });

  it('keeps memory to the cells it uses: an 18 MB file with a huge column loads in a 16 MB heap', async () => {
    // Reading the whole text into one string (the old loader) dies here with "heap out of memory".
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    expect(existsSync(dist), 'build @step4/core first (pnpm --filter @step4/core build)').toBe(true);
    const blob = 'y'.repeat(150_000);
    const rows = months(120).map((d, i) => `${d},${(i % 7) / 100},${blob}`);
    const path = writeTmp(['month_end,ret,blob', ...rows].join('\n'));
    const script = `const { loadSleeveTable } = await import(${JSON.stringify(new URL(`file://${dist}`).href)});
      const t = await loadSleeveTable(${JSON.stringify(path)}, 'b');
      console.log(t.months.length, t.ret[6], t.sha256);`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--max-old-space-size=16', '--input-type=module', '-e', script],
      { maxBuffer: 1 << 20 },
    );
    const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(stdout.trim()).toBe(`120 0.06 ${sha}`);
  });
});

describe('binary files', () => {
  it('refuses a NUL byte in one short line with its position', () => {
    const e = inputError(() => parseSleeveCsv('month_end,ret\n2020-01-31,0.1\n2020-02-29,0.\u00002\n', opts));
    expect(e.message).toBe(
      't.csv: not a CSV text file (binary byte 0x00 at byte 43, line 3: "2020-02-29,0.\\u00002")',
    );
  });

  it('shows an escaped header, not "missing column", for a NUL in the header', () => {
    const e = inputError(() => parseSleeveCsv('month_end,ret\u0000\n2020-01-31,0.1\n', opts));
    expect(e.message).toContain('line 1, the header: "month_end,ret\\u0000"');
    expect(e.message).not.toContain('missing column');
  });

  it('keeps a line of garbage short and flags UTF-16 text', async () => {
    const garbage = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 256);
    const e = await loadError(writeTmp(garbage));
    expect(e.message).toMatch(/: not a CSV text file \(binary byte 0x[0-9a-f]{2} at byte \d+/);
    expect(e.message.length).toBeLessThan(250);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control byte may reach the message
    expect(e.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const utf16 = Buffer.from('\ufeffmonth_end,ret\n', 'utf16le');
    expect((await loadError(writeTmp(utf16))).message).toMatch(/binary byte 0x00 at byte 4, .*UTF-16/);
  });

  it('refuses the embedded Parquet file renamed to .csv', async () => {
    const e = await loadError(writeTmp(readFileSync(data('sleeve_spyqqq_monthly.parquet'))));
    expect(e.message).toMatch(/not a CSV text file \(binary byte 0x/);
  });
});

describe('columns', () => {
  it('refuses a duplicate ret, month_end or equity column, naming it', () => {
    expect(inputError(() => parseSleeveCsv(table([0.1], 'month_end,ret,ret'), opts)).message).toBe(
      't.csv: column ret appears 2 times (columns 2, 3); keep one',
    );
    expect(inputError(() => parseSleeveCsv(table([0.1], 'month_end,ret, month_end'), opts)).field).toBe(
      'month_end',
    );
    expect(
      inputError(() => parseSleeveCsv(table([0.1], 'month_end,ret,equity,equity'), opts)).message,
    ).toMatch(/column equity appears 2 times/);
    const p = parquet([
      { name: 'month_end', type: new Utf8(), values: ['2020-01-31'] },
      { name: 'ret', type: new Float64(), values: [0.1] },
      { name: 'ret', type: new Float64(), values: [0.2] },
    ]);
    expect(inputError(() => parseSleeveParquet(p, popts)).message).toMatch(
      /^p\.parquet: column ret appears 2 times/,
    );
  });

  it('matches trimmed names exactly and suggests a near match', () => {
    expect(parseSleeveCsv(table([0.1], '  month_end\t,  ret  '), opts).months).toEqual(['2010-01']);
    const cased = inputError(() => parseSleeveCsv(table([0.1], 'month_end,Ret'), opts));
    expect(cased.message).toBe(
      't.csv: missing column ret (found columns: "month_end,Ret"); did you mean "Ret" for ret? Names must match exactly',
    );
    expect(inputError(() => parseSleeveCsv(table([0.1], 'month end,ret'), opts)).message).toContain(
      'did you mean "month end" for month_end?',
    );
    expect(inputError(() => parseSleeveCsv(table([0.1], 'date,pnl'), opts)).message).toMatch(
      /missing column month_end and ret .*did you mean "date" for month_end\?/,
    );
    expect(inputError(() => parseSleeveCsv(table([0.1], 'month_end,pnl'), opts)).message).not.toContain(
      'did you mean',
    );
  });
});

describe('the calendar month as written', () => {
  it('takes a CSV time stamp in its own offset; naive and Z are UTC', () => {
    expect(parseMonth('2016-02-29T23:59:59-05:00')).toBe('2016-02');
    expect(parseMonth('2016-03-01T00:30:00+14:00')).toBe('2016-03');
    expect(parseMonth('2016-02-29T23:59:59-0500')).toBe('2016-02');
    expect(parseMonth('2016-02-29T23:59:59+05')).toBe('2016-02');
    expect(parseMonth('2016-02-29T23:59:59Z')).toBe('2016-02');
    expect(parseMonth('2016-02-29 23:59:59')).toBe('2016-02');
    expect(parseMonth('2016-02-29T23:59:59+25:00')).toBeNull();
    expect(parseMonth('2016-02-29T24:00:00Z')).toBeNull();
    const t = parseSleeveCsv(
      'month_end,ret\n2016-01-31T23:59:59-05:00,0.01\n2016-02-29T23:59:59-05:00,0.02\n2016-03-31T19:00:00-05:00,0.03\n',
      opts,
    );
    expect(t.months).toEqual(['2016-01', '2016-02', '2016-03']);
  });

  // 2016-02-29 20:00 in New York is 2016-03-01 01:00 UTC.
  const nyEvening = BigInt(Date.UTC(2016, 2, 1, 1, 0, 0));
  const withTimestamps = (tz: string | null, ms: bigint[]) =>
    parquet([
      { name: 'month_end', type: new TimestampMillisecond(tz), values: ms },
      { name: 'ret', type: new Float64(), values: ms.map(() => 0.01) },
    ]);

  it('takes a Parquet timestamp in its column time zone; no zone is UTC', () => {
    const jan = BigInt(Date.UTC(2016, 0, 31, 21, 0, 0));
    expect(parseSleeveParquet(withTimestamps('America/New_York', [jan, nyEvening]), popts).months).toEqual([
      '2016-01',
      '2016-02',
    ]);
    expect(parseSleeveParquet(withTimestamps('-05:00', [nyEvening]), popts).months).toEqual(['2016-02']);
    expect(parseSleeveParquet(withTimestamps('UTC', [nyEvening]), popts).months).toEqual(['2016-03']);
    expect(parseSleeveParquet(withTimestamps(null, [nyEvening]), popts).months).toEqual(['2016-03']);
  });

  it('names an unknown time zone', () => {
    expect(
      inputError(() => parseSleeveParquet(withTimestamps('Mars/Olympus', [nyEvening]), popts)).message,
    ).toBe('p.parquet: column month_end has time zone "Mars/Olympus", which is not a known time zone');
  });

  it('reads a date32 column as dates', () => {
    const p = parquet([
      { name: 'month_end', type: new DateDay(), values: [new Date(Date.UTC(2016, 1, 29))] },
      { name: 'ret', type: new Float64(), values: [0.01] },
    ]);
    expect(parseSleeveParquet(p, popts).months).toEqual(['2016-02']);
  });

  it('refuses an integer or float month_end, naming its type', () => {
    for (const [type, values] of [
      [new Int64(), [20160229n, 20160331n]],
      [new Int32(), [20160229, 20160331]],
      [new Float64(), [20160229, 20160331]],
    ] as const) {
      const p = parquet([
        { name: 'month_end', type, values },
        { name: 'ret', type: new Float64(), values: [0.01, 0.02] },
      ]);
      const e = inputError(() => parseSleeveParquet(p, popts));
      expect(e.message).toMatch(
        new RegExp(
          `^p\\.parquet: column month_end has type "${String(type)}" \\(a number such as 20160229 is not a date\\); expected a timestamp, a date`,
        ),
      );
      expect(e.field).toBe('month_end');
    }
  });
});

describe('plausibility', () => {
  it('accepts returns up to the bound and refuses above it or at -100%', () => {
    expect(RETURN_BOUNDS).toEqual({ min: -1, max: 10 });
    const base = [0.01, 0.02, -0.01, 0.03, 0.02];
    expect(parseSleeveCsv(table([...base, RETURN_BOUNDS.max]), opts).ret[5]).toBe(10);
    const above = inputError(() => parseSleeveCsv(table([...base, 10.5]), opts));
    expect(above.message).toMatch(
      /^t\.csv: data row 6, field ret: 10\.5 is a gain above \+1000% in one month \(returns must be <= 10\)/,
    );
    expect([above.row, above.field]).toEqual([6, 'ret']);
    expect(inputError(() => parseSleeveCsv(table([...base, -1]), opts)).message).toMatch(
      /data row 6, field ret: -1 is a loss of 100% or more \(returns must be > -1\)/,
    );
    expect(parseSleeveCsv(table([...base, -0.999]), opts).ret[5]).toBe(-0.999);
  });

  it('refuses a table in percent and tells to divide by 100', () => {
    const percent = [1.7, -3.2, 0.4, 5.1, -0.8, 2.2, 3.9, -1.1, 0.6, 1.4, -2.5, 4.4];
    const e = inputError(() => parseSleeveCsv(table(percent), opts));
    expect(e.message).toMatch(
      /^t\.csv: field ret looks like percent, not fractions \(median \|ret\| is 1\.95/,
    );
    expect(e.message).toContain('divide the returns by 100');
    // the same table as fractions passes, and so does a volatile crypto-like sleeve
    expect(parseSleeveCsv(table(percent.map((x) => x / 100)), opts).months).toHaveLength(12);
    const wild = [0.45, -0.4, 0.3, -0.35, 1.3, -0.2, 0.48, 0.1, -0.45, 0.25, 0.9, -0.3];
    expect(parseSleeveCsv(table(wild), opts).months).toHaveLength(12);
    expect(PERCENT_UNITS_RULE.medianAbsRetAbove).toBe(0.5);
  });

  it('passes the real embedded sleeves (BTC+ETH included) with their equity columns', async () => {
    for (const f of ['sleeve_btceth_monthly', 'sleeve_spyqqq_monthly']) {
      const csv = await loadSleeveTable(data(`${f}.csv`), 'x');
      const pq = await loadSleeveTable(data(`${f}.parquet`), 'x');
      expect(pq.months).toEqual(csv.months);
      expect(readFileSync(data(`${f}.csv`), 'utf8').split('\n')[0]).toContain(',equity,');
    }
  });
});

describe('equity column', () => {
  const rets = [0.1, -0.05, 0.02, 0.03];
  const equityRows = (eq: readonly (number | string)[], r = rets) =>
    ['month_end,ret,equity', ...months(r.length).map((d, i) => `${d},${r[i]},${eq[i]}`)].join('\n');
  const curve = (r = rets) => {
    let e = 1000;
    return r.map((x) => {
      e *= 1 + x;
      return e;
    });
  };

  it('accepts equity[t] / equity[t-1] - 1 = ret[t] on the same row, unsorted too', () => {
    const ok = equityRows(curve()).split('\n');
    expect(parseSleeveCsv([ok[0], ok[3], ok[1], ok[4], ok[2]].join('\n'), opts).months).toHaveLength(4);
  });

  it('reports the first inconsistent row, also for ret paired with the next row', () => {
    const eq = curve();
    eq[2] *= 1.001;
    const e = inputError(() => parseSleeveCsv(equityRows(eq), opts));
    expect(e.message).toMatch(
      /^t\.csv: data row 3, field equity: .* \(data row 2\) - 1 = 0\.02102, but ret is 0\.02 /,
    );
    expect([e.row, e.field]).toEqual([3, 'equity']);
    // ret shifted by one row against equity: the common Step 3 export mistake
    const shifted = [...rets.slice(1), 0.01];
    expect(inputError(() => parseSleeveCsv(equityRows(curve(), shifted), opts)).row).toBe(2);
  });

  it('allows for an equity column rounded to cents, and only for one', () => {
    // Equity near 100 rounded to cents moves the implied return by up to about 1e-4: more than 1e-6.
    const small = [0.012345, -0.006789, 0.004321, 0.00987];
    const exact = (() => {
      let e = 100;
      return small.map((x) => (e *= 1 + x));
    })();
    const cents = exact.map((e) => (Math.round(e * 100) / 100).toFixed(2));
    expect(parseSleeveCsv(equityRows(cents, small), opts).months).toHaveLength(4);
    // The same slack is not given to a full-precision column, nor to a rounded one that is off by 1%.
    const off = exact.map((e, i) => (i === 2 ? e * 1.00005 : e));
    expect(inputError(() => parseSleeveCsv(equityRows(off, small), opts)).row).toBe(3);
    const centsOff = exact.map((e, i) => (Math.round((i === 2 ? e * 1.01 : e) * 100) / 100).toFixed(2));
    expect(inputError(() => parseSleeveCsv(equityRows(centsOff, small), opts)).row).toBe(3);
  });

  it('is within the tolerance, and skips a gap in the months', () => {
    const eq = curve();
    eq[3] *= 1 + EQUITY_TOLERANCE.relative / 10;
    expect(parseSleeveCsv(equityRows(eq), opts).months).toHaveLength(4);
    const lines = equityRows(curve()).split('\n');
    lines.splice(2, 1); // drop 2010-02: equity of 2010-03 over 2010-01 spans two returns
    expect(parseSleeveCsv(lines.join('\n'), opts).months).toEqual(['2010-01', '2010-03', '2010-04']);
  });

  it('refuses non-positive, non-finite and missing equity', () => {
    const eq = curve();
    for (const [bad, words] of [
      [0, /data row 2, field equity: 0 is not positive/],
      [-5, /data row 2, field equity: -5 is not positive/],
      ['inf', /data row 2, field equity: "inf" is not a finite number/],
      ['', /data row 2, field equity: the value is missing/],
    ] as const) {
      expect(inputError(() => parseSleeveCsv(equityRows([eq[0], bad, eq[2], eq[3]]), opts)).message).toMatch(
        words,
      );
    }
  });

  it('checks a Parquet equity column too', () => {
    const eq = curve();
    eq[1] += 1;
    const p = parquet([
      { name: 'month_end', type: new Utf8(), values: months(4) },
      { name: 'ret', type: new Float64(), values: rets },
      { name: 'equity', type: new Float64(), values: eq },
    ]);
    expect(inputError(() => parseSleeveParquet(p, popts)).message).toMatch(
      /^p\.parquet: row 2, field equity:/,
    );
  });
});
