/**
 * Parity of the data-snooping tests (packages/robustness/src/spa.ts) with the
 * Python `arch` package 8.0.0 (`fixtures/parity/spa_embedded.json`, parity
 * README "Data-snooping tests"): Hansen's SPA p-values (lower, consistent,
 * upper = White's Reality Check) and the Romano-Wolf StepM set at 10%, on the
 * reference run's 59 candidates over the 48 TEST months, against the
 * monthly-rebalanced 50/50 mix of the two sleeves without costs; stationary
 * bootstrap, mean block 6, 10 000 replications.
 *
 * Studentization: the fixture was made with arch's `studentize=True`, but arch
 * (up to 8.0.0) never divides by the standard error: its statistic is the
 * largest raw mean loss differential, the variance only sets the consistent
 * threshold (`SPA.compute` / `_simulate_values` in
 * arch/bootstrap/multiple_comparison.py). Our `studentize: false` is that
 * computation; our default, `studentize: true`, is Hansen's t-statistic and
 * gives different p-values on these data (about 0.38 / 0.49 / 0.49). A NumPy
 * transcription of arch's code reproduces the five fixture runs exactly with
 * NumPy's generator, and reproduces our p-values exactly when fed our
 * bootstrap indices, so the remaining difference is Monte Carlo only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// Imported from the source: the package's index does not export spa.ts yet and
// tests/parity resolves @step4/robustness to its built dist.
import { stepM, superiorPredictiveAbility } from '@step4/robustness';
import { referencePaths } from './fixtures.js';

interface SpaRun {
  seed: number;
  pvalue_lower: number;
  pvalue_consistent: number;
  pvalue_upper_reality_check: number;
  stepm_superior_at_10pct: string[];
}
interface SpaFixture {
  benchmark: string;
  months: string[];
  candidates: string[];
  block_size: number;
  reps: number;
  bootstrap: string;
  studentize: boolean;
  runs: SpaRun[];
}

const fixture: SpaFixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/parity/spa_embedded.json', import.meta.url), 'utf8'),
);
const paths = referencePaths();

/** Each candidate's net returns on the fixture's months, in the fixture's candidate order. */
const models = fixture.candidates.map((name) => {
  const byMonth = new Map(paths.get(name)!.map((row) => [row.month_end as string, row.ret_net as number]));
  return Float64Array.from(fixture.months, (m) => {
    const r = byMonth.get(m);
    if (r === undefined) throw new Error(`${name} has no path row for ${m}`);
    return r;
  });
});

/** The benchmark: 0.5 ret_a + 0.5 ret_b, rebalanced monthly, no costs (the sleeve returns are the same on every candidate's rows). */
const sleeves = new Map<string, [number, number]>();
for (const rows of paths.values())
  for (const row of rows) {
    const m = row.month_end as string;
    const ab: [number, number] = [row.ret_a as number, row.ret_b as number];
    const seen = sleeves.get(m);
    if (seen && (seen[0] !== ab[0] || seen[1] !== ab[1]))
      throw new Error(`sleeve returns differ across candidates in ${m}`);
    sleeves.set(m, ab);
  }
const benchmark = Float64Array.from(
  fixture.months,
  (m) => 0.5 * sleeves.get(m)![0] + 0.5 * sleeves.get(m)![1],
);

const opts = { meanBlock: fixture.block_size, reps: fixture.reps, studentize: false } as const;

/**
 * Tolerance. With the data fixed, a bootstrap p-value is the mean of `reps`
 * Bernoulli(p) indicators, so its Monte Carlo standard error is
 * sqrt(p (1 - p) / reps): about 0.0046 at p = 0.3 and reps = 10 000. The five
 * arch seeds' [min, max] already spans arch's own Monte Carlo error (about
 * +-1.2 standard errors for five draws); our estimate is one more independent
 * draw, which lands more than 3 of its standard errors outside that range
 * with probability below 0.15% per side. Hence [min - 3 se, max + 3 se], with
 * se from our own p-value (the parity README's "about 0.01").
 */
function withinArchSpread(ours: number, arch: number[]): { ok: boolean; lo: number; hi: number } {
  const se = Math.sqrt((ours * (1 - ours)) / fixture.reps);
  const lo = Math.min(...arch) - 3 * se;
  const hi = Math.max(...arch) + 3 * se;
  return { ok: ours >= lo && ours <= hi, lo, hi };
}

describe('SPA / Reality Check / StepM parity with arch 8.0.0 (parity README, data-snooping tests)', () => {
  it('uses the fixture design: 59 candidates, 48 TEST months 2022-02 .. 2026-01, stationary bootstrap', () => {
    expect(fixture.candidates).toHaveLength(59);
    expect(fixture.months).toHaveLength(48);
    expect([fixture.months[0], fixture.months.at(-1)]).toEqual(['2022-02-28', '2026-01-31']);
    expect(fixture.candidates.every((c) => paths.has(c))).toBe(true);
    expect([fixture.bootstrap, fixture.block_size, fixture.reps]).toEqual(['stationary', 6, 10_000]);
    expect(fixture.benchmark).toContain('equal weight');
  });

  it.each([1, 2, 3, 4, 5])(
    "seed %i: the three p-values fall in the spread of arch's five seeds +- 3 Monte Carlo errors",
    (seed) => {
      const r = superiorPredictiveAbility(models, benchmark, { ...opts, seed });
      expect([r.nModels, r.nMonths, r.reps, r.meanBlock]).toEqual([59, 48, 10_000, 6]);
      const pairs = [
        ['lower', r.pvalueLower, fixture.runs.map((x) => x.pvalue_lower)],
        ['consistent', r.pvalueConsistent, fixture.runs.map((x) => x.pvalue_consistent)],
        ['upper', r.pvalueUpper, fixture.runs.map((x) => x.pvalue_upper_reality_check)],
      ] as const;
      for (const [name, ours, arch] of pairs) {
        const { ok, lo, hi } = withinArchSpread(ours, [...arch]);
        expect(
          ok,
          `${name}: ours ${ours}, arch ${arch.join(' ')} -> [${lo.toFixed(4)}, ${hi.toFixed(4)}]`,
        ).toBe(true);
      }
      expect(r.monteCarloStdError).toBeLessThan(0.005);
    },
  );

  it.each([1, 2, 3, 4, 5])('seed %i: StepM at 10%% finds no candidate superior, as arch', (seed) => {
    for (const run of fixture.runs) expect(run.stepm_superior_at_10pct).toEqual([]);
    const m = stepM(models, benchmark, { ...opts, seed, alpha: 0.1, names: fixture.candidates });
    expect(m.superior).toEqual([]);
    expect(m.superiorNames).toEqual([]);
  });

  it('59 candidates x 48 months x 10 000 replications take well under 2 seconds', () => {
    superiorPredictiveAbility(models, benchmark, { ...opts, reps: 500, seed: 9 }); // warm up the JIT
    const t0 = performance.now();
    superiorPredictiveAbility(models, benchmark, { ...opts, seed: 9 });
    stepM(models, benchmark, { ...opts, seed: 9, alpha: 0.1 });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
