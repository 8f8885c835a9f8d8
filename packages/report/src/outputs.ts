import { cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, type ObjectiveRun, type RunAllResult, benchmarks, weightVariation } from '@step4/core';
import {
  OUTPUT_MARKER,
  type OutputFolder,
  type WriteOutputOptions,
  checkOutDir,
  outputCommand,
  writeOutputFolder,
} from './out-dir.js';
import { type ChartInput, renderPortfolioChart } from './portfolio-chart.js';
import {
  type RunManifest,
  optimizationReportDocument,
  runReportDocument,
  summaryDocument,
} from './documents.js';
import { stableJson } from './stable-json.js';
import { monthlyTableToParquet, pathTableToParquet } from './tables.js';
import { readTearSheetData } from './tearsheet/data.js';
import { renderTearSheet } from './tearsheet/render.js';

/** File names of docs/model/outputs.md. */
export const OUTPUT_FILES = Object.freeze({
  chart: 'step4_portfolio_curve.png',
  monthlyTable: 'step4_monthly_table.parquet',
  summary: 'step4_summary.json',
  optimizationReport: 'step4_optimization_report.json',
  runReport: 'step4_run_report.json',
  htmlReport: 'step4_report.html',
});

export interface OutputOptions {
  /** Render the PNG chart (default true). */
  readonly chart?: boolean;
  /** Stops the write between files (the previous output folder stays as it was). */
  readonly signal?: WriteOutputOptions['signal'];
}

/** Write one file of an output folder, then take a step (abort and kill-test checkpoints). */
type Put = (file: string, bytes: Uint8Array | string) => Promise<void>;

function putter(step: OutputFolder['step']): Put {
  return async (file, bytes) => {
    await writeFile(file, bytes);
    await step();
  };
}

function equityOf(r: Float64Array, k: number): Float64Array {
  const out = new Float64Array(r.length);
  let growth = 1;
  for (let i = 0; i < r.length; i++) {
    growth *= 1 + r[i];
    out[i] = k * growth;
  }
  return out;
}

/** The chart's input for a run's selected candidate. */
export function chartInput(run: ObjectiveRun, result: RunAllResult, startCapital: number): ChartInput {
  const c = run.selected.candidate;
  const path = c.path!;
  const m = c.metrics!;
  const { panel, split } = result.prepared;
  const n = path.sleeveReturns.length;
  // Monthly-rebalanced equal weight (two sleeves: 0.5 * a + 0.5 * b, 1/2 being exact).
  const equal = path.retNet.map((_, i) => {
    let r = 0;
    for (let s = 0; s < n; s++) r += (1 / n) * path.sleeveReturns[s][i];
    return r;
  });
  const bm = benchmarks(panel, path, startCapital);
  const equity = equityOf(path.retNet, startCapital);
  const pnl = equity.map((e, i) => e - (i === 0 ? startCapital : equity[i - 1]));
  return {
    candidate: c.config.name,
    objective: run.objective,
    score: run.selected.score,
    sleeveNames: [...panel.names],
    startCapital,
    monthEnds: [...path.monthEnds],
    splitMonthEnd: split.monthEnd,
    equity,
    sleeveEquity: path.sleeveReturns.map((r) => equityOf(r, startCapital)),
    equityEqual: equityOf(equal, startCapital),
    weights: path.weights,
    grossLeverage: path.grossLeverage,
    pnl,
    stats: {
      testEndEquity: m.test.end_equity,
      testAvgMonthlyPnl: m.test.avg_monthly_pnl,
      testMaxDrawdown: m.test.max_drawdown,
      testCalmar: m.test.calmar,
      avgWeights: m.avg_weights,
      weightStdA: m.weight_std_a,
      weightStdMean: weightVariation(m),
      avgTurnover: m.avg_turnover_abs,
      benchEndEquity: { sleeves: bm.sleeves.map((p) => p.end_equity), equal: bm.equal.end_equity },
      correlation: bm.correlation,
    },
  };
}

