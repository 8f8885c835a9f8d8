/**
 * End to end: `step4 run-all` on the embedded real data writes every output
 * of docs/model/outputs.md, readable, and twice the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readParquetTable } from '@step4/report';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { step4Async, withoutGenerationTime } from './helpers.js';

const OBJECTIVE_DIRS = ['return', 'balanced', 'calmar', 'robust'];
let work: string;
let first: string;
let second: string;
let jsonOut: Record<string, unknown>;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'step4-e2e-'));
  first = join(work, 'first');
  second = join(work, 'second');
  const a = await step4Async(['run-all', '--out-dir', first, '--json']);
  expect(a.code, a.stderr).toBe(0);
  jsonOut = JSON.parse(a.stdout);
  const b = await step4Async(['run-all', '--out-dir', second, '--quiet']);
  expect(b.code, b.stderr).toBe(0);
  expect(b.stdout).toContain('Promoted:');
}, 240_000);

describe('step4 run-all on the embedded data (docs/model/outputs.md)', () => {
  it('writes backtest and optimization outputs per objective, final/ and the run report', async () => {
    const all = files(first);
    for (const dir of [...OBJECTIVE_DIRS, 'final']) {
      for (const f of [
        'backtest/step4_portfolio_curve.png',
        'backtest/step4_monthly_table.parquet',
        'backtest/step4_summary.json',
        'optimization/step4_optimization_report.json',
      ]) {
        expect(all).toContain(`${dir}/${f}`);
      }
      expect(
        all.filter((f) => f.startsWith(`${dir}/optimization/`) && f.endsWith('_path.parquet')).length,
      ).toBe(59);
    }
    expect(all).toContain('final/step4_run_report.json');
    const report = JSON.parse(readFileSync(join(first, 'final/step4_run_report.json'), 'utf8'));
    for (const p of Object.values(report.final_outputs as Record<string, string>)) expect(all).toContain(p);
    if (report.promoted_dynamic_objective) expect(all).toContain('final_dynamic/backtest/step4_summary.json');
    else expect(report.promoted_dynamic_reason).toMatch(/dynamic/);
  });

  it('writes summaries with the reference key names', async () => {
    const s = JSON.parse(readFileSync(join(first, 'final/backtest/step4_summary.json'), 'utf8'));
    const m = s.selected_candidate.metrics;
    for (const k of ['full', 'train', 'test']) {
      expect(Object.keys(m[k])).toEqual([
        'end_equity',
        'cagr',
        'max_drawdown',
        'calmar',
        'avg_monthly_pnl',
        'median_monthly_pnl',
        'positive_month_rate',
        'n_months',
      ]);
    }
    expect(typeof m.test.max_drawdown).toBe('number');
    for (const k of [
      'bootstrap_p10_avg_monthly_pnl',
      'stress_1_25_avg_monthly_pnl',
      'avg_weight_spyqqq',
      'weight_std_spyqqq',
      'avg_turnover_abs',
      'avg_gross_leverage',
      'train_test_calmar_gap_abs',
    ]) {
      expect(typeof m[k], k).toBe('number');
    }
    expect(s.meta.split_month_end_utc).toBe('2022-01-31 00:00:00+00:00');
    expect(s.meta.n_overlap_months).toBe(120);
    expect(s.selected_candidate.config.name).toBe(s.selected_candidate.name);
    expect(s.selected_candidate.family.version).toMatch(/\d+\.\d+\.\d+/);
    expect(s.benchmarks.spyqqq.n_months).toBe(90);
    const opt = JSON.parse(
      readFileSync(join(first, 'return/optimization/step4_optimization_report.json'), 'utf8'),
    );
    expect(opt.candidates).toHaveLength(59);
    expect(opt.selected).toBe(
      JSON.parse(readFileSync(join(first, 'return/backtest/step4_summary.json'), 'utf8')).selected_candidate
        .name,
    );
  });

  it('writes Parquet tables that read back with the right columns and 90 months', async () => {
    const monthly = readParquetTable(readFileSync(join(first, 'final/backtest/step4_monthly_table.parquet')));
    expect(monthly.numRows).toBe(90);
    expect(Object.keys(monthly.columns)).toEqual([
      'month_end',
      'ret',
      'equity',
      'pnl',
      'weight_spyqqq',
      'weight_btceth',
      'gross_leverage',
    ]);
    expect((monthly.columns.month_end as string[])[0]).toBe('2018-08-31');
    const summary = JSON.parse(readFileSync(join(first, 'final/backtest/step4_summary.json'), 'utf8'));
    const equity = monthly.columns.equity as Float64Array;
    expect(equity[89]).toBeCloseTo(summary.selected_candidate.metrics.full.end_equity, 6);
    const path = readParquetTable(
      readFileSync(join(first, 'final/optimization/baseline_equal_path.parquet')),
    );
    expect(Object.keys(path.columns)).toEqual([
      'month_end',
      'ret_spyqqq',
      'ret_btceth',
      'weight_spyqqq',
      'weight_btceth',
      'gross_leverage',
      'ret_gross',
      'cost',
      'ret_net',
      'turnover_abs',
      'policy_w_raw',
      'policy_conf',
    ]);
    expect(Array.from(path.columns.weight_spyqqq as Float64Array).every((w) => w === 0.5)).toBe(true);
  });

  it('writes a self-contained HTML tear sheet in every run folder (the browser tests open them)', async () => {
    const report = JSON.parse(readFileSync(join(first, 'final/step4_run_report.json'), 'utf8'));
    for (const folder of [...OBJECTIVE_DIRS, 'final']) {
      const html = readFileSync(join(first, folder, 'step4_report.html'), 'utf8');
      expect(html).toMatch(/^<!doctype html>/);
      // Nothing loaded from elsewhere: the libraries and data are inlined (their code aside, no tag
      // of the page has a src or a stylesheet link).
      const page = html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, '$1</script>');
      expect(page).not.toMatch(/<(script|img|iframe)[^>]+src=|<link[^>]+href=/i);
      expect((page.match(/<script/g) ?? []).length).toBeGreaterThan(0);
      expect(html).toContain('id="leaderboard"');
    }
    const final = readFileSync(join(first, 'final/step4_report.html'), 'utf8');
    expect(final).toContain(`<title>Step 4 tear sheet: ${report.promoted_candidate} (final)</title>`);
  });

  it('renders a PNG chart that decodes to a large image', async () => {
    const meta = await sharp(
      readFileSync(join(first, 'final/backtest/step4_portfolio_curve.png')),
    ).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThanOrEqual(1000);
    expect(meta.height).toBeGreaterThanOrEqual(1000);
  });

  it('prints the run report as JSON with --json', async () => {
    expect(jsonOut.promoted_objective).toMatch(/^(return|balanced|calmar|robust)$/);
    expect(jsonOut.out_dir).toBe(first);
  });

  it('gives byte-identical Parquet, PNG, JSON and HTML (but the generation time) on a second run', async () => {
    const a = files(first);
    expect(files(second)).toEqual(a);
    for (const f of a) {
      const x = readFileSync(join(first, f));
      const y = readFileSync(join(second, f));
      if (/\.(json|html)$/.test(f)) {
        const text = (b: Buffer) => withoutGenerationTime(b.toString('utf8'));
        expect(text(y) === text(x), f).toBe(true);
      } else {
        // Parquet and PNG: byte for byte.
        expect(y.equals(x), f).toBe(true);
      }
    }
    expect(statSync(join(first, 'final')).isDirectory()).toBe(true);
  });
});

describe('the output-hash guard of engine changes', () => {
  it('writes the Parquet tables and JSON recorded in tests/parity/golden (timestamps and versions aside)', () => {
    const repo = new URL('../../../', import.meta.url).pathname;
    let report: string;
    try {
      report = execFileSync(
        process.execPath,
        [
          join(repo, 'scripts/output-hashes.mjs'),
          first,
          join(repo, 'tests/parity/golden/run-all-embedded.sha256'),
        ],
        { encoding: 'utf8' },
      );
    } catch (e) {
      report = String((e as { stdout?: string }).stdout ?? e);
    }
    // PNG (and the HTML that embeds it) depend on the machine's fonts: the other tests check them.
    const differing = report
      .split('\n')
      .filter((l) => /^(changed|missing|new) /.test(l) && !/\.(png|html)$/.test(l));
    expect(differing, 'explain the change in a changeset, then update the recorded hashes').toEqual([]);
    expect(report).toMatch(/^386 files, \d+ differ/m);
  });
});

describe('honest evaluation beside the reference numbers', () => {
  it('reports PBO, DSR and the selection-honest run per objective', async () => {
    const s = JSON.parse(readFileSync(join(first, 'return/backtest/step4_summary.json'), 'utf8'));
    const o = s.overfitting;
    expect(o.pbo.pbo).toBeGreaterThanOrEqual(0);
    expect(o.pbo.pbo).toBeLessThanOrEqual(1);
    expect(o.pbo.combinations).toBe(12870);
    // Each objective's own score on the 48 test months (16 blocks of 3).
    expect(o.pbo.metric).toBe('objective_score');
    expect([o.pbo.months_basis, o.pbo.months_used]).toEqual(['test', 48]);
    expect([o.pbo_all_months.months_basis, o.pbo_all_months.months_used]).toEqual(['all', 80]);
    expect(o.pbo_sensitivity.map((r: { blocks: number }) => r.blocks)).toEqual([4, 6, 8, 10, 12, 14, 16]);
    expect(o.pbo_sensitivity.at(-1).pbo).toBe(o.pbo.pbo);
    // Trials: 59 candidates; fewer distinct paths (unbinding leverage caps); fewer still effective.
    expect(o.trials.raw).toBe(59);
    expect(o.trials.distinct).toBeLessThan(59);
    expect(o.trials.effective).toBeLessThan(o.trials.distinct);
    expect(o.selected_deflated_sharpe.n_trials).toBe(o.trials.effective);
    expect(o.selected_deflated_sharpe.deflated_sharpe_ratio_raw_trials).toBeLessThan(
      o.selected_deflated_sharpe.deflated_sharpe_ratio,
    );
    expect(o.spa.months).toBe(48);
    expect(o.spa.pvalue_lower).toBeLessThanOrEqual(o.spa.pvalue_consistent);
    expect(o.spa.pvalue_consistent).toBeLessThanOrEqual(o.spa.pvalue_upper_reality_check);
    expect(o.selected_track_record.months).toBe(48);
    expect(Object.keys(o.meanings)).toEqual(
      expect.arrayContaining(['pbo', 'spa', 'trials', 'selection_honest']),
    );
    expect(o.selected_deflated_sharpe.deflated_sharpe_ratio).toBeLessThanOrEqual(
      o.selected_deflated_sharpe.probabilistic_sharpe_ratio_0,
    );
    const h = o.selection_honest;
    expect(h.test.n_months).toBe(48);
    expect(h.chosen_by_month).toHaveLength(48);
    expect(h.reference_selected_test).toEqual(s.selected_candidate.metrics.test);
    expect(h.reference_minus_honest.calmar).toBeCloseTo(h.reference_selected_test.calmar - h.test.calmar, 12);
    const calmar = JSON.parse(readFileSync(join(first, 'calmar/backtest/step4_summary.json'), 'utf8'));
    // Another objective, another score: its own PBO.
    expect(calmar.overfitting.pbo.pbo).not.toBe(o.pbo.pbo);
    const report = JSON.parse(readFileSync(join(first, 'final/step4_run_report.json'), 'utf8'));
    expect(Object.keys(report.overfitting)).toEqual(OBJECTIVE_DIRS);
    expect(report.overfitting.return.honest_test_calmar).toBe(h.test.calmar);
    const opt = JSON.parse(
      readFileSync(join(first, 'return/optimization/step4_optimization_report.json'), 'utf8'),
    );
    expect(opt.candidates.every((c: { deflated_sharpe?: object }) => c.deflated_sharpe)).toBe(true);
  });

  it('optional gates and financing change the outcome only when asked for', async () => {
    const out = join(work, 'gated');
    const r = await step4Async([
      'run-all',
      '--out-dir',
      out,
      '--quiet',
      '--no-chart',
      '--min-dsr',
      '0.999',
      '--max-pbo',
      '0',
      '--financing-bps-per-year',
      '500',
      '--bootstrap-method',
      'stationary',
      '--risk-free-annual',
      '0.04',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'return/backtest/step4_summary.json'), 'utf8'));
    // Sharpe ratios in excess of 4% a year: lower than the first run's for the same candidate.
    expect(s.overfitting.risk_free).toEqual({ kind: 'constant', annual: 0.04 });
    const plain = JSON.parse(readFileSync(join(first, 'return/backtest/step4_summary.json'), 'utf8'));
    if (s.selected_candidate.name === plain.selected_candidate.name)
      expect(s.overfitting.selected_deflated_sharpe.sharpe_monthly).toBeLessThan(
        plain.overfitting.selected_deflated_sharpe.sharpe_monthly,
      );
    expect(s.meta.min_dsr).toBe(0.999);
    expect(s.meta.financing_bps_per_year).toBe(500);
    expect(s.meta.bootstrap_method).toBe('stationary');
    const opt = JSON.parse(
      readFileSync(join(out, 'return/optimization/step4_optimization_report.json'), 'utf8'),
    );
    const gated = opt.candidates.filter((c: { failed_gates?: string[] }) =>
      c.failed_gates?.includes('deflated_sharpe_ratio'),
    );
    expect(gated.length).toBeGreaterThan(0);
    const report = JSON.parse(readFileSync(join(out, 'final/step4_run_report.json'), 'utf8'));
    expect(Object.keys(report.not_promotable).length).toBeGreaterThan(0);
    const path = readParquetTable(
      readFileSync(join(out, 'return/optimization/btc_only_levered_130_path.parquet')),
    );
    const fin = path.columns.financing_cost as Float64Array;
    expect(fin[0]).toBeCloseTo((0.3 * 0.05) / 12, 12);
  });
});

describe('other commands', () => {
  it('step4 optimize writes backtest/ and optimization/ for one objective', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'step4-opt-')), 'opt');
    const r = await step4Async([
      'optimize',
      '--objective',
      'calmar',
      '--out-dir',
      out,
      '--quiet',
      '--no-chart',
      '--bootstrap-samples',
      '200',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'backtest/step4_summary.json'), 'utf8'));
    expect(s.meta.objective).toBe('calmar');
    expect(s.meta.max_drawdown_cap).toBe(0.2);
    expect(s.meta.bootstrap_samples).toBe(200);
  });

  it('the reference aliases --spyqqq-monthly/--btceth-monthly read Parquet sleeves', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'step4-alias-')), 'o');
    const data = new URL('../data/', import.meta.url).pathname;
    const r = await step4Async([
      'optimize',
      '--objective',
      'return',
      '--quiet',
      '--no-chart',
      '--out-dir',
      out,
      '--spyqqq-monthly',
      `${data}sleeve_spyqqq_monthly.parquet`,
      '--btceth-monthly',
      `${data}sleeve_btceth_monthly.parquet`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'backtest/step4_summary.json'), 'utf8'));
    expect(s.meta.sources.spyqqq).toContain('sleeve_spyqqq_monthly.parquet');
  });

  it('step4 families lists the registered families and their grids', async () => {
    const r = await step4Async(['families']);
    expect(r.code).toBe(0);
    for (const name of [
      'static',
      'heuristic',
      'regime_guard',
      'ml_lr',
      'ml_rf',
      'regime_rf',
      'ml_dual_ridge',
    ])
      expect(r.stdout).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+`, 'm'));
    expect(r.stdout).toContain('59 candidates in all');
    const j = JSON.parse((await step4Async(['families', '--json'])).stdout);
    expect(j.map((f: { name: string }) => f.name)).toEqual([
      'static',
      'heuristic',
      'regime_guard',
      'ml_lr',
      'ml_rf',
      'regime_rf',
      'ml_dual_ridge',
    ]);
  });
});
