import { cp, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type EvaluatedCandidate,
  InputError,
  type ObjectiveRun,
  type PreparedRun,
  type RunAllResult,
  benchmarks,
  weightVariation,
} from '@step4/core';
import {
  type RunManifest,
  optimizationReportDocument,
  runReportDocument,
  summaryDocument,
} from './documents.js';
import { FolderWriter } from './folder-writer.js';
import {
  OUTPUT_MARKER,
  type WriteOutputOptions,
  checkOutDir,
  outputCommand,
  writeOutputFolder,
} from './out-dir.js';
import { chartBatch, chartThread, parquetEncoder } from './chart-thread.js';
import type { ChartInput } from './portfolio-chart.js';
import { stableJson } from './stable-json.js';
import { type ParquetEncoder, type WrittenTable, monthlyTable, pathTable } from './tables.js';
import { type TearSheetFiles, diskFiles, tearSheetData } from './tearsheet/data.js';
import { renderTearSheetBytes } from './tearsheet/render.js';

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

function equityOf(r: Float64Array, k: number): Float64Array {
  const out = new Float64Array(r.length);
  let growth = 1;
  for (let i = 0; i < r.length; i++) {
    growth *= 1 + r[i];
    out[i] = k * growth;
  }
  return out;
}

/** The chart's input for a run's selected candidate (of a result, or of a selection made before it). */
export function chartInput(
  run: ObjectiveRun,
  result: { readonly prepared: PreparedRun },
  startCapital: number,
): ChartInput {
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

/**
 * What the files of a run folder are made from, shared by every run folder of
 * one write: a candidate's path table is the same in every objective's folder,
 * and the charts of objectives that select the same candidate share their
 * panels. Tables and charts are made on the chart thread when it runs.
 */
interface Makers {
  pathTable(c: EvaluatedCandidate, file: string): WrittenTable;
  /** The write's Parquet encoder (for the tables made once per folder). */
  readonly encode: ParquetEncoder;
  chart(input: ChartInput): Promise<Uint8Array>;
  /** The write is over: the chart renderer's panels can go. */
  end(): void;
}

function makers(result: RunAllResult): Makers {
  const tables = new Map<EvaluatedCandidate, WrittenTable>();
  const charts = chartBatch();
  const encode = parquetEncoder();
  const names = result.prepared.panel.names;
  return {
    pathTable: (c, file) => {
      let t = tables.get(c);
      if (!t) {
        // `file` names the table in errors: the first folder that writes it.
        t = pathTable(c.path!, names, file, encode);
        tables.set(c, t);
      }
      return t;
    },
    encode,
    chart: charts.render,
    end: charts.end,
  };
}

/** `backtest/`: chart, monthly table and summary of a run's selected candidate. */
async function writeBacktest(
  dir: string,
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
  chart: Promise<Uint8Array> | undefined,
  make: Makers,
  out: FolderWriter,
): Promise<void> {
  const path = run.selected.candidate.path!;
  const monthly = monthlyTable(
    {
      monthEnds: path.monthEnds,
      retNet: path.retNet,
      weights: path.weights,
      grossLeverage: path.grossLeverage,
    },
    result.prepared.panel.names,
    manifest.startCapital,
    `${run.objective}/backtest/${OUTPUT_FILES.monthlyTable}`,
    make.encode,
  );
  await out.put(join(dir, OUTPUT_FILES.monthlyTable), monthly.bytes, monthly);
  await out.put(
    join(dir, OUTPUT_FILES.summary),
    stableJson(summaryDocument(run, result, manifest), `${run.objective}/backtest/${OUTPUT_FILES.summary}`),
  );
  if (chart) await out.put(join(dir, OUTPUT_FILES.chart), chart);
}

/** `optimization/`: the report of every candidate and one path table per candidate. */
async function writeOptimization(
  dir: string,
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
  make: Makers,
  out: FolderWriter,
): Promise<void> {
  await out.put(
    join(dir, OUTPUT_FILES.optimizationReport),
    stableJson(
      optimizationReportDocument(run, result, manifest),
      `${run.objective}/optimization/${OUTPUT_FILES.optimizationReport}`,
    ),
  );
  for (const c of result.evaluated) {
    const file = `${c.config.name}_path.parquet`;
    if (c.path) {
      const table = make.pathTable(c, `${run.objective}/optimization/${file}`);
      await out.put(join(dir, file), table.bytes, table);
    }
  }
}

/** Charts started before their write (`startRunCharts`), by run. */
const earlyCharts = new WeakMap<
  ObjectiveRun,
  { readonly prepared: PreparedRun; readonly chart: Promise<Uint8Array> }
>();

/**
 * Start rendering the chart of each run now, on the chart thread
 * (`startChartThread`, which must have been started), e.g. when the engine
 * reports its selection (`runStep4`'s `onSelected`) and still has its
 * statistics to compute: a later write of a result with these runs uses them
 * instead of rendering its own.
 */
export function startRunCharts(selection: {
  readonly prepared: PreparedRun;
  readonly runs: readonly ObjectiveRun[];
}): void {
  const thread = chartThread();
  if (!thread) throw new Error('startRunCharts: start the chart thread first (startChartThread)');
  const { prepared } = selection;
  const charts = thread.charts();
  const started = selection.runs.map((run) => {
    const chart = charts.render(chartInput(run, selection, prepared.options.startCapital));
    // A failure is reported by the write that uses the chart.
    chart.catch(() => {});
    earlyCharts.set(run, { prepared, chart });
    return chart;
  });
  void Promise.allSettled(started).then(charts.end);
}

/** The chart of each run, started at once: rendering runs beside the other files' making. */
function startCharts(
  runs: readonly ObjectiveRun[],
  result: RunAllResult,
  manifest: RunManifest,
  options: OutputOptions,
  make: Makers,
): (Promise<Uint8Array> | undefined)[] {
  return runs.map((run) => {
    if (options.chart === false) return undefined;
    const early = earlyCharts.get(run);
    // Rendered from this very result, with the start capital the write shows.
    if (early?.prepared === result.prepared && early.prepared.options.startCapital === manifest.startCapital)
      return early.chart;
    const chart = make.chart(chartInput(run, result, manifest.startCapital));
    // A failure is reported by the chart's write; until then it must not count as unhandled.
    chart.catch(() => {});
    return chart;
  });
}

async function writeRun(
  dir: string,
  run: ObjectiveRun,
  result: RunAllResult,
  manifest: RunManifest,
  chart: Promise<Uint8Array> | undefined,
  make: Makers,
  out: FolderWriter,
) {
  await writeBacktest(join(dir, 'backtest'), run, result, manifest, chart, make, out);
  await writeOptimization(join(dir, 'optimization'), run, result, manifest, make, out);
}

/** Fill an output folder through a `FolderWriter`; every write has ended when this returns or throws. */
async function fillWith(
  step: () => Promise<void>,
  fill: (out: FolderWriter) => Promise<void>,
): Promise<void> {
  const out = new FolderWriter(step);
  try {
    await fill(out);
    await out.finish();
  } catch (e) {
    await out.settle();
    throw e;
  }
}

/** `fillWith` with the makers of one write, ended with it. */
function fillWithMakers(
  step: () => Promise<void>,
  result: RunAllResult,
  fill: (out: FolderWriter, make: Makers) => Promise<void>,
): Promise<void> {
  return fillWith(step, async (out) => {
    const make = makers(result);
    try {
      await fill(out, make);
    } finally {
      make.end();
    }
  });
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
    ({ dir: tmp, step }) =>
      fillWithMakers(step, result, async (out, make) => {
        const charts = startCharts(result.runs, result, manifest, options, make);
        for (const [i, run] of result.runs.entries())
          await writeRun(join(tmp, run.objective), run, result, manifest, charts[i], make, out);
        // The promoted runs are copies of their objective's folder.
        await out.copy(join(tmp, promotion.promoted.objective), join(tmp, 'final'));
        if ('objective' in promotion.dynamic)
          await out.copy(join(tmp, promotion.dynamic.objective), join(tmp, 'final_dynamic'));
        await out.put(
          join(tmp, 'final', OUTPUT_FILES.runReport),
          stableJson(runReportDocument(result, manifest, finalOutputs), `final/${OUTPUT_FILES.runReport}`),
        );
        // The tear sheets read the files just written (from memory), as `step4 report` reads them later.
        for (const folder of runFolderNames(result)) await writeTearSheetInto(join(tmp, folder), out, out);
      }),
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
    ({ dir, step }) =>
      fillWithMakers(step, result, async (out, make) => {
        const [chart] = startCharts([run], result, manifest, options, make);
        await writeRun(dir, run, result, manifest, chart, make, out);
        await writeTearSheetInto(dir, out, out);
      }),
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
async function writeTearSheetInto(folder: string, files: TearSheetFiles, out: FolderWriter): Promise<void> {
  await out.put(
    join(folder, OUTPUT_FILES.htmlReport),
    renderTearSheetBytes(await tearSheetData(folder, files)),
  );
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
      await fillWith(step, async (out) => {
        for (const folder of await runFoldersIn(dir)) {
          await writeTearSheetInto(join(dir, folder), diskFiles, out);
          written.push(join(folder, OUTPUT_FILES.htmlReport));
        }
      });
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
