/**
 * The embedded single-asset sleeves (`data/sleeve_{spy,qqq,btc,eth}_monthly.csv`) are exactly the
 * tables derived from `data/prices_monthly.csv` (re-derived here, independently of
 * scripts/derive-single-asset-sleeves.mjs), and the combined sleeves (`sleeve_spyqqq`, `sleeve_btceth`)
 * are the 50/50 mixes of those single-asset returns. Plain file reads; the CLI is not involved.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dataFile = (name: string) => readFileSync(new URL(`../data/${name}`, import.meta.url), 'utf8');

const HEADER = 'month_end,ret,equity,pnl,trades';

interface Row {
  month_end: string;
  ret: number;
  equity: number;
  pnl: number;
  trades: number;
}

/** Month-end closes of one column of prices_monthly.csv, skipping empty cells. */
function closes(asset: string): { month: string; price: number }[] {
  const [head, ...lines] = dataFile('prices_monthly.csv').trimEnd().split('\n');
  const col = head!.split(',').indexOf(asset);
  expect(col, `column ${asset}`).toBeGreaterThan(0);
  const out: { month: string; price: number }[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    const cell = cells[col] ?? '';
    if (cell !== '') out.push({ month: cells[0]!, price: Number(cell) });
  }
  return out;
}

/** The Step 3 table of one asset: simple month-end returns, equity carried forward from 10000. */
function derive(asset: string): Row[] {
  const p = closes(asset);
  const rows: Row[] = [];
  let equity = 10000;
  for (let i = 1; i < p.length; i++) {
    const ret = p[i]!.price / p[i - 1]!.price - 1;
    const before = equity;
    equity *= 1 + ret;
    rows.push({ month_end: `${p[i]!.month}T00:00:00Z`, ret, equity, pnl: equity - before, trades: 0 });
  }
  return rows;
}

/** The lines of a shipped table, header checked, one trailing newline, no CR. */
function lines(text: string): string[] {
  expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
  expect(text.includes('\r')).toBe(false);
  const [head, ...rest] = text.slice(0, -1).split('\n');
  expect(head).toBe(HEADER);
  return rest;
}

function parse(text: string): Row[] {
  return lines(text).map((line) => {
    const [month_end, ret, equity, pnl, trades] = line.split(',');
    return {
      month_end: month_end!,
      ret: Number(ret),
      equity: Number(equity),
      pnl: Number(pnl),
      trades: Number(trades),
    };
  });
}

/**
 * Every difference between a shipped table and the expected rows: the text of each row must be the
 * expected values written in shortest round-trip form (so it parses to the same doubles and has no
 * other spelling of them).
 */
function mismatches(text: string, expected: Row[]): string[] {
  const got = lines(text);
  const out: string[] = [];
  if (got.length !== expected.length) out.push(`${got.length} rows, expected ${expected.length}`);
  for (let i = 0; i < Math.min(got.length, expected.length); i++) {
    const e = expected[i]!;
    const want = `${e.month_end},${String(e.ret)},${String(e.equity)},${String(e.pnl)},${e.trades}`;
    if (got[i] !== want) out.push(`row ${i + 1}: ${got[i]} != ${want}`);
  }
  return out;
}

/** Relative difference, exact zero when both are equal (including both zero). */
const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

const SINGLE = [
  { asset: 'SPY', file: 'sleeve_spy_monthly.csv', rows: 120, first: '2016-02-29', last: '2026-01-31' },
  { asset: 'QQQ', file: 'sleeve_qqq_monthly.csv', rows: 120, first: '2016-02-29', last: '2026-01-31' },
  { asset: 'BTC', file: 'sleeve_btc_monthly.csv', rows: 159, first: '2013-05-31', last: '2026-07-31' },
  { asset: 'ETH', file: 'sleeve_eth_monthly.csv', rows: 131, first: '2015-09-30', last: '2026-07-31' },
];

