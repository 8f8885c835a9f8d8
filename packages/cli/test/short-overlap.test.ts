/**
 * Short overlaps: from 48 common months on, `step4 run-all` either runs every
 * statistic (the PBO with fewer blocks when the path is short) or refuses
 * the options with a one-line input error naming the option; never an
 * internal error, never a NaN or a stray null in the outputs.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@step4/core';
import { readParquetTable } from '@step4/report';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, step4Async, writeMonthlySleeve } from './helpers.js';

const OBJECTIVES = ['return', 'balanced', 'calmar', 'robust'];
/** Keys whose null means "off" or "none" by design (options not set, no dynamic run). */
const NULL_ALLOWED = new Set([
  'max_pbo',
  'min_dsr',
  'risk_free_table',
  // No record length would do when the Sharpe ratio is not above the threshold.
  'min_track_record_months_vs_0',
  'min_track_record_months_vs_deflated',
  'promoted_dynamic_objective',
  'promoted_dynamic_score',
  'promoted_dynamic_candidate',
  'promoted_dynamic_reason',
]);

let work: string;

/**
 * Two sleeves of `months` calendar month ends from 2017-01: an equity-like
 * sleeve (0.9% a month, 4% vol) and a crypto-like one (3%, 18%), correlated
 * 0.4, with a fat-tailed shock now and then; returns stay above -95%.
 */
function writeSleeves(months: number, seed: number): [string, string] {
  const rng = new SeededRandom(seed);
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
  const a: string[] = [];
  const b: string[] = [];
  for (let i = 0; i < months; i++) {
    const common = normal();
    const shock = rng.nextFloat() < 0.05 ? -3 * Math.abs(normal()) : 0;
    const ra = 0.009 + 0.04 * (0.4 * common + 0.92 * normal()) + 0.02 * shock;
    const rb = 0.03 + 0.18 * (0.4 * common + 0.92 * normal()) + 0.08 * shock;
    a.push(Math.max(-0.95, ra).toFixed(6));
    b.push(Math.max(-0.95, rb).toFixed(6));
  }
  return [
    writeMonthlySleeve(join(work, `a_${months}_${seed}.csv`), 2017, a),
    writeMonthlySleeve(join(work, `b_${months}_${seed}.csv`), 2017, b),
  ];
}

async function runAll(months: number, extra: string[]): Promise<{ out: string; r: CliResult }> {
  const [a, b] = writeSleeves(months, 1000 + months);
  const out = join(work, `out_${months}_${extra.join('_')}`);
  const r = await step4Async([
    'run-all',
    '--quiet',
    '--no-chart',
    '--bootstrap-samples',
    '200',
    '--out-dir',
    out,
    '--sleeve',
    `spyqqq=${a}`,
    '--sleeve',
    `btceth=${b}`,
    ...extra,
  ]);
  return { out, r };
}

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));
}

/** Every null in a JSON value that is not one of the designed "off"/"none" keys. */
function strayNulls(value: unknown, path = ''): string[] {
  if (value === null) return NULL_ALLOWED.has(path.split('.').pop()!) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => strayNulls(v, `${path}[${i}]`));
  if (typeof value === 'object')
    return Object.entries(value as object).flatMap(([k, v]) => strayNulls(v, path ? `${path}.${k}` : k));
  return [];
}

/** Checks of a successful run's outputs. */
function checkOutputs(out: string, pathMonths: number) {
  const pboShape = (pbo: Record<string, number>, months: number) => {
    expect(pbo.blocks_requested).toBe(16);
    expect(Number.isInteger(pbo.blocks) && pbo.blocks >= 2 && pbo.blocks % 2 === 0).toBe(true);
    expect(pbo.blocks).toBeLessThanOrEqual(pbo.blocks_requested);
    expect(pbo.months_used % pbo.blocks).toBe(0);
    expect(pbo.months_used / pbo.blocks).toBeGreaterThanOrEqual(2);
    expect(pbo.months_used + pbo.months_dropped).toBe(months);
    expect(pbo.pbo).toBeGreaterThanOrEqual(0);
    expect(pbo.pbo).toBeLessThanOrEqual(1);
  };
  const report = JSON.parse(readFileSync(join(out, 'final/step4_run_report.json'), 'utf8'));
  for (const objective of OBJECTIVES) {
    const run = report.runs[objective];
    expect(run.selected_candidate.metrics.full.n_months).toBe(pathMonths);
    // The selection's own PBO on the test months, and the same on every path month.
    const pbo = run.overfitting.pbo;
    pboShape(pbo, run.selected_candidate.metrics.test.n_months);
    pboShape(run.overfitting.pbo_all_months, pathMonths);
    expect(report.overfitting[objective].pbo_blocks).toBe(pbo.blocks);
    expect(typeof run.overfitting.selected_deflated_sharpe.deflated_sharpe_ratio).toBe('number');
    expect(typeof run.overfitting.selection_honest.test.calmar).toBe('number');
  }
  const json = files(out, '.json');
  expect(json.length).toBeGreaterThan(8);
  for (const f of json) expect(strayNulls(JSON.parse(readFileSync(f, 'utf8'))), f).toEqual([]);
  const tables = files(out, '.parquet');
  expect(tables.length).toBeGreaterThan(4 * 59);
  for (const f of tables) {
    const t = readParquetTable(readFileSync(f));
    for (const [name, values] of Object.entries(t.columns)) {
      if (!(values instanceof Float64Array)) continue;
      // Only the policy's forecast diagnostics may be null (NaN here): months without a forecast.
      const allowed = name === 'mu_a' || name === 'mu_b';
      for (const v of values) if (!allowed) expect(Number.isFinite(v), `${f}: ${name}`).toBe(true);
    }
  }
  return report;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'step4-short-'));
});

describe('step4 run-all on short overlaps', () => {
  it('48 common months: the PBO runs with 6 (test months) and 12 (all months) of the 16 requested blocks, every output finite', async () => {
    // Z has 42 rows; 18 history months leave a 24-month path: 12 train and 12 test months.
    const { out, r } = await runAll(48, ['--min-history-months', '18', '--train-ratio', '0.75']);
    expect(r.code, r.stderr).toBe(0);
    const report = checkOutputs(out, 24);
    // 12 test months make 6 blocks of 2; the 24 path months make 12.
    expect(report.runs.return.overfitting.pbo.blocks).toBe(6);
    expect(report.runs.return.overfitting.pbo_all_months.blocks).toBe(12);
  }, 120_000);

  it('61 common months: the PBO runs with 6 (test months) and 14 (all months) of the 16 requested blocks, every output finite', async () => {
    const { out, r } = await runAll(61, ['--train-ratio', '0.75']);
    expect(r.code, r.stderr).toBe(0);
    const report = checkOutputs(out, 31);
    // 15 test months make 6 blocks of 2 (one left out); the 31 path months make 14.
    expect(report.runs.calmar.overfitting.pbo.blocks).toBe(6);
    expect(report.runs.calmar.overfitting.pbo_all_months.blocks).toBe(14);
  }, 120_000);

  it.each([48, 61])(
    '%i common months with the default options: a complete run, every output finite',
    async (months) => {
      // The README promises that 48 common months are enough with the defaults (24 history months,
      // train ratio 0.6), even when the walk-forward path then starts inside the test period.
      const { out, r } = await runAll(months, []);
      expect(r.code, r.stderr).toBe(0);
      checkOutputs(out, months - 6 - 24);
    },
    120_000,
  );
});
