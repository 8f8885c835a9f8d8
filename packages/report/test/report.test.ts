import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  type ChartInput,
  monthlyTableToParquet,
  pathTableToParquet,
  readParquetTable,
  renderPortfolioChart,
  stableJson,
  type OutputFolder,
  OUTPUT_MARKER,
  checkOutDir,
  writeOutputFolder,
} from '../src/index.js';

const months = ['2020-01-31', '2020-02-29', '2020-03-31'];
const f = (...x: number[]) => Float64Array.from(x);

describe('Parquet tables (docs/model/outputs.md)', () => {
  it('writes the monthly table with equity and pnl compounded from the start capital', () => {
    const bytes = monthlyTableToParquet(
      {
        monthEnds: months,
        retNet: f(0.1, -0.2, 0.05),
        weights: [f(0.5, 0.6, 0.7), f(0.5, 0.4, 0.3)],
        grossLeverage: f(1, 1.1, 1),
      },
      ['spyqqq', 'btceth'],
      1000,
    );
    const t = readParquetTable(bytes);
    expect(t.fields.map((x) => `${x.name}:${x.type}`)).toEqual([
      'month_end:Timestamp<MILLISECOND, UTC>',
      'ret:Float64',
      'equity:Float64',
      'pnl:Float64',
      'weight_spyqqq:Float64',
      'weight_btceth:Float64',
      'gross_leverage:Float64',
    ]);
    expect(t.columns.month_end).toEqual(months);
    const eq = t.columns.equity as Float64Array;
    expect(eq[0]).toBeCloseTo(1100, 10);
    expect(eq[1]).toBeCloseTo(880, 10);
    expect(eq[2]).toBeCloseTo(924, 10);
    expect(Array.from(t.columns.pnl as Float64Array).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([
      100, -220, 44,
    ]);
  });

  it('round-trips a path table bit for bit, extra columns sorted, and writes the same bytes twice', () => {
    const col = (k: number) => Float64Array.from(months, (_, i) => Math.sin(i + k) / 3);
    const path = {
      monthEnds: months,
      sleeveReturns: [col(1), col(2)],
      weights: [col(3), col(4)],
      grossLeverage: col(5),
      retGross: col(6),
      cost: col(7),
      retNet: col(8),
      turnoverAbs: col(9),
      policyWRaw: [col(10), col(10).map((x) => 1 - x)],
      policyConf: col(11),
      extra: { mu_b: col(12), mu_a: col(13) },
    };
    const bytes = pathTableToParquet(path, ['x', 'y']);
    expect(Buffer.from(pathTableToParquet(path, ['x', 'y'])).equals(Buffer.from(bytes))).toBe(true);
    const t = readParquetTable(bytes);
    expect(Object.keys(t.columns)).toEqual([
      'month_end',
      'ret_x',
      'ret_y',
      'weight_x',
      'weight_y',
      'gross_leverage',
      'ret_gross',
      'cost',
      'ret_net',
      'turnover_abs',
      'policy_w_raw',
      'policy_conf',
      'mu_a',
      'mu_b',
    ]);
    expect(Array.from(t.columns.policy_conf as Float64Array)).toEqual(Array.from(path.policyConf));
    expect(Array.from(t.columns.mu_a as Float64Array)).toEqual(Array.from(path.extra.mu_a));
  });
});

describe('output folders (writeOutputFolder)', () => {
  const fillWith =
    (files: Record<string, string>, fail?: Error) =>
    async ({ dir, step }: OutputFolder) => {
      for (const [name, text] of Object.entries(files)) {
        writeFileSync(join(dir, name), text);
        await step();
      }
      if (fail) throw fail;
    };

  it('replaces an earlier step4 folder only when the new one is complete', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'step4-atomic-'));
    const out = join(parent, 'out');
    await writeOutputFolder(out, fillWith({ 'old.txt': 'old' }));
    await expect(
      writeOutputFolder(out, fillWith({ 'half.txt': 'half' }, new Error('disk full'))),
    ).rejects.toThrow('disk full');
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'old.txt']);
    await writeOutputFolder(out, fillWith({ 'new.txt': 'new' }));
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'new.txt']);
    expect(JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')).files).toEqual(['new.txt']);
  });

  it('never replaces a folder holding files step4 did not write', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'step4-atomic-'));
    const out = join(parent, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await expect(writeOutputFolder(out, fillWith({ 'a.txt': 'a' }))).rejects.toThrow('notes.txt');
    await expect(checkOutDir(out)).rejects.toThrow('did not write');
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('leaves no parent folder behind when a first run fails, and keeps what others wrote there', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'step4-atomic-'));
    await expect(writeOutputFolder(join(parent, 'a', 'b'), fillWith({}, new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(readdirSync(parent)).toEqual([]);
    // Another process writes into the created parent meanwhile: it must survive the failure.
    await expect(
      writeOutputFolder(join(parent, 'a', 'b'), async () => {
        writeFileSync(join(parent, 'a', 'theirs.txt'), 'theirs');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readdirSync(join(parent, 'a'))).toEqual(['theirs.txt']);
  });

  it('stops between files when aborted and removes its temporary folder', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'step4-atomic-'));
    const out = join(parent, 'out');
    await writeOutputFolder(out, fillWith({ 'old.txt': 'old' }));
    const controller = new AbortController();
    await expect(
      writeOutputFolder(
        out,
        async ({ dir, step }) => {
          writeFileSync(join(dir, 'one.txt'), '1');
          controller.abort(new Error('stop'));
          await step();
          writeFileSync(join(dir, 'two.txt'), '2');
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('stop');
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'old.txt']);
  });
});

