import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { mean, perf, std } from '@step4/core';
import { type ParquetColumns, readParquetTable } from '../tables.js';

/**
 * The data model of the interactive tear sheet of one run folder
 * (`<out>/<objective>`, `<out>/final`, `<out>/final_dynamic`): everything the
 * page shows, read from the folder's JSON and Parquet files and derived from
 * them. Every key that a newer or older run may lack is optional here and
 * `null` when absent, so that the page can say "not computed" instead of failing.
 */

/** Test- or full-period numbers of one equity curve. `null` where not known. */
export interface PerfNumbers {
  readonly endEquity: number | null;
  readonly cagr: number | null;
  readonly maxDrawdown: number | null;
  readonly calmar: number | null;
  /** Annualised Sharpe ratio of the monthly returns (mean / sample std * sqrt 12, no risk-free rate). */
  readonly sharpe: number | null;
  readonly months: number | null;
}

/** One line of the headline table: the selected candidate, the honest run, each sleeve alone, equal weight. */
export interface PerformanceRow {
  readonly label: string;
  readonly kind: 'selected' | 'honest' | 'sleeve' | 'equal';
  /** Test months, start capital at the split (the convention of `metrics.test`). */
  readonly test: PerfNumbers | null;
  /** The whole walk-forward path (`metrics.full` and the summary's `benchmarks`). */
  readonly full: PerfNumbers | null;
}

export interface DrawdownEpisode {
  /** Depth as a positive fraction (0.25 = 25 % below the peak). */
  readonly depth: number;
  /** Month end of the peak the fall started from. */
  readonly start: string;
  readonly trough: string;
  /** First month end back at or above the peak, `null` when not recovered by the last month. */
  readonly recovery: string | null;
  /** Months from the peak to the recovery (or to the last month when not recovered). */
  readonly lengthMonths: number;
}

export interface RollingPoint {
  readonly month: string;
  readonly series: string;
  /** Compounded return over the 12 months ending at `month`. */
  readonly ret12: number;
  /** Annualised volatility of those 12 monthly returns. */
  readonly vol12: number;
  /** Annualised Sharpe ratio of those 12 monthly returns (null when the volatility is 0). */
  readonly sharpe12: number | null;
}

export interface YearlyReturn {
  readonly year: number;
  readonly series: string;
  readonly ret: number;
  /** Months of the year on the path (12 except at the ends). */
  readonly months: number;
}

/** The selection-honest run: each test month, the candidate chosen from the months before it only. */
export interface HonestRun {
  readonly chosenByMonth: readonly { readonly month: string; readonly candidate: string }[];
  /** Its equity over the test months, starting at the selected curve's equity at the split (null when a path was missing). */
  readonly equity: readonly number[] | null;
  readonly returns: readonly number[] | null;
  readonly switches: number | null;
  readonly distinctCandidates: number | null;
  /** Sum of the switching costs the run charged (fractions of capital), `null` when it charged none. */
  readonly switchingCostSum: number | null;
}

export interface SpaPValues {
  readonly lower: number | null;
  readonly consistent: number | null;
  readonly upper: number | null;
  /** Other keys of `overfitting.spa` (benchmark, replications, studentized p-values, ...), as text. */
  readonly extra: readonly (readonly [string, string])[];
}

/** The headline's honest numbers beside the optimistic ones. */
export interface Honesty {
  readonly selectedTest: PerfNumbers | null;
  readonly honestTest: PerfNumbers | null;
  readonly pbo: number | null;
  readonly dsr: number | null;
  readonly spa: SpaPValues | null;
}

export interface BootstrapData {
  /** `bootstrap_p10_avg_monthly_pnl`: the gated statistic. */
  readonly p10: number | null;
  readonly mcStdError: number | null;
  /** The bootstrap distribution of the average monthly pnl, when the summary carries it. */
  readonly distribution: readonly number[] | null;
  /** Where the distribution came from (JSON key path). */
  readonly distributionKey: string | null;
  /** The test months' pnl, compounded from the start capital at the split (the statistic's own convention). */
  readonly testPnl: readonly { readonly month: string; readonly pnl: number }[];
  readonly testAvgMonthlyPnl: number | null;
}

export interface LeaderboardRow {
  readonly objective: string;
  readonly candidate: string;
  readonly family: string;
  readonly familyVersion: string | null;
  readonly score: number | null;
  readonly trainCalmar: number | null;
  readonly testCalmar: number | null;
  readonly testEndEquity: number | null;
  readonly testMaxDrawdown: number | null;
  readonly dsr: number | null;
  /** Gate result; `null` for a candidate that failed with an error. */
  readonly pass: boolean | null;
  readonly failedGates: readonly string[];
  /** Gates whose verdict is within two Monte Carlo standard errors of the threshold (another seed could flip them). */
  readonly gatesNearThreshold: readonly string[];
  readonly error: string | null;
  /** The objective's selected candidate. */
  readonly selected: boolean;
}

/** A candidate's own monthly path, for its chart in the leaderboard (numbers rounded to 6 significant digits). */
export interface CandidatePath {
  readonly equity: readonly number[];
  /** Per sleeve, sleeve order. */
  readonly weights: readonly (readonly number[])[];
  readonly grossLeverage: readonly number[];
}

export interface ObjectiveRunRow {
  readonly objective: string;
  readonly candidate: string | null;
  readonly score: number | null;
  readonly pass: boolean | null;
  readonly failedGates: readonly string[];
  readonly testEndEquity: number | null;
  readonly testCalmar: number | null;
  readonly testMaxDrawdown: number | null;
  readonly honestCalmar: number | null;
  readonly honestEndEquity: number | null;
  readonly pbo: number | null;
  readonly dsr: number | null;
  readonly spaConsistent: number | null;
  /** The objective's folder could not be read (its candidates are missing from the leaderboard). */
  readonly folderMissing: boolean;
}

