/**
 * Four sleeves through the CLI (docs/model): the embedded single-asset
 * tables, every built-in family, weights on the bounded simplex every month,
 * and every N-sleeve output (tables, summaries, benchmarks, chart).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquetTable } from '@step4/report';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { step4Async } from './helpers.js';

const SLEEVES = ['spy', 'qqq', 'btc', 'eth'];
const FAMILIES = ['static', 'heuristic', 'regime_guard', 'ml_lr', 'ml_rf', 'regime_rf', 'ml_dual_ridge'];
let out: string;
let report: {
  candidates: {
    name: string;
    config: Record<string, number | string>;
    family: { name: string };
    error?: string;
  }[];
};

beforeAll(async () => {
  out = join(mkdtempSync(join(tmpdir(), 'step4-four-')), 'out');
  const r = await step4Async([
    'run-all',
    ...SLEEVES.flatMap((s) => ['--sleeve', `${s}=embedded:${s}`]),
    '--out-dir',
    out,
    '--bootstrap-samples',
    '200',
    '--quiet',
  ]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('4 sleeves spy, qqq, btc, eth: 120 aligned months');
  report = JSON.parse(readFileSync(join(out, 'return/optimization/step4_optimization_report.json'), 'utf8'));
}, 600_000);

describe('step4 run-all with four sleeves', () => {
  it('runs every family, with no failed candidate', () => {
    expect(report.candidates.filter((c) => c.error)).toEqual([]);
    expect([...new Set(report.candidates.map((c) => c.family.name))]).toEqual(FAMILIES);
    expect(report.candidates.filter((c) => c.family.name === 'static').map((c) => c.name)).toEqual([
      ...SLEEVES.map((s) => `baseline_${s}_only`),
      'baseline_equal',
      'baseline_equal_levered_115',
      'baseline_equal_levered_130',
    ]);
  });

  it('keeps every candidate on the simplex within its bounds every month', () => {
    const dir = join(out, 'return/optimization');
    const files = readdirSync(dir).filter((f) => f.endsWith('_path.parquet'));
    expect(files).toHaveLength(report.candidates.length);
    for (const c of report.candidates) {
      const t = readParquetTable(readFileSync(join(dir, `${c.name}_path.parquet`)));
      const names = t.fields.map((f) => f.name);
      for (const s of SLEEVES) expect(names).toContain(`ret_${s}`);
      for (const s of SLEEVES) expect(names).toContain(`policy_w_raw_${s}`);
      const w = SLEEVES.map((s) => t.columns[`weight_${s}`] as Float64Array);
      const turnover = t.columns.turnover_abs as Float64Array;
      for (let k = 0; k < t.numRows; k++) {
        let sum = 0;
        let move = 0;
        w.forEach((col, s) => {
          sum += col[k];
          expect(col[k], `${c.name} month ${k} sleeve ${s}`).toBeGreaterThanOrEqual(-1e-12);
          move += Math.abs(col[k] - (k === 0 ? 0.25 : col[k - 1]));
        });
        expect(Math.abs(sum - 1), `${c.name} month ${k}`).toBeLessThan(1e-12);
        // The first sleeve within [min_w, max_w]; the step limit on one-way turnover.
        expect(w[0][k]).toBeGreaterThanOrEqual(Number(c.config.min_w) - 1e-12);
        expect(w[0][k]).toBeLessThanOrEqual(Number(c.config.max_w) + 1e-12);
        expect(Math.abs(turnover[k] - 0.5 * move)).toBeLessThan(1e-12);
        expect(turnover[k]).toBeLessThanOrEqual(Number(c.config.max_step) + 1e-12);
      }
    }
  });

  it('writes per-sleeve weights, benchmarks and the correlation matrix', () => {
    const summary = JSON.parse(readFileSync(join(out, 'final/backtest/step4_summary.json'), 'utf8'));
    const metrics = summary.selected_candidate.metrics;
    const avg = SLEEVES.map((s) => metrics[`avg_weight_${s}`]);
    expect(avg.every((x) => typeof x === 'number')).toBe(true);
    expect(Math.abs(avg.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    for (const s of SLEEVES) expect(typeof metrics[`weight_std_${s}`]).toBe('number');
    expect(summary.meta.sleeves).toEqual(SLEEVES);
    const bm = summary.benchmarks;
    for (const s of SLEEVES) expect(bm[s].n_months).toBe(metrics.full.n_months);
    expect(bm.equal_weight.n_months).toBe(metrics.full.n_months);
    for (const a of SLEEVES) {
      expect(bm.correlation[a][a]).toBe(1);
      for (const b of SLEEVES) expect(bm.correlation[a][b]).toBe(bm.correlation[b][a]);
    }
    expect(bm.correlation.spy.qqq).toBeGreaterThan(0.8);
    const monthly = readParquetTable(readFileSync(join(out, 'final/backtest/step4_monthly_table.parquet')));
    expect(monthly.fields.map((f) => f.name)).toEqual([
      'month_end',
      'ret',
      'equity',
      'pnl',
      ...SLEEVES.map((s) => `weight_${s}`),
      'gross_leverage',
    ]);
  });

  it('draws the chart with stacked weights (a larger header than two sleeves)', async () => {
    const meta = await sharp(readFileSync(join(out, 'final/backtest/step4_portfolio_curve.png'))).metadata();
    expect(meta.width).toBeGreaterThanOrEqual(1400);
    expect(meta.height).toBeGreaterThan(1200);
    const html = readFileSync(join(out, 'final/step4_report.html'), 'utf8');
    expect(html).toMatch(/4 sleeves \(.*<b>spy<\/b>, .*<b>qqq<\/b>, .*<b>btc<\/b>, .*<b>eth<\/b>\)/);
  });
});
