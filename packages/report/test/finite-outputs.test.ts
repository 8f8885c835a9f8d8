/**
 * No NaN or infinite number is ever written: JSON refuses them (naming the
 * file and key), Parquet writes null only in the nullable policy-diagnostic
 * columns (a month without that number) and refuses every other non-finite
 * value, naming the file, column and row.
 */
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { monthlyTableToParquet, pathTableToParquet, readParquetTable, stableJson } from '../src/index.js';

const months = ['2021-01-31', '2021-02-28', '2021-03-31', '2021-04-30'];
const series = (k: number) => Float64Array.from(months, (_, i) => Math.cos(i * 1.7 + k) / 10);

function path(overrides: Record<string, unknown> = {}) {
  return {
    monthEnds: months,
    sleeveReturns: [series(1), series(2)],
    weights: [series(3).map((x) => 0.5 + x), series(3).map((x) => 0.5 - x)],
    grossLeverage: series(4).map((x) => 1 + Math.abs(x)),
    retGross: series(5),
    cost: series(6).map(Math.abs),
    retNet: series(7),
    turnoverAbs: series(8).map(Math.abs),
    policyWRaw: [series(9), series(9).map((x) => 1 - x)],
    policyConf: series(10).map(Math.abs),
    ...overrides,
  };
}
const names = ['spyqqq', 'btceth'];

/** The path with one column replaced (per-sleeve columns by sleeve index). */
function withColumn(key: string, values: Float64Array) {
  const base = path();
  if (key === 'retA') return path({ sleeveReturns: [values, base.sleeveReturns[1]] });
  if (key === 'weightB') return path({ weights: [base.weights[0], values] });
  if (key === 'policyWRaw') return path({ policyWRaw: [values, base.policyWRaw[1]] });
  return path({ [key]: values });
}

describe('JSON outputs', () => {
  it('refuses NaN and infinite numbers anywhere, naming the file and the key path', () => {
    const cases: [unknown, string][] = [
      [{ a: { b: [1, Number.NaN] } }, 'a.b[1]'],
      [{ runs: { return: { pbo: Number.POSITIVE_INFINITY } } }, 'runs.return.pbo'],
      [[{ x: Number.NEGATIVE_INFINITY }], '[0].x'],
    ];
    for (const [value, where] of cases) {
      expect(() => stableJson(value, 'final/step4_run_report.json')).toThrow(
        `final/step4_run_report.json: ${where} is `,
      );
    }
    expect(() => stableJson(Number.NaN)).toThrow(/not a finite number/);
  });

  it('writes explicit nulls (a value that is not defined) and finite numbers unchanged', () => {
    const value = { pbo: null, reason: 'too few', n: [0, -1.5, 1e300], nested: { ok: true } };
    expect(JSON.parse(stableJson(value, 'x.json'))).toEqual(value);
  });
});

describe('Parquet outputs', () => {
  it('writes a NaN policy diagnostic as null in a nullable column (a month without a forecast)', () => {
    const muA = Float64Array.from([Number.NaN, 0.01, -0.02, 0.03]);
    const muB = Float64Array.from([Number.NaN, 0.02, Number.NaN, 0.04]);
    const bytes = pathTableToParquet(path({ extra: { mu_b: muB, mu_a: muA } }), names, 'x_path.parquet');
    const table = tableFromIPC(readParquet(bytes).intoIPCStream());
    const field = (name: string) => table.schema.fields.find((f) => f.name === name)!;
    expect(field('mu_a').nullable).toBe(true);
    expect(field('mu_b').nullable).toBe(true);
    expect(field('ret_net').nullable).toBe(false);
    const read = (name: string) =>
      Array.from({ length: table.numRows }, (_, i) => table.getChild(name)!.get(i));
    expect(read('mu_a')).toEqual([null, 0.01, -0.02, 0.03]);
    expect(read('mu_b')).toEqual([null, 0.02, null, 0.04]);
    // Read back through the package's own reader, a null is NaN again.
    const t = readParquetTable(bytes);
    expect(Array.from(t.columns.mu_b as Float64Array)).toEqual([Number.NaN, 0.02, Number.NaN, 0.04]);
  });

  it('refuses an infinite policy diagnostic: infinity is never "not defined"', () => {
    const mu = Float64Array.from([0.01, Number.POSITIVE_INFINITY, 0, 0]);
    expect(() => pathTableToParquet(path({ extra: { mu_a: mu } }), names, 'x_path.parquet')).toThrow(
      'x_path.parquet: column mu_a, row 2 (month_end 2021-02-28) is Infinity',
    );
  });

  it('refuses a non-finite value in every other column, naming the file, column and row', () => {
    const columns = [
      ['retA', 'ret_spyqqq'],
      ['weightB', 'weight_btceth'],
      ['grossLeverage', 'gross_leverage'],
      ['cost', 'cost'],
      ['retNet', 'ret_net'],
      ['policyWRaw', 'policy_w_raw'],
      ['financingCost', 'financing_cost'],
    ] as const;
    for (const [key, column] of columns) {
      for (const [row, bad] of [
        [0, Number.NaN],
        [3, Number.NEGATIVE_INFINITY],
      ] as const) {
        const values = series(11);
        values[row] = bad;
        expect(() => pathTableToParquet(withColumn(key, values), names, 'p.parquet'), column).toThrow(
          `p.parquet: column ${column}, row ${row + 1} (month_end ${months[row]}) is ${bad}`,
        );
      }
    }
  });

  it('refuses a monthly table whose returns make a non-finite equity or hold a NaN weight', () => {
    const base = {
      monthEnds: months,
      retNet: series(1),
      weights: [series(2), series(3)],
      grossLeverage: series(4),
    };
    const weights = series(2);
    weights[2] = Number.NaN;
    expect(() =>
      monthlyTableToParquet(
        { ...base, weights: [weights, series(3)] },
        names,
        10_000,
        'backtest/step4_monthly_table.parquet',
      ),
    ).toThrow(
      'backtest/step4_monthly_table.parquet: column weight_spyqqq, row 3 (month_end 2021-03-31) is NaN',
    );
    const huge = Float64Array.from([1e200, 1e200, 0, 0]);
    expect(() => monthlyTableToParquet({ ...base, retNet: huge }, names, 10_000)).toThrow(
      /monthly table: column equity, row 2 .* is Infinity/,
    );
  });
});