export interface Promotion {
  readonly promotedObjective: string | null;
  readonly promotedCandidate: string | null;
  readonly promotedScore: number | null;
  readonly dynamicObjective: string | null;
  readonly dynamicCandidate: string | null;
  readonly dynamicScore: number | null;
  readonly dynamicReason: string | null;
}

export interface OverfittingData {
  readonly pbo: number | null;
  /** Scalar facts about the PBO (blocks, combinations, metric, ...). */
  readonly pboFacts: readonly (readonly [string, string])[];
  readonly logitHistogram: { readonly edges: readonly number[]; readonly counts: readonly number[] } | null;
  readonly degradation: {
    readonly slope: number;
    readonly intercept: number;
    readonly r2: number | null;
  } | null;
  /** Per-split in-sample vs out-of-sample points, when the run wrote them. */
  readonly splitPoints: readonly { readonly inSample: number; readonly outOfSample: number }[] | null;
  /** Train vs test Calmar of every candidate of this folder's objective. */
  readonly calmarPoints: readonly {
    readonly candidate: string;
    readonly family: string;
    readonly train: number;
    readonly test: number;
    readonly pass: boolean;
    readonly selected: boolean;
  }[];
  /** The selected candidate's deflated Sharpe inputs and result (key, value). */
  readonly dsrInputs: readonly (readonly [string, number])[];
  /**
   * Every other entry of `overfitting` (PBO on all months, its sensitivity to
   * the blocks, trials, track record, risk-free rate, ...), flattened to text
   * rows, with the run's own explanation from `overfitting.meanings` when it gives one.
   */
  readonly otherFacts: readonly {
    readonly key: string;
    readonly meaning: string | null;
    readonly rows: readonly (readonly [string, string])[];
  }[];
}

export interface ManifestData {
  readonly inputs: readonly { readonly name: string; readonly source: string; readonly sha256: string }[];
  readonly families: readonly { readonly name: string; readonly version: string; readonly source: string }[];
  readonly packages: readonly (readonly [string, string])[];
  readonly pluginChecks: readonly Readonly<Record<string, string>>[];
  /** Every scalar key of `meta` (options, seed, split, bootstrap settings, the time it was written). */
  readonly options: readonly (readonly [string, string])[];
}

export interface TearSheetData {
  /** The run folder's own name (`final`, `return`, ...); never the absolute path, so the page does not depend on where it lives. */
  readonly folder: string;
  readonly kind: 'objective' | 'final' | 'final_dynamic';
  readonly objective: string;
  readonly selected: {
    readonly name: string;
    readonly family: string;
    readonly familyVersion: string | null;
    readonly score: number | null;
    readonly pass: boolean | null;
    readonly failedGates: readonly string[];
    readonly gatesNearThreshold: readonly string[];
    readonly config: readonly (readonly [string, string])[];
  };
  readonly startCapital: number;
  readonly sleeves: readonly string[];
  readonly months: readonly string[];
  /** `YYYY-MM-DD` of the last train month, `null` when the summary does not say. */
  readonly splitMonthEnd: string | null;
  /** Months of the path up to and including the split month. */
  readonly nTrain: number;
  readonly selectedPath: {
    readonly ret: readonly number[];
    readonly equity: readonly number[];
    readonly weights: readonly (readonly number[])[];
    readonly grossLeverage: readonly number[];
  };
  /** Each sleeve's monthly returns (sleeve order), `null` when no table carried them. */
  readonly sleeveReturns: readonly (readonly number[])[] | null;
  /** Each sleeve alone from the same start capital, sleeve order. */
  readonly sleeveEquity: readonly (readonly number[])[] | null;
  /** Monthly-rebalanced equal weight of the sleeves. */
  readonly equalReturns: readonly number[] | null;
  readonly equalEquity: readonly number[] | null;
  readonly honest: HonestRun | null;
  readonly performance: readonly PerformanceRow[];
  readonly honesty: Honesty;
  /** Drawdown below the running month-end peak, each month (<= 0). */
  readonly drawdown: readonly number[];
  readonly worstDrawdowns: readonly DrawdownEpisode[];
  readonly yearly: readonly YearlyReturn[];
  readonly rolling: readonly RollingPoint[];
  readonly bootstrap: BootstrapData;
  readonly leaderboard: readonly LeaderboardRow[];
  readonly candidatePaths: Readonly<Record<string, CandidatePath>>;
  readonly objectiveRuns: readonly ObjectiveRunRow[];
  readonly promotion: Promotion | null;
  readonly overfitting: OverfittingData;
  readonly manifest: ManifestData;
  /** What could not be read (a missing sibling folder, a missing path table, ...). */
  readonly notes: readonly string[];
}

/** The run folder's files read here (docs/model/outputs.md). */
const FILES = {
  summary: 'step4_summary.json',
  monthlyTable: 'step4_monthly_table.parquet',
  optimizationReport: 'step4_optimization_report.json',
  runReport: 'step4_run_report.json',
} as const;

// ---------------------------------------------------------------- JSON access

type Rec = Record<string, unknown>;
const isRec = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);

function at(x: unknown, ...keys: string[]): unknown {
  let v = x;
  for (const k of keys) {
    if (!isRec(v)) return undefined;
    v = v[k];
  }
  return v;
}
const numAt = (x: unknown, ...keys: string[]): number | null => {
  const v = at(x, ...keys);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};
const strAt = (x: unknown, ...keys: string[]): string | null => {
  const v = at(x, ...keys);
  return typeof v === 'string' ? v : null;
};
const boolAt = (x: unknown, ...keys: string[]): boolean | null => {
  const v = at(x, ...keys);
  return typeof v === 'boolean' ? v : null;
};
const recAt = (x: unknown, ...keys: string[]): Rec | null => {
  const v = at(x, ...keys);
  return isRec(v) ? v : null;
};
const arrAt = (x: unknown, ...keys: string[]): unknown[] | null => {
  const v = at(x, ...keys);
  return Array.isArray(v) ? v : null;
};
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s) => typeof s === 'string') : []);
const finiteNumbers = (x: unknown): number[] | null =>
  Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'number' && Number.isFinite(v))
    ? (x as number[])
    : null;