/** `backtest/`: chart, monthly table and summary of a run's selected candidate. */
async function writeBacktest(
  dir: string,
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
  options: OutputOptions,
  put: Put,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = run.selected.candidate.path!;
  await put(
    join(dir, OUTPUT_FILES.monthlyTable),
    monthlyTableToParquet(
      {
        monthEnds: path.monthEnds,
        retNet: path.retNet,
        weights: path.weights,
        grossLeverage: path.grossLeverage,
      },
      result.prepared.panel.names,
      manifest.startCapital,
      `${run.objective}/backtest/${OUTPUT_FILES.monthlyTable}`,
    ),
  );
  await put(
    join(dir, OUTPUT_FILES.summary),
    stableJson(summaryDocument(run, result, manifest), `${run.objective}/backtest/${OUTPUT_FILES.summary}`),
  );
  if (options.chart !== false) {
    await put(
      join(dir, OUTPUT_FILES.chart),
      await renderPortfolioChart(chartInput(run, result, manifest.startCapital)),
    );
  }
}

/** `optimization/`: the report of every candidate and one path table per candidate. */
async function writeOptimization(
  dir: string,
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
  put: Put,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await put(
    join(dir, OUTPUT_FILES.optimizationReport),
    stableJson(
      optimizationReportDocument(run, result, manifest),
      `${run.objective}/optimization/${OUTPUT_FILES.optimizationReport}`,
    ),
  );
  for (const c of result.evaluated) {
    const file = `${c.config.name}_path.parquet`;
    if (c.path)
      await put(
        join(dir, file),
        pathTableToParquet(c.path, result.prepared.panel.names, `${run.objective}/optimization/${file}`),
      );
  }
}

async function writeRun(
  dir: string,
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
  options: OutputOptions,
  put: Put,
) {
  await writeBacktest(join(dir, 'backtest'), run, result, manifest, options, put);
  await writeOptimization(join(dir, 'optimization'), run, result, manifest, put);
}

/**
 * Write a whole run-all into `outDir` (docs/model/outputs.md): one folder per
 * objective, `final/` (promoted run and the run report) and `final_dynamic/`
 * when there is a dynamic run. Written by the output-folder rule
 * (`writeOutputFolder`): a failure, an abort or a kill never leaves a
 * half-written folder, and an earlier output stays until the new one is complete.
 */
export async function writeRunAllOutputs(
  outDir: string,
  result: RunAllResult,
  manifest: RunManifest,
  options: OutputOptions = {},
): Promise<Record<string, string>> {
  const { promotion } = result;
  const finalOutputs: Record<string, string> = {
    chart: `final/backtest/${OUTPUT_FILES.chart}`,
    monthly_table: `final/backtest/${OUTPUT_FILES.monthlyTable}`,
    summary: `final/backtest/${OUTPUT_FILES.summary}`,
    optimization_report: `final/optimization/${OUTPUT_FILES.optimizationReport}`,
    run_report: `final/${OUTPUT_FILES.runReport}`,
    html_report: `final/${OUTPUT_FILES.htmlReport}`,
  };
  if ('objective' in promotion.dynamic) {
    Object.assign(finalOutputs, {
      dynamic_chart: `final_dynamic/backtest/${OUTPUT_FILES.chart}`,
      dynamic_monthly_table: `final_dynamic/backtest/${OUTPUT_FILES.monthlyTable}`,
      dynamic_summary: `final_dynamic/backtest/${OUTPUT_FILES.summary}`,
      dynamic_optimization_report: `final_dynamic/optimization/${OUTPUT_FILES.optimizationReport}`,
    });
  }
  if (options.chart === false)
    for (const k of Object.keys(finalOutputs)) if (k.endsWith('chart')) delete finalOutputs[k];
  await writeOutputFolder(
    outDir,
    async ({ dir: tmp, step }) => {
      const put = putter(step);
      for (const run of result.runs)
        await writeRun(join(tmp, run.objective), run, result, manifest, options, put);
      // The promoted runs are copies of their objective's folder.
      await cp(join(tmp, promotion.promoted.objective), join(tmp, 'final'), { recursive: true });
      await step();
      if ('objective' in promotion.dynamic) {
        await cp(join(tmp, promotion.dynamic.objective), join(tmp, 'final_dynamic'), { recursive: true });
        await step();
      }
      await put(
        join(tmp, 'final', OUTPUT_FILES.runReport),
        stableJson(runReportDocument(result, manifest, finalOutputs), `final/${OUTPUT_FILES.runReport}`),
      );
      // The tear sheets read the folders just written, as `step4 report` reads them later.
      for (const folder of runFolderNames(result)) await writeTearSheetInto(join(tmp, folder), put);
    },
    { signal: options.signal, command: 'run-all' },
  );
  return finalOutputs;
}