describe('embedded single-asset sleeves', () => {
  for (const s of SINGLE) {
    it(`${s.file} is the ${s.asset} table derived from prices_monthly.csv, row for row`, () => {
      const expected = derive(s.asset);
      const text = dataFile(s.file);
      expect(mismatches(text, expected)).toEqual([]);

      // The same, field by field on the parsed values (exact doubles).
      const got = parse(text);
      expect(got).toHaveLength(expected.length);
      for (let i = 0; i < got.length; i++) {
        const g = got[i]!;
        const e = expected[i]!;
        expect(g.month_end, `row ${i + 1}`).toBe(e.month_end);
        expect(Object.is(g.ret, e.ret), `ret row ${i + 1}`).toBe(true);
        expect(Object.is(g.equity, e.equity), `equity row ${i + 1}`).toBe(true);
        expect(Object.is(g.pnl, e.pnl), `pnl row ${i + 1}`).toBe(true);
        expect(g.trades, `trades row ${i + 1}`).toBe(0);
      }

      // Documented size and range (SOURCES.md); contiguous calendar month-ends.
      expect(got).toHaveLength(s.rows);
      expect(got[0]!.month_end).toBe(`${s.first}T00:00:00Z`);
      expect(got.at(-1)!.month_end).toBe(`${s.last}T00:00:00Z`);
      const [y0, m0] = s.first.split('-').map(Number) as [number, number];
      got.forEach((r, i) => {
        const end = new Date(Date.UTC(y0, m0 + i, 0)).toISOString().replace('.000Z', 'Z');
        expect(r.month_end, `row ${i + 1}`).toBe(end);
        expect(r.ret).toBeGreaterThan(-1);
      });
    });
  }

  it('the comparison catches a single changed digit', () => {
    const expected = derive('SPY');
    const text = dataFile('sleeve_spy_monthly.csv');
    const at = text.indexOf('\n', text.length / 2) - 4; // in the pnl of a middle row (line ends "<pnl>,0")
    const digit = text[at]!;
    expect(digit).toMatch(/[0-9]/);
    const changed = text.slice(0, at) + String((Number(digit) + 1) % 10) + text.slice(at + 1);
    expect(mismatches(changed, expected)).toHaveLength(1);
  });
});

describe('combined sleeves are the 50/50 mixes of the single-asset sleeves', () => {
  const mixes = [
    { file: 'sleeve_spyqqq_monthly.csv', legs: ['sleeve_spy_monthly.csv', 'sleeve_qqq_monthly.csv'] },
    { file: 'sleeve_btceth_monthly.csv', legs: ['sleeve_btc_monthly.csv', 'sleeve_eth_monthly.csv'] },
  ];
  for (const m of mixes) {
    it(`${m.file} = 0.5 * ${m.legs[0]} + 0.5 * ${m.legs[1]} (within 1e-15 relative)`, () => {
      const [a, b] = m.legs.map((f) => new Map(parse(dataFile(f)).map((r) => [r.month_end, r.ret])));
      const months = [...a!.keys()].filter((k) => b!.has(k));
      const combined = parse(dataFile(m.file));
      expect(combined.map((r) => r.month_end)).toEqual(months);
      let equity = 10000;
      combined.forEach((r, i) => {
        const ret = 0.5 * a!.get(r.month_end)! + 0.5 * b!.get(r.month_end)!;
        const before = equity;
        equity *= 1 + ret;
        expect(rel(r.ret, ret), `ret ${r.month_end}`).toBeLessThanOrEqual(1e-15);
        expect(rel(r.equity, equity), `equity ${r.month_end}`).toBeLessThanOrEqual(1e-15);
        // pnl is a difference of two equities: compare it on the scale of the equity.
        expect(Math.abs(r.pnl - (equity - before)) / equity, `pnl ${r.month_end}`).toBeLessThanOrEqual(1e-15);
        expect(r.trades, `trades ${i + 1}`).toBe(0);
      });
    });
  }

  it('the common overlap of the four single-asset sleeves is 120 months, 2016-02 .. 2026-01', () => {
    const sets = SINGLE.map((s) => parse(dataFile(s.file)).map((r) => r.month_end));
    const common = sets[0]!.filter((k) => sets.every((set) => set.includes(k)));
    expect(common).toHaveLength(120);
    expect(common[0]).toBe('2016-02-29T00:00:00Z');
    expect(common.at(-1)).toBe('2026-01-31T00:00:00Z');
  });

  it('the package ships data/', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.files).toContain('data');
  });
});