function scalarText(v: unknown): string | null {
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * Where the tear sheet reads a run folder's files: the disk (`step4 report`),
 * or the files a run has just written, kept in memory. Both give what the
 * files hold, so both give the same page.
 */
export interface TearSheetFiles {
  /** The file's text (UTF-8); undefined when there is no such file. */
  text(file: string): Promise<string | undefined>;
  /** A Parquet file as `readParquetTable` reads it; undefined when there is no such file. */
  table(file: string): Promise<ParquetColumns | undefined>;
}

async function readIfPresent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The files on disk. */
export const diskFiles: TearSheetFiles = {
  text: (file) => readIfPresent(() => readFile(file, 'utf8')),
  table: async (file) => {
    const bytes = await readIfPresent(() => readFile(file));
    return bytes === undefined ? undefined : readParquetTable(bytes);
  },
};

async function readJson(files: TearSheetFiles, file: string): Promise<unknown | undefined> {
  try {
    const text = await files.text(file);
    return text === undefined ? undefined : JSON.parse(text);
  } catch (e) {
    throw new Error(`tear sheet: cannot read ${file}: ${(e as Error).message}`);
  }
}

const numbersOf = (col: Float64Array | string[] | undefined): number[] | null =>
  col instanceof Float64Array ? Array.from(col) : null;

// ---------------------------------------------------------------- numbers

/** Round to 6 significant digits (the page's data; keeps it small and stable). */
export function round6(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : x;
}

function compound(returns: readonly number[], start: number): number[] {
  const out: number[] = [];
  let growth = 1;
  for (const r of returns) {
    growth *= 1 + r;
    out.push(start * growth);
  }
  return out;
}

/** Annualised Sharpe ratio of monthly returns (no risk-free rate); null when undefined. */
export function annualSharpe(returns: readonly number[]): number | null {
  const sd = returns.length < 2 ? Number.NaN : std(returns, 1);
  if (!(sd > 0)) return null;
  return (mean(returns) / sd) * Math.sqrt(12);
}

/**
 * Drawdown below the running peak of the month-end equity, each month. The
 * peak starts at the first month's value, as `max_drawdown` of the metrics
 * (docs/model/metrics.md), so the deepest point equals the reported maximum drawdown.
 */
export function drawdownSeries(returns: readonly number[]): number[] {
  const out: number[] = [];
  let value = 1;
  let peak = Number.NEGATIVE_INFINITY;
  for (const r of returns) {
    value *= 1 + r;
    if (value > peak) peak = value;
    out.push(value / peak - 1);
  }
  return out;
}

/** Test- or full-period numbers of a return series: `perf` of @step4/core, with the Sharpe ratio beside. */
export function perfOf(returns: readonly number[], startCapital: number): PerfNumbers {
  const p = perf(returns, startCapital);
  return {
    endEquity: p.end_equity,
    cagr: p.cagr,
    maxDrawdown: p.max_drawdown,
    calmar: p.calmar,
    sharpe: returns.length === 0 ? null : annualSharpe(returns),
    months: p.n_months,
  };
}

/** Perf numbers from a JSON `perfJson` object, the Sharpe ratio from `returns` when given. */
function perfFromJson(x: unknown, returns?: readonly number[] | null): PerfNumbers | null {
  if (!isRec(x)) return null;
  return {
    endEquity: numAt(x, 'end_equity'),
    cagr: numAt(x, 'cagr'),
    maxDrawdown: numAt(x, 'max_drawdown'),
    calmar: numAt(x, 'calmar'),
    sharpe: numAt(x, 'sharpe') ?? numAt(x, 'sharpe_ratio') ?? (returns ? annualSharpe(returns) : null),
    months: numAt(x, 'n_months'),
  };
}

/** The worst `k` drawdown episodes (peak to recovery), deepest first. */
export function worstDrawdowns(
  months: readonly string[],
  returns: readonly number[],
  k = 5,
): DrawdownEpisode[] {
  const dd = drawdownSeries(returns);
  const episodes: DrawdownEpisode[] = [];
  let i = 0;
  while (i < dd.length) {
    if (dd[i] >= 0) {
      i++;
      continue;
    }
    // dd[i] < 0: the peak was the last month at 0 before i.
    const peak = i - 1;
    let trough = i;
    let j = i;
    while (j < dd.length && dd[j] < 0) {
      if (dd[j] < dd[trough]) trough = j;
      j++;
    }
    const recovered = j < dd.length;
    if (peak >= 0)
      episodes.push({
        depth: -dd[trough],
        start: months[peak],
        trough: months[trough],
        recovery: recovered ? months[j] : null,
        lengthMonths: (recovered ? j : dd.length - 1) - peak,
      });
    i = j;
  }
  return episodes.sort((a, b) => b.depth - a.depth || a.start.localeCompare(b.start)).slice(0, k);
}

/** Compounded return of each calendar year on the path. */
export function yearlyReturns(
  months: readonly string[],
  returns: readonly number[],
  series: string,
): YearlyReturn[] {
  const out: YearlyReturn[] = [];
  for (let i = 0; i < months.length; i++) {
    const year = Number(months[i].slice(0, 4));
    const last = out[out.length - 1];
    if (last && last.year === year) {
      out[out.length - 1] = { ...last, ret: (1 + last.ret) * (1 + returns[i]) - 1, months: last.months + 1 };
    } else out.push({ year, series, ret: returns[i], months: 1 });
  }
  return out;
}

/** Rolling 12-month compounded return, volatility and Sharpe ratio (from the 12th month on). */
export function rolling12(
  months: readonly string[],
  returns: readonly number[],
  series: string,
): RollingPoint[] {
  const out: RollingPoint[] = [];
  for (let i = 11; i < returns.length; i++) {
    const w = returns.slice(i - 11, i + 1);
    let g = 1;
    for (const r of w) g *= 1 + r;
    out.push({
      month: months[i],
      series,
      ret12: g - 1,
      vol12: std(w, 1) * Math.sqrt(12),
      sharpe12: annualSharpe(w),
    });
  }
  return out;
}

// ---------------------------------------------------------------- reading

/** A candidate's path table, the columns the selection-honest run needs. */
interface RawPath {
  readonly ret: readonly number[];
  readonly weights: readonly (readonly number[])[];
  readonly gross: readonly number[];
  readonly cost: readonly number[];
  readonly turnCost: number;
  readonly grossCost: number;
}

/**
 * The selection-honest run's monthly returns: the chosen candidate's net
 * return each test month; with `switching` (runs that charge it, i.e. write
 * `switching_cost_sum`), on a switch the account pays the new candidate's
 * cost rates for the move from the previous candidate's position instead of
 * from the new candidate's own (as @step4/robustness does). `null` when a
 * chosen candidate's path is missing.
 */
function honestReturns(
  chosen: readonly { readonly month: string; readonly candidate: string }[],
  months: readonly string[],
  paths: ReadonlyMap<string, RawPath>,
  switching: boolean,
): number[] | null {
  const out: number[] = [];
  for (let j = 0; j < chosen.length; j++) {
    const k = months.indexOf(chosen[j].month);
    const to = paths.get(chosen[j].candidate);
    if (k < 0 || !to) return null;
    let r = to.ret[k];
    const from = j > 0 ? paths.get(chosen[j - 1].candidate) : undefined;
    if (switching && from && from !== to && k >= 1) {
      let turnover = 0;
      for (let s = 0; s < to.weights.length; s++)
        turnover += Math.abs(from.weights[s][k - 1] - to.weights[s][k]);
      const paid = to.turnCost * (turnover / 2) + to.grossCost * Math.abs(to.gross[k] - from.gross[k - 1]);
      r -= paid - to.cost[k];
    }
    out.push(r);
  }
  return out;
}

/**
 * Candidate paths already made, by table: the folders of one run-all read the
 * same table objects from memory (`TearSheetFiles`), and rounding every value
 * of every candidate again for each folder is most of a page's making.
 */
const candidatePaths = new WeakMap<ParquetColumns, Map<string, CandidatePath>>();

/** A candidate's path for its leaderboard chart (equity compounded from `startCapital`, 6 significant digits). */
function candidatePath(
  table: ParquetColumns,
  ret: readonly number[],
  sleeves: readonly string[],
  startCapital: number,
): CandidatePath {
  const key = JSON.stringify([startCapital, sleeves]);
  let made = candidatePaths.get(table);
  const hit = made?.get(key);
  if (hit) return hit;
  const path = {
    equity: compound(ret, startCapital).map(round6),
    weights: sleeves.map((s) => (numbersOf(table.columns[`weight_${s}`]) ?? []).map(round6)),
    grossLeverage: (numbersOf(table.columns.gross_leverage) ?? []).map(round6),
  };
  if (!made) {
    made = new Map();
    candidatePaths.set(table, made);
  }
  made.set(key, path);
  return path;
}

interface Report {
  readonly objective: string;
  readonly doc: unknown;
  /** Folder the report was read from (its path tables are there). */
  readonly folder: string;
}

function leaderboardRows(report: Report): LeaderboardRow[] {
  const selected = strAt(report.doc, 'selected');
  return (arrAt(report.doc, 'candidates') ?? []).filter(isRec).map((c) => {
    const error = at(c, 'error');
    return {
      objective: report.objective,
      candidate: strAt(c, 'name') ?? '?',
      family: strAt(c, 'family', 'name') ?? (typeof c.family === 'string' ? c.family : '?'),
      familyVersion: strAt(c, 'family', 'version'),
      score: numAt(c, 'score'),
      trainCalmar: numAt(c, 'metrics', 'train', 'calmar'),
      testCalmar: numAt(c, 'metrics', 'test', 'calmar'),
      testEndEquity: numAt(c, 'metrics', 'test', 'end_equity'),
      testMaxDrawdown: numAt(c, 'metrics', 'test', 'max_drawdown'),
      dsr: numAt(c, 'deflated_sharpe', 'deflated_sharpe_ratio'),
      pass: boolAt(c, 'robust_pass'),
      failedGates: strings(at(c, 'failed_gates')),
      gatesNearThreshold: strings(at(c, 'gates_within_2_mc_std_errors')),
      error: error === undefined || error === null ? null : String(error),
      selected: selected !== null && strAt(c, 'name') === selected,
    };
  });
}

/** The bootstrap distribution of the gated statistic, wherever a newer run puts it. */
function findBootstrapDistribution(summary: unknown): { values: number[]; key: string } | null {
  const places: string[][] = [
    ['selected_candidate', 'metrics', 'bootstrap_distribution'],
    ['selected_candidate', 'metrics', 'bootstrap_avg_monthly_pnl_distribution'],
    ['selected_candidate', 'metrics', 'bootstrap_avg_monthly_pnl'],
    ['selected_candidate', 'bootstrap_distribution'],
    ['selected_candidate', 'bootstrap', 'distribution'],
    ['overfitting', 'bootstrap_distribution'],
    ['bootstrap_distribution'],
  ];
  for (const p of places) {
    const v = at(summary, ...p);
    const direct = finiteNumbers(v);
    if (direct) return { values: direct, key: p.join('.') };
    for (const sub of ['values', 'samples', 'distribution']) {
      const nested = finiteNumbers(at(v, sub));
      if (nested) return { values: nested, key: [...p, sub].join('.') };
    }
  }
  return null;
}

/** Text rows of a JSON value: scalars as they are, nested objects as `a.b`, lists joined. */
function flatRows(prefix: string, v: unknown, depth = 3): [string, string][] {
  const t = typeof v === 'number' ? String(round6(v)) : scalarText(v);
  if (t !== null) return [[prefix, t]];
  if (Array.isArray(v)) {
    if (v.length === 0) return [[prefix, 'none']];
    if (v.every((x) => scalarText(x) !== null))
      return v.length <= 8
        ? [[prefix, v.map((x) => (typeof x === 'number' ? String(round6(x)) : scalarText(x))).join(', ')]]
        : [];
    // A list of small records (e.g. the PBO by number of blocks): one line.
    if (v.every((x) => isRec(x) && Object.values(x).every((y) => scalarText(y) !== null)))
      return [
        [
          prefix,
          v
            .map((x) =>
              Object.entries(x as Rec)
                .map(([a, b]) => `${a} ${typeof b === 'number' ? round6(b) : scalarText(b)}`)
                .join(' '),
            )
            .join('; '),
        ],
      ];
    return [];
  }
  if (isRec(v) && depth > 0)
    return Object.entries(v).flatMap(([k, x]) => flatRows(prefix ? `${prefix}.${k}` : k, x, depth - 1));
  return [];
}

const SPA_P = ['pvalue_lower', 'pvalue_consistent', 'pvalue_upper', 'pvalue_upper_reality_check'];

function spaOf(x: unknown): SpaPValues | null {
  if (!isRec(x)) return null;
  return {
    lower: numAt(x, 'pvalue_lower'),
    consistent: numAt(x, 'pvalue_consistent'),
    upper: numAt(x, 'pvalue_upper') ?? numAt(x, 'pvalue_upper_reality_check'),
    extra: Object.entries(x).flatMap(([k, v]) => (SPA_P.includes(k) ? [] : flatRows(k, v))),
  };
}

/** Per-split in-sample / out-of-sample points of the PBO, if a run wrote them (several spellings accepted). */
function splitPointsOf(pbo: unknown): { inSample: number; outOfSample: number }[] | null {
  for (const key of ['degradation_points', 'split_points', 'points', 'splits', 'is_oos']) {
    const v = at(pbo, key);
    if (Array.isArray(v)) {
      const pts = v.flatMap((p) => {
        const is = Array.isArray(p) ? p[0] : (at(p, 'in_sample') ?? at(p, 'is') ?? at(p, 'train'));
        const oos = Array.isArray(p) ? p[1] : (at(p, 'out_of_sample') ?? at(p, 'oos') ?? at(p, 'test'));
        return typeof is === 'number' &&
          typeof oos === 'number' &&
          Number.isFinite(is) &&
          Number.isFinite(oos)
          ? [{ inSample: is, outOfSample: oos }]
          : [];
      });
      if (pts.length > 0) return pts;
    }
    // Columnar: { in_sample: [...], out_of_sample: [...] }.
    const is = finiteNumbers(at(v, 'in_sample') ?? at(v, 'is'));
    const oos = finiteNumbers(at(v, 'out_of_sample') ?? at(v, 'oos'));
    if (is && oos && is.length === oos.length)
      return is.map((x, i) => ({ inSample: x, outOfSample: oos[i] }));
  }
  return null;
}

function honestySummary(
  summary: unknown,
): Pick<ObjectiveRunRow, 'honestCalmar' | 'honestEndEquity' | 'pbo' | 'dsr' | 'spaConsistent'> {
  return {
    honestCalmar: numAt(summary, 'overfitting', 'selection_honest', 'test', 'calmar'),
    honestEndEquity: numAt(summary, 'overfitting', 'selection_honest', 'test', 'end_equity'),
    pbo: numAt(summary, 'overfitting', 'pbo', 'pbo'),
    dsr:
      numAt(summary, 'overfitting', 'selected_deflated_sharpe', 'deflated_sharpe_ratio') ??
      numAt(summary, 'selected_candidate', 'deflated_sharpe', 'deflated_sharpe_ratio'),
    spaConsistent: numAt(summary, 'overfitting', 'spa', 'pvalue_consistent'),
  };
}

function objectiveRunRow(objective: string, summary: unknown, folderMissing: boolean): ObjectiveRunRow {
  const sel = recAt(summary, 'selected_candidate');
  return {
    objective,
    candidate: strAt(sel, 'name'),
    score: numAt(sel, 'score'),
    pass: boolAt(sel, 'robust_pass'),
    failedGates: strings(at(sel, 'failed_gates')),
    testEndEquity: numAt(sel, 'metrics', 'test', 'end_equity'),
    testCalmar: numAt(sel, 'metrics', 'test', 'calmar'),
    testMaxDrawdown: numAt(sel, 'metrics', 'test', 'max_drawdown'),
    ...honestySummary(summary),
    folderMissing,
  };
}

function manifestOf(meta: unknown): ManifestData {
  const m = recAt(meta, 'manifest');
  const options: [string, string][] = [];
  if (isRec(meta))
    for (const [k, v] of Object.entries(meta)) {
      if (k === 'manifest') continue;
      const text = scalarText(v);
      if (text !== null) options.push([k, text]);
      else if (Array.isArray(v) && v.every((x) => scalarText(x) !== null))
        options.push([k, v.map((x) => scalarText(x)).join(', ')]);
      else if (isRec(v) && Object.values(v).every((x) => scalarText(x) !== null))
        options.push([
          k,
          Object.entries(v)
            .map(([a, b]) => `${a}: ${scalarText(b)}`)
            .join(', '),
        ]);
    }
  return {
    inputs: (arrAt(m, 'inputs') ?? []).filter(isRec).map((x) => ({
      name: strAt(x, 'name') ?? '?',
      source: strAt(x, 'source') ?? '',
      sha256: strAt(x, 'sha256') ?? '',
    })),
    families: (arrAt(m, 'families') ?? []).filter(isRec).map((x) => ({
      name: strAt(x, 'name') ?? '?',
      version: strAt(x, 'version') ?? '',
      source: strAt(x, 'source') ?? '',
    })),
    packages: Object.entries(recAt(m, 'packages') ?? {}).map(([k, v]): [string, string] => [k, String(v)]),
    pluginChecks: (arrAt(m, 'plugin_checks') ?? [])
      .filter(isRec)
      .map((x) =>
        Object.fromEntries(Object.entries(x).map(([k, v]) => [k, scalarText(v) ?? JSON.stringify(v)])),
      ),
    options,
  };
}

const DSR_KEYS = [
  'sharpe_monthly',
  'skewness',
  'kurtosis',
  'n_returns',
  'n_trials',
  'sharpe_variance_across_trials',
  'expected_max_sharpe',
  'probabilistic_sharpe_ratio_0',
  'deflated_sharpe_ratio',
];

function folderKind(folder: string, hasRunReport: boolean): TearSheetData['kind'] {
  const name = basename(folder);
  if (name === 'final_dynamic') return 'final_dynamic';
  if (name === 'final' || hasRunReport) return 'final';
  return 'objective';
}

/**
 * Read one run folder into the tear sheet's data model. For `final` and
 * `final_dynamic`, the sibling objective folders named in
 * `final/step4_run_report.json` are read too (their candidates join the
 * leaderboard); a missing sibling is noted, not an error. Throws when the
 * folder has no summary or no monthly table.
 */
export function readTearSheetData(runFolder: string): Promise<TearSheetData> {
  return tearSheetData(runFolder, diskFiles);
}

/** `readTearSheetData` from `files`: the one way from a run folder's files to the page's data. */
export async function tearSheetData(runFolder: string, files: TearSheetFiles): Promise<TearSheetData> {
  const notes: string[] = [];
  const summaryFile = join(runFolder, 'backtest', FILES.summary);
  const summary = await readJson(files, summaryFile);
  if (summary === undefined)
    throw new Error(`tear sheet: ${summaryFile} not found (is ${runFolder} a run folder?)`);
  const monthlyFile = join(runFolder, 'backtest', FILES.monthlyTable);
  const monthly = await files.table(monthlyFile);
  if (!monthly) throw new Error(`tear sheet: ${monthlyFile} not found`);
  const optimization = await readJson(files, join(runFolder, 'optimization', FILES.optimizationReport));
  if (optimization === undefined) notes.push('optimization/step4_optimization_report.json is missing.');

  const meta = recAt(summary, 'meta') ?? {};
  const sel = recAt(summary, 'selected_candidate') ?? {};
  const objective =
    strAt(meta, 'objective') ?? strAt(optimization, 'meta', 'objective') ?? basename(runFolder);
  const selectedName = strAt(sel, 'name') ?? strAt(optimization, 'selected') ?? '?';
  const startCapital = numAt(meta, 'start_capital') ?? 10_000;
  const months = monthly.columns.month_end as string[];
  const n = months.length;
  const sleevesFromMeta = strings(at(meta, 'sleeves'));
  const sleeves =
    sleevesFromMeta.length > 0
      ? sleevesFromMeta
      : monthly.fields.filter((f) => f.name.startsWith('weight_')).map((f) => f.name.slice(7));
  const split = strAt(meta, 'split_month_end_utc');
  const splitMonthEnd = split ? split.slice(0, 10) : null;
  const nTrain = splitMonthEnd === null ? 0 : months.filter((m) => m <= splitMonthEnd).length;

  const ret = numbersOf(monthly.columns.ret) ?? numbersOf(monthly.columns.ret_net) ?? new Array(n).fill(0);
  const equity = numbersOf(monthly.columns.equity) ?? compound(ret, startCapital);
  const weights = sleeves.map(
    (s) => numbersOf(monthly.columns[`weight_${s}`]) ?? new Array(n).fill(Number.NaN),
  );
  const grossLeverage = numbersOf(monthly.columns.gross_leverage) ?? new Array(n).fill(1);

  // Run report: in this folder (final), or in ../final (final_dynamic).
  let runReport = await readJson(files, join(runFolder, FILES.runReport));
  const hasRunReport = runReport !== undefined;
  const kind = folderKind(runFolder, hasRunReport);
  if (kind === 'final_dynamic' && runReport === undefined)
    runReport = await readJson(files, join(dirname(runFolder), 'final', FILES.runReport));
  if (kind !== 'objective' && runReport === undefined)
    notes.push('The run report (final/step4_run_report.json) is missing.');

  // Reports of every objective: this folder's own, and the siblings' for final / final_dynamic.
  const reports: Report[] = [];
  const objectiveRuns: ObjectiveRunRow[] = [];
  const objectives =
    kind !== 'objective' && runReport !== undefined
      ? strings(at(runReport, 'objectives')).length > 0
        ? strings(at(runReport, 'objectives'))
        : Object.keys(recAt(runReport, 'runs') ?? {})
      : [objective];
  if (!objectives.includes(objective)) objectives.unshift(objective);
  for (const o of objectives) {
    let folderMissing = false;
    if (o === objective) {
      if (optimization !== undefined) reports.push({ objective: o, doc: optimization, folder: runFolder });
    } else {
      const sibling = join(dirname(runFolder), o);
      const doc = await readJson(files, join(sibling, 'optimization', FILES.optimizationReport));
      if (doc === undefined) {
        folderMissing = true;
        notes.push(
          `The ${o} folder (../${o}/optimization) is missing: its candidates are not in the leaderboard.`,
        );
      } else reports.push({ objective: o, doc, folder: sibling });
    }
    const runSummary = o === objective ? summary : at(runReport, 'runs', o);
    if (runSummary !== undefined) objectiveRuns.push(objectiveRunRow(o, runSummary, folderMissing));
  }

  // Every candidate's path (from the first folder that has it).
  const candidatePaths: Record<string, CandidatePath> = {};
  const rawPaths = new Map<string, RawPath>();
  let sleeveReturns: number[][] | null = sleeves.every(
    (s) => monthly.columns[`ret_${s}`] instanceof Float64Array,
  )
    ? sleeves.map((s) => numbersOf(monthly.columns[`ret_${s}`])!)
    : null;
  const names = new Set<string>();
  for (const r of reports)
    for (const c of arrAt(r.doc, 'candidates') ?? []) {
      const name = strAt(c, 'name');
      if (name === null || names.has(name) || at(c, 'error') !== undefined) continue;
      names.add(name);
      let table: ParquetColumns | undefined;
      for (const folder of [runFolder, ...reports.map((x) => x.folder)]) {
        table = await files.table(join(folder, 'optimization', `${name}_path.parquet`));
        if (table) break;
      }
      if (!table) {
        notes.push(`The path table of ${name} is missing.`);
        continue;
      }
      const pathMonths = table.columns.month_end as string[];
      const r2 = numbersOf(table.columns.ret_net);
      if (!r2 || pathMonths.length !== n || pathMonths.some((m, i) => m !== months[i])) {
        notes.push(`The path table of ${name} does not cover the selected path's months.`);
        continue;
      }
      rawPaths.set(name, {
        ret: r2,
        weights: sleeves.map((s) => numbersOf(table.columns[`weight_${s}`]) ?? new Array(n).fill(0)),
        gross: numbersOf(table.columns.gross_leverage) ?? new Array(n).fill(1),
        cost: numbersOf(table.columns.cost) ?? new Array(n).fill(0),
        turnCost: (numAt(c, 'config', 'turn_cost_bps') ?? 0) * 1e-4,
        grossCost: (numAt(c, 'config', 'gross_cost_bps') ?? 0) * 1e-4,
      });
      if (
        name === selectedName &&
        !sleeveReturns &&
        sleeves.every((s) => table.columns[`ret_${s}`] instanceof Float64Array)
      )
        sleeveReturns = sleeves.map((s) => numbersOf(table.columns[`ret_${s}`])!);
      candidatePaths[name] = candidatePath(table, r2, sleeves, startCapital);
    }
  if (!sleeveReturns)
    notes.push('No table carries the sleeves’ returns: the sleeve and equal-weight curves are left out.');

  const equalReturns = sleeveReturns
    ? months.map((_, i) => {
        let r = 0;
        for (const s of sleeveReturns!) r += (1 / sleeveReturns!.length) * s[i];
        return r;
      })
    : null;

  // Selection-honest run.
  const honestJson = recAt(summary, 'overfitting', 'selection_honest');
  const honestReason = strAt(summary, 'overfitting', 'selection_honest_not_computed_reason');
  if (!honestJson && honestReason) notes.push(`No selection-honest run: ${honestReason}.`);
  let honest: HonestRun | null = null;
  if (honestJson) {
    const chosen = (arrAt(honestJson, 'chosen_by_month') ?? []).flatMap((x) => {
      const month = strAt(x, 'month_end');
      const candidate = strAt(x, 'candidate');
      return month && candidate ? [{ month: month.slice(0, 10), candidate }] : [];
    });
    const switchingCostSum = numAt(honestJson, 'switching_cost_sum');
    const given =
      finiteNumbers(at(honestJson, 'returns')) ?? finiteNumbers(at(honestJson, 'monthly_returns'));
    let returns: number[] | null =
      given && given.length === chosen.length
        ? given
        : honestReturns(chosen, months, rawPaths, switchingCostSum !== null);
    if (chosen.length > 0 && returns === null)
      notes.push('The selection-honest curve is left out: a chosen candidate’s path table is missing.');
    if (chosen.length === 0) returns = null;
    const firstTest = chosen.length > 0 ? months.indexOf(chosen[0].month) : -1;
    const base = firstTest > 0 ? equity[firstTest - 1] : startCapital;
    honest = {
      chosenByMonth: chosen,
      returns,
      equity: returns ? compound(returns, base) : null,
      switches: numAt(honestJson, 'switches'),
      distinctCandidates: numAt(honestJson, 'distinct_candidates'),
      switchingCostSum,
    };
  }

  // Headline rows.
  const testOf = (r: readonly number[]) => r.slice(nTrain);
  const bm = recAt(summary, 'benchmarks') ?? {};
  const equalKey = ['equal_weight_50_50', 'equal_weight'].find((k) => isRec(bm[k]));
  const performance: PerformanceRow[] = [
    {
      label: `Selected: ${selectedName}`,
      kind: 'selected',
      test: perfFromJson(at(sel, 'metrics', 'test'), testOf(ret)) ?? perfOf(testOf(ret), startCapital),
      full: perfFromJson(at(sel, 'metrics', 'full'), ret) ?? perfOf(ret, startCapital),
    },
  ];
  if (honestJson)
    performance.push({
      label: 'Selection-honest run',
      kind: 'honest',
      test: perfFromJson(at(honestJson, 'test'), honest?.returns ?? null),
      full: null,
    });
  sleeves.forEach((s, k) => {
    const r = sleeveReturns?.[k];
    performance.push({
      label: `${s} alone`,
      kind: 'sleeve',
      test: r ? perfOf(testOf(r), startCapital) : null,
      full: perfFromJson(bm[s], r) ?? (r ? perfOf(r, startCapital) : null),
    });
  });
  if (equalReturns || equalKey)
    performance.push({
      label:
        sleeves.length === 2
          ? 'Equal weight (50/50, monthly rebalanced)'
          : 'Equal weight (monthly rebalanced)',
      kind: 'equal',
      test: equalReturns ? perfOf(testOf(equalReturns), startCapital) : null,
      full:
        perfFromJson(equalKey ? bm[equalKey] : undefined, equalReturns) ??
        (equalReturns ? perfOf(equalReturns, startCapital) : null),
    });

  const overfit = recAt(summary, 'overfitting');
  const dsrJson = recAt(overfit, 'selected_deflated_sharpe') ?? recAt(sel, 'deflated_sharpe');
  const honesty: Honesty = {
    selectedTest: performance[0].test,
    honestTest: honestJson ? performance[1].test : null,
    pbo: numAt(overfit, 'pbo', 'pbo'),
    dsr: numAt(dsrJson, 'deflated_sharpe_ratio'),
    spa: spaOf(at(overfit, 'spa')),
  };

  // Bootstrap.
  const dist = findBootstrapDistribution(summary);
  const testPnlEquity = compound(testOf(ret), startCapital);
  const bootstrap: BootstrapData = {
    p10: numAt(sel, 'metrics', 'bootstrap_p10_avg_monthly_pnl'),
    mcStdError: numAt(sel, 'metrics', 'bootstrap_p10_mc_std_error'),
    distribution: dist ? dist.values.map(round6) : null,
    distributionKey: dist?.key ?? null,
    testPnl: testPnlEquity.map((e, i) => ({
      month: months[nTrain + i],
      pnl: e - (i === 0 ? startCapital : testPnlEquity[i - 1]),
    })),
    testAvgMonthlyPnl: numAt(sel, 'metrics', 'test', 'avg_monthly_pnl'),
  };

  // Overfitting.
  const pbo = recAt(overfit, 'pbo');
  const pboFacts: [string, string][] = [];
  for (const [k, v] of Object.entries(pbo ?? {})) {
    const t = typeof v === 'number' ? String(round6(v)) : scalarText(v);
    if (t !== null && k !== 'pbo') pboFacts.push([k, t]);
  }
  const edges = finiteNumbers(at(pbo, 'logit_histogram', 'edges'));
  const counts = finiteNumbers(at(pbo, 'logit_histogram', 'counts'));
  const slope = numAt(pbo, 'degradation_slope');
  const intercept = numAt(pbo, 'degradation_intercept');
  const own = reports.find((r) => r.objective === objective);
  const calmarPoints = own
    ? leaderboardRows(own).flatMap((r) =>
        r.trainCalmar !== null && r.testCalmar !== null
          ? [
              {
                candidate: r.candidate,
                family: r.family,
                train: r.trainCalmar,
                test: r.testCalmar,
                pass: r.pass === true,
                selected: r.candidate === selectedName,
              },
            ]
          : [],
      )
    : [];
  const dsrInputs: [string, number][] = [];
  if (dsrJson) {
    const keys = [
      ...DSR_KEYS.filter((k) => k in dsrJson),
      ...Object.keys(dsrJson).filter((k) => !DSR_KEYS.includes(k)),
    ];
    for (const k of keys) {
      const v = numAt(dsrJson, k);
      if (v !== null) dsrInputs.push([k, v]);
    }
  }
  const handled = new Set(['pbo', 'selected_deflated_sharpe', 'selection_honest', 'spa', 'meanings']);
  const otherFacts = Object.entries(overfit ?? {}).flatMap(([key, v]) => {
    if (handled.has(key)) return [];
    const rows = isRec(v) ? flatRows('', v) : flatRows(key, v);
    return rows.length > 0 ? [{ key, meaning: strAt(overfit, 'meanings', key), rows }] : [];
  });
  const overfitting: OverfittingData = {
    pbo: honesty.pbo,
    pboFacts,
    logitHistogram: edges && counts && edges.length === counts.length + 1 ? { edges, counts } : null,
    degradation:
      slope !== null && intercept !== null ? { slope, intercept, r2: numAt(pbo, 'degradation_r2') } : null,
    splitPoints: splitPointsOf(pbo),
    calmarPoints,
    dsrInputs,
    otherFacts,
  };

  const promotion: Promotion | null =
    runReport === undefined
      ? null
      : {
          promotedObjective: strAt(runReport, 'promoted_objective'),
          promotedCandidate: strAt(runReport, 'promoted_candidate'),
          promotedScore: numAt(runReport, 'promoted_score'),
          dynamicObjective: strAt(runReport, 'promoted_dynamic_objective'),
          dynamicCandidate: strAt(runReport, 'promoted_dynamic_candidate'),
          dynamicScore: numAt(runReport, 'promoted_dynamic_score'),
          dynamicReason: strAt(runReport, 'promoted_dynamic_reason'),
        };

  const config: [string, string][] = Object.entries(recAt(sel, 'config') ?? {}).flatMap(([k, v]) => {
    const t = scalarText(v) ?? JSON.stringify(v);
    return t === undefined ? [] : [[k, t] as [string, string]];
  });

  const series = (label: string, r: readonly number[]) => ({ label, r });
  const rollingSeries = [
    series('selected', ret),
    ...(equalReturns ? [series('equal weight', equalReturns)] : []),
  ];

  return {
    folder: basename(runFolder),
    kind,
    objective,
    selected: {
      name: selectedName,
      family: strAt(sel, 'family', 'name') ?? '?',
      familyVersion: strAt(sel, 'family', 'version'),
      score: numAt(sel, 'score'),
      pass: boolAt(sel, 'robust_pass'),
      failedGates: strings(at(sel, 'failed_gates')),
      gatesNearThreshold: strings(at(sel, 'gates_within_2_mc_std_errors')),
      config,
    },
    startCapital,
    sleeves,
    months,
    splitMonthEnd,
    nTrain,
    selectedPath: { ret, equity, weights, grossLeverage },
    sleeveReturns,
    sleeveEquity: sleeveReturns ? sleeveReturns.map((r) => compound(r, startCapital)) : null,
    equalReturns,
    equalEquity: equalReturns ? compound(equalReturns, startCapital) : null,
    honest,
    performance,
    honesty,
    drawdown: drawdownSeries(ret),
    worstDrawdowns: worstDrawdowns(months, ret),
    yearly: rollingSeries.flatMap((s) => yearlyReturns(months, s.r, s.label)),
    rolling: rollingSeries.flatMap((s) => rolling12(months, s.r, s.label)),
    bootstrap,
    leaderboard: reports.flatMap(leaderboardRows),
    candidatePaths,
    objectiveRuns,
    promotion,
    overfitting,
    manifest: manifestOf(meta),
    notes,
  };
}
