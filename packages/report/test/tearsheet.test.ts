import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetTable, readTearSheetData, rebuildTearSheets, renderTearSheet } from '../src/index.js';
import { drawdownSeries, worstDrawdowns } from '../src/tearsheet/data.js';
import { tearSheetSpecs } from '../src/tearsheet/specs.js';
import { type Runs, copyRuns, fixtureRuns } from './tearsheet-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents of the run folders
type Json = any;
const json = (file: string): Json => JSON.parse(readFileSync(file, 'utf8'));
const summaryOf = (folder: string): Json => json(join(folder, 'backtest', 'step4_summary.json'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

const CHARTS = [
  'equity',
  'honest',
  'drawdown',
  'weights',
  'leverage',
  'heatmap',
  'yearly',
  'rolling',
  'histogram',
  'bootstrap',
  'candidate',
  'pbo',
  'degradation',
];

let runs: Runs & { root: string };

beforeAll(async () => {
  runs = await copyRuns(await fixtureRuns());
}, 600_000);

afterAll(() => {
  if (runs) rmSync(runs.root, { recursive: true, force: true });
});

/** A fresh copy of a run-all output folder, to edit. */
async function scratch(from: string): Promise<string> {
  const dir = join(await mkdtemp(join(runs.root, 'scratch-')), 'out');
  await cp(from, dir, { recursive: true });
  return dir;
}

function editJson(file: string, edit: (doc: Json) => void) {
  const doc = json(file);
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
}

describe('readTearSheetData on a real two-sleeve run', () => {
  it('reads the promoted run and agrees with the summary and the run report', async () => {
    const final = join(runs.two, 'final');
    const d = await readTearSheetData(final);
    const s = summaryOf(final);
    const report = json(join(final, 'step4_run_report.json'));
    expect(d.folder).toBe('final');
    expect(d.kind).toBe('final');
    expect(d.objective).toBe(report.promoted_objective);
    expect(d.selected.name).toBe(report.promoted_candidate);
    expect(d.sleeves).toEqual(['spyqqq', 'btceth']);
    expect(d.months.length).toBe(s.selected_candidate.metrics.full.n_months);
    expect(d.nTrain).toBe(s.selected_candidate.metrics.train.n_months);
    expect(d.months[d.nTrain - 1]).toBe(s.meta.split_month_end_utc.slice(0, 10));
    expect(d.notes).toEqual([]);
    // Selected equity is the monthly table's.
    const monthly = readParquetTable(readFileSync(join(final, 'backtest', 'step4_monthly_table.parquet')));
    expect(d.selectedPath.equity).toEqual(Array.from(monthly.columns.equity as Float64Array));
  });

  it('computes each sleeve alone and equal weight as the summary benchmarks do', async () => {
    const final = join(runs.two, 'final');
    const d = await readTearSheetData(final);
    const bm = summaryOf(final).benchmarks;
    expect(d.sleeveEquity).not.toBeNull();
    d.sleeves.forEach((s, k) => {
      const eq = d.sleeveEquity![k];
      expect(rel(eq[eq.length - 1], bm[s].end_equity)).toBeLessThan(1e-9);
    });
    const eqw = d.equalEquity!;
    expect(rel(eqw[eqw.length - 1], bm.equal_weight_50_50.end_equity)).toBeLessThan(1e-9);
    // The headline's full-path rows are the summary's; the test rows restart from the start capital.
    const equalRow = d.performance.find((r) => r.kind === 'equal')!;
    expect(equalRow.full!.maxDrawdown).toBeCloseTo(bm.equal_weight_50_50.max_drawdown, 12);
    const sel = d.performance[0];
    const m = summaryOf(final).selected_candidate.metrics;
    expect(sel.kind).toBe('selected');
    expect(sel.test!.endEquity).toBe(m.test.end_equity);
    expect(sel.test!.calmar).toBe(m.test.calmar);
    expect(sel.test!.sharpe).toBeGreaterThan(0);
    expect(d.performance.map((r) => r.kind)).toEqual(['selected', 'honest', 'sleeve', 'sleeve', 'equal']);
  });

  it('builds the selection-honest curve from the chosen candidates’ paths, ending at the honest test equity', async () => {
    const final = join(runs.two, 'final');
    const d = await readTearSheetData(final);
    const honest = summaryOf(final).overfitting.selection_honest;
    expect(d.honest!.chosenByMonth.length).toBe(honest.test.n_months);
    const eq = d.honest!.equity!;
    const base = d.selectedPath.equity[d.nTrain - 1];
    // The honest curve starts from the selected curve at the split; scaled to the start capital it is the test result.
    // (With the switching costs between candidates when the run charged them.)
    expect(rel((eq[eq.length - 1] / base) * d.startCapital, honest.test.end_equity)).toBeLessThan(1e-9);
    expect(d.honest!.switchingCostSum).toBe(honest.switching_cost_sum ?? null);
    expect(d.honesty.honestTest!.calmar).toBe(honest.test.calmar);
    expect(d.honesty.pbo).toBe(summaryOf(final).overfitting.pbo.pbo);
    expect(d.honesty.dsr).toBe(summaryOf(final).overfitting.selected_deflated_sharpe.deflated_sharpe_ratio);
    const spa = summaryOf(final).overfitting.spa;
    if (spa === undefined) expect(d.honesty.spa).toBeNull();
    else
      expect(d.honesty.spa).toMatchObject({
        lower: spa.pvalue_lower,
        consistent: spa.pvalue_consistent,
        upper: spa.pvalue_upper ?? spa.pvalue_upper_reality_check,
      });
  });

  it('finds the worst drawdown at the reported maximum drawdown, and yearly returns compound to the path', async () => {
    const final = join(runs.two, 'final');
    const d = await readTearSheetData(final);
    const m = summaryOf(final).selected_candidate.metrics;
    expect(d.worstDrawdowns.length).toBe(5);
    expect(d.worstDrawdowns[0].depth).toBeCloseTo(m.full.max_drawdown, 12);
    for (let i = 1; i < d.worstDrawdowns.length; i++)
      expect(d.worstDrawdowns[i].depth).toBeLessThanOrEqual(d.worstDrawdowns[i - 1].depth);
    expect(Math.min(...d.drawdown)).toBeCloseTo(-m.full.max_drawdown, 12);
    const growth = d.yearly.filter((y) => y.series === 'selected').reduce((g, y) => g * (1 + y.ret), 1);
    expect(rel(growth * d.startCapital, m.full.end_equity)).toBeLessThan(1e-9);
    expect(d.rolling.filter((r) => r.series === 'selected').length).toBe(d.months.length - 11);
  });

  it('puts every candidate of every objective in the leaderboard, with its failed gates', async () => {
    const final = join(runs.two, 'final');
    const d = await readTearSheetData(final);
    const report = json(join(final, 'step4_run_report.json'));
    expect([...new Set(d.leaderboard.map((r) => r.objective))]).toEqual(report.objectives);
    for (const o of report.objectives) {
      const opt = json(join(runs.two, o, 'optimization', 'step4_optimization_report.json'));
      const rows = d.leaderboard.filter((r) => r.objective === o);
      expect(rows.length).toBe(opt.n_candidates);
      expect(rows.filter((r) => r.pass).length).toBe(opt.n_passing_gate);
      for (const c of opt.candidates) {
        const row = rows.find((r) => r.candidate === c.name)!;
        expect(row.failedGates).toEqual(c.failed_gates);
        expect(row.score).toBe(c.score);
        expect(row.selected).toBe(c.name === opt.selected);
      }
    }
    expect(d.objectiveRuns.map((r) => r.objective)).toEqual(report.objectives);
    // Every candidate's own path, numbers to 6 significant digits.
    const opt = json(join(final, 'optimization', 'step4_optimization_report.json'));
    expect(Object.keys(d.candidatePaths).sort()).toEqual(opt.candidates.map((c: Json) => c.name).sort());
    const p = d.candidatePaths[d.selected.name];
    for (const [i, e] of p.equity.entries()) expect(rel(e, d.selectedPath.equity[i])).toBeLessThan(1e-5);
    expect(p.weights.length).toBe(2);
  });

  it('reads an objective folder on its own and final_dynamic with the run report of final', async () => {
    const balanced = await readTearSheetData(join(runs.two, 'balanced'));
    expect(balanced.kind).toBe('objective');
    expect(balanced.objective).toBe('balanced');
    expect(new Set(balanced.leaderboard.map((r) => r.objective))).toEqual(new Set(['balanced']));
    expect(balanced.promotion).toBeNull();
    const dyn = await readTearSheetData(join(runs.two, 'final_dynamic'));
    expect(dyn.kind).toBe('final_dynamic');
    expect(dyn.promotion?.dynamicObjective).toBe(
      json(join(runs.two, 'final', 'step4_run_report.json')).promoted_dynamic_objective,
    );
    expect(new Set(dyn.leaderboard.map((r) => r.objective)).size).toBe(4);
  });

  it('rejects a folder that is not a run folder, naming the file it looked for', async () => {
    await expect(readTearSheetData(runs.root)).rejects.toThrow(/step4_summary\.json not found/);
  });
});

describe('missing and new keys', () => {
  it('treats a missing sibling objective folder gracefully', async () => {
    const out = await scratch(runs.two);
    rmSync(join(out, 'calmar'), { recursive: true });
    const d = await readTearSheetData(join(out, 'final'));
    expect(d.leaderboard.some((r) => r.objective === 'calmar')).toBe(false);
    expect(d.leaderboard.some((r) => r.objective === 'robust')).toBe(true);
    expect(d.notes.join(' ')).toMatch(/calmar folder .* missing/);
    expect(d.objectiveRuns.find((r) => r.objective === 'calmar')?.folderMissing).toBe(true);
    const html = renderTearSheet(d);
    expect(html).toContain('calmar (folder missing)');
  });

  it('says "not computed" when overfitting and benchmarks are absent, and leaves their charts out', async () => {
    const out = await scratch(runs.two);
    const final = join(out, 'final');
    editJson(join(final, 'backtest', 'step4_summary.json'), (s) => {
      delete s.overfitting;
      delete s.benchmarks;
      delete s.selected_candidate.deflated_sharpe;
      delete s.meta.manifest;
    });
    const d = await readTearSheetData(final);
    expect(d.honest).toBeNull();
    expect(d.honesty).toMatchObject({ pbo: null, dsr: null, spa: null, honestTest: null });
    // Benchmarks come from the path's sleeve returns when the summary has none.
    expect(d.performance.filter((r) => r.kind === 'sleeve').every((r) => r.full !== null)).toBe(true);
    const html = renderTearSheet(d);
    expect(html).not.toContain('data-chart="honest"');
    expect(html).not.toContain('data-chart="pbo"');
    expect(html).toContain('data-chart="degradation"');
    expect((html.match(/not computed/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });

  it('shows the SPA p-values and the bootstrap distribution when a run writes them', async () => {
    const out = await scratch(runs.two);
    const final = join(out, 'final');
    const dist = Array.from({ length: 200 }, (_, i) => 40 + Math.sin(i) * 90);
    editJson(join(final, 'backtest', 'step4_summary.json'), (s) => {
      s.overfitting.spa = {
        pvalue_lower: 0.0123,
        pvalue_consistent: 0.0456,
        pvalue_upper: 0.789,
        benchmark: 'equal_weight',
      };
      s.selected_candidate.metrics.bootstrap_distribution = dist;
    });
    const d = await readTearSheetData(final);
    expect(d.honesty.spa).toMatchObject({ lower: 0.0123, consistent: 0.0456, upper: 0.789 });
    expect(d.bootstrap.distribution).toHaveLength(200);
    expect(d.bootstrap.distributionKey).toBe('selected_candidate.metrics.bootstrap_distribution');
    const spec = tearSheetSpecs(d).bootstrap as Json;
    expect(spec.data.values).toHaveLength(200);
    const html = renderTearSheet(d);
    expect(html).toContain('0.012 / 0.046 / 0.789');
    expect(html).toContain('equal_weight');
  });

  it('reads per-split in-sample / out-of-sample points and plots them with the fitted line', async () => {
    const out = await scratch(runs.two);
    const final = join(out, 'final');
    editJson(join(final, 'backtest', 'step4_summary.json'), (s) => {
      s.overfitting.pbo.degradation_points = [
        { in_sample: 1, out_of_sample: 0.5 },
        { in_sample: 2, out_of_sample: 0.2 },
        { in_sample: 3, out_of_sample: -0.1 },
      ];
    });
    const d = await readTearSheetData(final);
    expect(d.overfitting.splitPoints).toEqual([
      { inSample: 1, outOfSample: 0.5 },
      { inSample: 2, outOfSample: 0.2 },
      { inSample: 3, outOfSample: -0.1 },
    ]);
    const spec = tearSheetSpecs(d).degradation as Json;
    expect(spec.layer).toHaveLength(2);
    expect(spec.layer[0].data.values).toHaveLength(3);
  });
});

describe('drawdown episodes', () => {
  it('runs from the peak to the first month back at it, and marks an unrecovered one', () => {
    const months = ['01', '02', '03', '04', '05', '06', '07'].map((m) => `2020-${m}-28`);
    // Equity (per unit): 1, 2, 1, 0.5, 2, 1.5, 1.
    const r = [0, 1, -0.5, -0.5, 3, -0.25, -1 / 3];
    const e = worstDrawdowns(months, r);
    expect(e).toHaveLength(2);
    expect(e[0]).toMatchObject({
      depth: 0.75,
      start: months[1],
      trough: months[3],
      recovery: months[4],
      lengthMonths: 3,
    });
    expect(e[1]).toMatchObject({ start: months[4], trough: months[6], recovery: null, lengthMonths: 2 });
    expect(e[1].depth).toBeCloseTo(0.5, 12);
    expect(drawdownSeries(r).slice(0, 5)).toEqual([0, 0, -0.5, -0.75, 0]);
  });
});

describe('renderTearSheet', () => {
  it('run-all writes one self-contained page with every section, chart and control, under the size budget', async () => {
    const final = join(runs.two, 'final');
    const file = join(final, 'step4_report.html');
    const html = readFileSync(file, 'utf8');
    // What run-all wrote is what the folder's files render to now.
    expect(renderTearSheet(await readTearSheetData(final))).toBe(html);
    const size = statSync(file).size;
    console.log(`tear sheet size, two sleeves, final: ${(size / 1e6).toFixed(2)} MB (${size} bytes)`);
    expect(size).toBeLessThan(3_000_000);
    for (const id of [
      'headline',
      'equity-section',
      'drawdown-section',
      'weights-section',
      'calendar-section',
      'rolling-section',
      'distribution-section',
      'leaderboard-section',
      'overfitting-section',
      'manifest-section',
    ])
      expect(html).toContain(`<section id="${id}">`);
    for (const c of CHARTS) expect(html).toContain(`<div class="chart" data-chart="${c}"`);
    expect((html.match(/How to read this:/g) ?? []).length).toBeGreaterThanOrEqual(CHARTS.length);
    for (const id of [
      'leaderboard',
      'family-filter',
      'gate-filter',
      'log-toggle',
      'worst-drawdowns',
      'dsr-inputs',
    ])
      expect(html).toContain(`id="${id}"`);
    // Self-contained: the three libraries inline, nothing loaded from elsewhere.
    expect(html).toContain('/* vega */');
    expect(html).toContain('/* vega-lite */');
    expect(html).toContain('/* vega-embed */');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    // The headline's honest numbers.
    const s = summaryOf(final);
    expect(html).toContain(
      `$${Math.round(s.overfitting.selection_honest.test.end_equity).toLocaleString('en-US')}`,
    );
    expect(html).toContain(s.overfitting.pbo.pbo.toFixed(2));
    // Leaderboard rows: one per candidate and objective, failed gates visible.
    const rows = html.match(/<tr data-objective=/g) ?? [];
    const d = await readTearSheetData(final);
    expect(rows.length).toBe(d.leaderboard.length);
    expect(html).toContain('<span class="failed-gates">test_max_drawdown');
    // Manifest: every input's hash.
    for (const input of s.meta.manifest.inputs) expect(html).toContain(input.sha256);
  });

  it('gives the same bytes for the same folder, wherever the folder is', async () => {
    const final = join(runs.two, 'final');
    const a = renderTearSheet(await readTearSheetData(final));
    const b = renderTearSheet(await readTearSheetData(final));
    expect(b).toBe(a);
    const moved = await scratch(runs.two);
    const c = renderTearSheet(await readTearSheetData(join(moved, 'final')));
    expect(c).toBe(a);
    // `step4 report` rebuilds every run folder's page in place, to the same bytes.
    const pages = await rebuildTearSheets(moved);
    expect(pages).toEqual(expect.arrayContaining(['final/step4_report.html', 'return/step4_report.html']));
    expect(readFileSync(join(moved, 'final', 'step4_report.html'), 'utf8')).toBe(a);
  });

  it('run-all writes, from the files it keeps in memory, the page step4 report builds from the disk', async () => {
    // Every run folder of both runs: the pages were made from memory (run-all), the checks read the disk.
    for (const run of [runs.two, runs.four]) {
      const moved = await scratch(run);
      const pages = await rebuildTearSheets(moved);
      expect(pages.length).toBeGreaterThanOrEqual(6);
      for (const page of pages) {
        const written = readFileSync(join(run, page));
        expect(renderTearSheet(await readTearSheetData(join(run, page, '..'))), page).toBe(
          written.toString('utf8'),
        );
        expect(readFileSync(join(moved, page)).equals(written), page).toBe(true);
      }
      rmSync(join(moved, '..'), { recursive: true, force: true });
    }
  });

  it('compiles every chart with vega-lite and draws marks with vega (headless, no browser)', async () => {
    for (const folder of [join(runs.two, 'final'), join(runs.four, 'final')]) {
      const specs = tearSheetSpecs(await readTearSheetData(folder));
      expect(Object.keys(specs).sort()).toEqual([...CHARTS].sort());
      for (const [name, spec] of Object.entries(specs)) {
        const warnings: string[] = [];
        const logger = {
          level() {
            return this;
          },
          warn: (...a: unknown[]) => warnings.push(a.join(' ')),
          info() {},
          debug() {},
          error: (...a: unknown[]) => warnings.push(a.join(' ')),
        };
        // biome-ignore lint/suspicious/noExplicitAny: a plain JSON spec
        const vg = compile(spec as any, { logger: logger as any }).spec;
        expect(warnings, `${name}: vega-lite warnings`).toEqual([]);
        if (name === 'candidate') continue; // its data are filled in the page
        const view = new vega.View(vega.parse(vg), { renderer: 'none' });
        const svg = await view.toSVG();
        view.finalize();
        const marks = svg.match(/<g class="mark-(?!rule|text)[a-z]+ role-mark[^>]*>(<path|<line)/g) ?? [];
        expect(marks.length, `${name}: drawn marks`).toBeGreaterThan(0);
      }
    }
  });
});

describe('four sleeves', () => {
  it('reads four sleeves, their benchmarks and weights, and keeps a colour and a legend entry for each', async () => {
    const final = join(runs.four, 'final');
    const d = await readTearSheetData(final);
    const s = summaryOf(final);
    expect(d.sleeves).toEqual(['spy', 'qqq', 'btc', 'eth']);
    d.sleeves.forEach((name, k) => {
      const eq = d.sleeveEquity![k];
      expect(rel(eq[eq.length - 1], s.benchmarks[name].end_equity)).toBeLessThan(1e-9);
    });
    expect(rel(d.equalEquity![d.months.length - 1], s.benchmarks.equal_weight.end_equity)).toBeLessThan(1e-9);
    for (let i = 0; i < d.months.length; i++) {
      const sum = d.selectedPath.weights.reduce((a, w) => a + w[i], 0);
      expect(sum).toBeCloseTo(1, 9);
    }
    const specs = tearSheetSpecs(d) as Json;
    const colour = specs.equity.layer[0].encoding.color.scale;
    expect(colour.domain).toEqual([
      'selected',
      'selection-honest',
      'equal weight',
      'spy',
      'qqq',
      'btc',
      'eth',
    ]);
    expect(new Set(colour.range).size).toBe(colour.domain.length);
    expect(specs.weights.layer[0].encoding.color.scale.domain).toEqual(d.sleeves);
    const file = join(final, 'step4_report.html');
    const size = statSync(file).size;
    console.log(`tear sheet size, four sleeves, final: ${(size / 1e6).toFixed(2)} MB (${size} bytes)`);
    expect(size).toBeLessThan(3_000_000);
    expect(Object.values(d.candidatePaths).every((p) => p.weights.length === 4)).toBe(true);
  });
});