/** Write one objective's run (`step4 optimize`): `backtest/` and `optimization/` in `outDir`. */
export async function writeOptimizeOutputs(
  outDir: string,
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
  options: OutputOptions = {},
): Promise<void> {
  await writeOutputFolder(
    outDir,
    async ({ dir, step }) => {
      const put = putter(step);
      await writeRun(dir, run, result, manifest, options, put);
      await writeTearSheetInto(dir, put);
    },
    { signal: options.signal, command: 'optimize' },
  );
}

/** The run folders of a run-all, in output order: every objective, `final`, and `final_dynamic` when there is one. */
function runFolderNames(result: RunAllResult): string[] {
  const names = [...result.runs.map((r) => r.objective), 'final'];
  if ('objective' in result.promotion.dynamic) names.push('final_dynamic');
  return names;
}

/** The tear sheet of one run folder (`step4_report.html`), built from the files in it. */
async function writeTearSheetInto(folder: string, put: Put): Promise<void> {
  await put(join(folder, OUTPUT_FILES.htmlReport), renderTearSheet(await readTearSheetData(folder)));
}

/**
 * `step4 report <out-dir>`: rebuild every run folder's tear sheet from the
 * files of an existing step4 output folder, without simulating again. The
 * folder is rewritten by the output-folder rule (a complete copy with the new
 * pages, swapped in under the lock), so an interrupted rebuild leaves the old
 * folder as it was. Returns the pages written, relative to the folder.
 */
export async function rebuildTearSheets(
  outDir: string,
  options: { readonly signal?: AbortSignal } = {},
): Promise<string[]> {
  const state = await checkOutDir(outDir, { option: 'out-dir' });
  const command = state === 'step4' ? await outputCommand(outDir) : null;
  if (command === null)
    throw new InputError(
      `out-dir ${JSON.stringify(outDir)}: no step4 output folder there (run step4 run-all or optimize first)`,
      { field: 'out-dir' },
    );
  const written: string[] = [];
  await writeOutputFolder(
    outDir,
    async ({ dir, step }) => {
      await cp(outDir, dir, {
        recursive: true,
        filter: (src) => !src.endsWith(OUTPUT_MARKER),
      });
      await step();
      const put = putter(step);
      for (const folder of await runFoldersIn(dir)) {
        await writeTearSheetInto(join(dir, folder), put);
        written.push(join(folder, OUTPUT_FILES.htmlReport));
      }
    },
    { signal: options.signal, command },
  );
  return written;
}

/** The run folders of an output folder: those with a summary (`.` for an optimize folder). */
async function runFoldersIn(dir: string): Promise<string[]> {
  const isRun = async (d: string) =>
    (await stat(join(d, 'backtest', OUTPUT_FILES.summary)).catch(() => null))?.isFile() === true;
  if (await isRun(dir)) return ['.'];
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1)))
    if (e.isDirectory() && (await isRun(join(dir, e.name)))) out.push(e.name);
  return out;
}