describe('JSON', () => {
  it('writes 1-space indented JSON with a trailing newline, and refuses NaN naming the place', () => {
    expect(stableJson({ a: 1, b: [null, 2] })).toBe('{\n "a": 1,\n "b": [\n  null,\n  2\n ]\n}\n');
    expect(() => stableJson({ b: [Number.NaN] }, 'x.json')).toThrow(/x\.json: b\[0\] is NaN/);
  });
});

describe('portfolio chart (docs/model/outputs.md)', () => {
  it('renders four panels into a PNG with content in each band', async () => {
    const n = 60;
    const monthEnds = Array.from({ length: n }, (_, i) =>
      new Date(Date.UTC(2020, i + 1, 0)).toISOString().slice(0, 10),
    );
    const r = (k: number) => Float64Array.from({ length: n }, (_, i) => 0.01 + 0.05 * Math.sin(i / k));
    const equity = (x: Float64Array) => {
      let e = 10_000;
      return x.map((v) => (e *= 1 + v));
    };
    const input: ChartInput = {
      candidate: 'heuristic_lb6_g1_0',
      objective: 'return',
      score: 12345.6,
      sleeveNames: ['spyqqq', 'btceth'],
      startCapital: 10_000,
      monthEnds,
      splitMonthEnd: monthEnds[30],
      equity: equity(r(3)),
      sleeveEquity: [equity(r(5)), equity(r(2))],
      equityEqual: equity(r(4)),
      weights: [r(7).map((v) => 0.5 + v), r(7).map((v) => 0.5 - v)],
      grossLeverage: new Float64Array(n).fill(1),
      pnl: r(3).map((v) => v * 10_000),
      stats: {
        testEndEquity: 15_000,
        testAvgMonthlyPnl: 120,
        testMaxDrawdown: 0.2,
        testCalmar: 0.8,
        avgWeights: [0.5, 0.5],
        weightStdA: 0.1,
        weightStdMean: 0.1,
        avgTurnover: 0.05,
        benchEndEquity: { sleeves: [1, 2], equal: 3 },
        correlation: Float64Array.from([1, 0.3, 0.3, 1]),
      },
    };
    const png = await renderPortfolioChart(input);
    const img = sharp(png);
    const meta = await img.metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThanOrEqual(1400);
    expect(meta.height).toBeGreaterThan(1200);
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    // Every horizontal band of 200 px holds non-white pixels (text, lines or bars).
    for (let top = 0; top + 200 <= info.height; top += 200) {
      let ink = 0;
      for (let y = top; y < top + 200; y++) {
        for (let x = 0; x < info.width; x++) {
          const p = (y * info.width + x) * info.channels;
          if (data[p] < 200 || data[p + 1] < 200 || data[p + 2] < 200) ink++;
        }
      }
      expect(ink, `band at ${top}px`).toBeGreaterThan(500);
    }
    expect(Buffer.from(await renderPortfolioChart(input)).equals(Buffer.from(png))).toBe(true);
  });
});
