/**
 * N >= 2 sleeves (docs/model/features.md, mechanics.md, inputs.md) on a
 * four-sleeve synthetic panel: the feature table, the vector position
 * mechanics, refusing two-sleeve families and scalar decisions, and the
 * too-little-overlap message of alignSleeves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CORE_API_VERSION,
  type CandidateConfig,
  DecisionError,
  FamilyRegistry,
  InputError,
  type SleeveTable,
  alignSleeves,
  buildFeatureTable,
  checkSleeveSupport,
  defineFamily,
  featureNames,
  runWalkForward,
  sleeveBounds,
  walkForwardSteps,
} from '../src/index.js';
import { syntheticPanel } from '../src/testing/index.js';

const panel = syntheticPanel({ months: 96, seed: 11, sleeves: 4 });
const N = panel.names.length;
const table = buildFeatureTable(panel);
const MIN_HISTORY = 24;
const EPS = 1e-12;

/** A deterministic hash of the month, the seed and the sleeve to [0, 1). */
function noise(step: number, seed: number, s: number): number {
  let x =
    (Math.imul(step + 1, 0x9e3779b1) ^ Math.imul(seed + 7, 0x85ebca6b) ^ Math.imul(s + 3, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  return x / 0x100000000;
}

/**
 * Raw weights that jump around and leave the simplex: from the month's own
 * features and a hash of the month, some negative, some above 1, some huge.
 */
function rawWeights(features: Float64Array, step: number, seed: number, n: number): number[] {
  return Array.from({ length: n }, (_, s) => {
    const u = noise(step, seed, s);
    const f = features[(s * 7 + 1) % features.length];
    if (u < 0.05) return u < 0.025 ? -50 : 50;
    return 3 * u - 1 + 4 * f;
  });
}

/** A family for any number of sleeves, written with the N-sleeve contract. */
const anyN = defineFamily({
  meta: { name: 'any_n', version: '1.0.0', coreApi: CORE_API_VERSION },
  params: {},
  sleeves: { min: 2 },
  defaultGrid: (c) => [c('any_n_1')],
  decide: (ctx) => ({
    wRaw: rawWeights(ctx.features, ctx.step, ctx.seed, ctx.sleeveNames.length),
    conf: noise(ctx.step, ctx.seed, 99),
  }),
});

/** A family written for two sleeves: no `sleeves`, a scalar weight. */
const twoOnly = defineFamily({
  meta: { name: 'two_only', version: '1.0.0', coreApi: CORE_API_VERSION },
  params: {},
  defaultGrid: (c) => [c('two_only_1')],
  decide: () => ({ wRaw: 0.6, conf: 0 }),
});

/** Position parameters with sleeve 0's bounds [lo, hi]. */
const configOf = (lo: fc.Arbitrary<number>, hi: fc.Arbitrary<number>): fc.Arbitrary<CandidateConfig> =>
  fc
    .record({
      lo,
      hi,
      smoothing: fc.double({ min: 0, max: 0.95, noNaN: true }),
      max_step: fc.double({ min: 0.01, max: 1, noNaN: true }),
      turn_cost_bps: fc.double({ min: 0, max: 50, noNaN: true }),
      target_vol: fc.oneof(fc.constant(0), fc.double({ min: 0.005, max: 0.1, noNaN: true })),
    })
    .map(({ lo, hi, ...rest }) => anyN.candidate('any_n_prop', { ...rest, min_w: lo, max_w: hi }));

/** The equal-weight start 1/N inside [min_w, max_w]. */
const configArb = configOf(
  fc.double({ min: 0, max: 1 / N, noNaN: true }),
  fc.double({ min: 1 / N, max: 1, noNaN: true }),
);

/** The equal-weight start outside [min_w, max_w] (above or below it). */
const outsideArb = fc.oneof(
  configOf(
    fc.double({ min: 1 / N + 0.01, max: 0.6, noNaN: true }),
    fc.double({ min: 0.6, max: 1, noNaN: true }),
  ),
  configOf(
    fc.double({ min: 0, max: 0.1, noNaN: true }),
    fc.double({ min: 0.1, max: 1 / N - 0.01, noNaN: true }),
  ),
);

/** Checks every month's weights (sum 1, within the bounds), the turnover column, and the step cap from month `capFrom` on. */
async function checkPath(config: CandidateConfig, seed: number, capFrom: number) {
  const path = await runWalkForward(anyN, config, table, { minHistory: MIN_HISTORY, seed });
  const { lo, hi } = sleeveBounds(N, config.min_w, config.max_w);
  expect(path.sleeveNames).toEqual(panel.names);
  expect(path.weights.length).toBe(N);
  const prev = new Array<number>(N).fill(1 / N);
  for (let k = 0; k < path.monthEnds.length; k++) {
    let sum = 0;
    let moved = 0;
    for (let s = 0; s < N; s++) {
      const w = path.weights[s][k];
      sum += w;
      moved += Math.abs(w - prev[s]);
      expect(w, `sleeve ${s} at ${path.monthEnds[k]}`).toBeGreaterThanOrEqual(lo[s] - EPS);
      expect(w, `sleeve ${s} at ${path.monthEnds[k]}`).toBeLessThanOrEqual(hi[s] + EPS);
    }
    expect(path.weights[0][k]).toBeGreaterThanOrEqual(config.min_w - EPS);
    expect(path.weights[0][k]).toBeLessThanOrEqual(config.max_w + EPS);
    expect(Math.abs(sum - 1), `sum at ${path.monthEnds[k]}`).toBeLessThanOrEqual(EPS);
    if (k >= capFrom)
      expect(0.5 * moved, `turnover at ${path.monthEnds[k]}`).toBeLessThanOrEqual(config.max_step + EPS);
    expect(path.turnoverAbs[k]).toBe(0.5 * moved);
    for (let s = 0; s < N; s++) prev[s] = path.weights[s][k];
  }
}

describe('features for N sleeves', () => {
  it('has 7N + 3(N - 1) = 37 columns, the spreads of sleeve 0 suffixed with the other sleeve', () => {
    expect(N).toBe(4);
    expect(table.featureNames.length).toBe(7 * N + 3 * (N - 1));
    expect(table.featureNames.length).toBe(37);
    expect(table.sleeveNames).toEqual(panel.names);
    expect(table.returns.length).toBe(N);
    for (let s = 1; s < N; s++) {
      for (const spread of ['spread_mom_3', 'spread_mom_6', 'spread_vol_6'])
        expect(table.featureNames).toContain(`${spread}_${panel.names[s]}`);
    }
    expect(table.featureNames).not.toContain('spread_mom_3');
    // Two sleeves keep the reference's 17 names.
    expect(featureNames(['a', 'b'])).toHaveLength(17);
    expect(featureNames(['a', 'b'])).toContain('spread_mom_3');
  });

  it("computes each spread from sleeve 0's and that sleeve's columns", () => {
    const f = table.featureNames.length;
    const col = (name: string) => table.featureNames.indexOf(name);
    for (let s = 1; s < N; s++) {
      const other = panel.names[s];
      for (const [spread, column] of [
        ['spread_mom_3', 'mom_3'],
        ['spread_mom_6', 'mom_6'],
        ['spread_vol_6', 'vol_6'],
      ]) {
        const k = col(`${spread}_${other}`);
        const a = col(`ret_${panel.names[0]}_${column}`);
        const b = col(`ret_${other}_${column}`);
        expect(Math.min(k, a, b)).toBeGreaterThanOrEqual(0);
        for (let t = 0; t < table.length; t++)
          expect(table.features[t * f + k]).toBe(table.features[t * f + a] - table.features[t * f + b]);
      }
    }
  });

  it('keeps the first two sleeves of the two-sleeve panel', () => {
    const two = syntheticPanel({ months: 96, seed: 11 });
    expect(Array.from(panel.returns[0])).toEqual(Array.from(two.returns[0]));
    expect(Array.from(panel.returns[1])).toEqual(Array.from(two.returns[1]));
    expect(panel.monthEnds).toEqual(two.monthEnds);
  });
});

describe('position mechanics for N sleeves', () => {
  it('keeps the weights on the bounded simplex, caps one-way turnover at max_step, and records it', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.integer({ min: 0, max: 1000 }), (config, seed) =>
        checkPath(config, seed, 0),
      ),
      { numRuns: 40, seed: 20_260_716 },
    );
  });

  it('starting outside the bounds (1/N outside [min_w, max_w]), lands on them in the first month, then caps the step', async () => {
    await fc.assert(
      fc.asyncProperty(outsideArb, fc.integer({ min: 0, max: 1000 }), (config, seed) =>
        checkPath(config, seed, 1),
      ),
      { numRuns: 30, seed: 20_260_717 },
    );
  });

  it("keeps the policy's own weights per sleeve, and each sleeve's return beside them", async () => {
    const config = anyN.candidate('any_n_1', { min_w: 0.1, max_w: 0.5, max_step: 0.2 });
    const path = await runWalkForward(anyN, config, table, { minHistory: MIN_HISTORY, seed: 3 });
    const steps = walkForwardSteps(table, MIN_HISTORY);
    const f = table.featureNames.length;
    steps.forEach((i, k) => {
      const raw = rawWeights(table.features.subarray(i * f, (i + 1) * f), i, 3, N);
      for (let s = 0; s < N; s++) {
        expect(path.policyWRaw[s][k]).toBe(raw[s]);
        expect(path.sleeveReturns[s][k]).toBe(table.returns[s][i]);
      }
      let blend = 0;
      for (let s = 0; s < N; s++) blend += path.weights[s][k] * table.returns[s][i];
      expect(path.retGross[k]).toBeCloseTo(path.grossLeverage[k] * blend, 14);
    });
    // The raw weights did leave the simplex, so the projection was exercised.
    expect(path.policyWRaw.some((col) => col.some((w) => w < 0 || w > 1))).toBe(true);
  });

  it('fails a family that returns a scalar (or the wrong number of weights) for four sleeves', async () => {
    const scalar = defineFamily({
      meta: { name: 'scalar_n', version: '1.0.0', coreApi: CORE_API_VERSION },
      params: {},
      sleeves: { min: 2 },
      defaultGrid: (c) => [c('scalar_n_1')],
      decide: () => ({ wRaw: 0.4, conf: 0 }),
    });
    const run = runWalkForward(scalar, scalar.candidate('scalar_n_1'), table, {
      minHistory: MIN_HISTORY,
      seed: 1,
    });
    await expect(run).rejects.toThrow(DecisionError);
    await expect(
      runWalkForward(scalar, scalar.candidate('scalar_n_1'), table, { minHistory: MIN_HISTORY, seed: 1 }),
    ).rejects.toThrow(
      `family scalar_n, candidate scalar_n_1, month ${table.monthEnds[MIN_HISTORY]}: w_raw is one number, but this run has 4 sleeves`,
    );
    // A two-sleeve family run directly on four sleeves fails the same way.
    await expect(
      runWalkForward(twoOnly, twoOnly.candidate('two_only_1'), table, { minHistory: MIN_HISTORY, seed: 1 }),
    ).rejects.toThrow(DecisionError);
    const three = defineFamily({
      meta: { name: 'three', version: '1.0.0', coreApi: CORE_API_VERSION },
      params: {},
      sleeves: { min: 2 },
      defaultGrid: (c) => [c('three_1')],
      decide: () => ({ wRaw: [0.2, 0.3, 0.5], conf: 0 }),
    });
    await expect(
      runWalkForward(three, three.candidate('three_1'), table, { minHistory: MIN_HISTORY, seed: 1 }),
    ).rejects.toThrow(DecisionError);
  });
});

describe('families and sleeve counts', () => {
  const registry = new FamilyRegistry().register(anyN).register(twoOnly);
  const four = { names: panel.names };

  it('refuses a two-sleeve family in a four-sleeve grid, naming the family and the sleeve count', () => {
    const grid = [anyN.candidate('any_n_1'), twoOnly.candidate('two_only_1')];
    expect(() => checkSleeveSupport(grid, registry, four)).toThrow(InputError);
    expect(() => checkSleeveSupport(grid, registry, four)).toThrow(
      /candidate two_only_1: family two_only .*supports 2 sleeves.*this run has 4 \(a, b, c, d\)/,
    );
    // The same grid runs with two sleeves, and the N-sleeve family alone runs with four.
    expect(() => checkSleeveSupport(grid, registry, { names: ['a', 'b'] })).not.toThrow();
    expect(() => checkSleeveSupport([anyN.candidate('any_n_1')], registry, four)).not.toThrow();
    // The default grid of a four-sleeve run leaves the two-sleeve family out.
    expect(registry.defaultGrid(four).map((c) => c.method)).toEqual(['any_n']);
  });
});

describe('alignSleeves with N tables', () => {
  const months = (fromYear: number, n: number) =>
    Array.from({ length: n }, (_, k) => {
      const y = fromYear + Math.floor(k / 12);
      return `${y}-${String((k % 12) + 1).padStart(2, '0')}`;
    });
  const sleeve = (name: string, m: string[]): SleeveTable => ({
    name,
    source: `/data/${name}.csv`,
    sha256: '',
    months: m,
    ret: new Float64Array(m.length).fill(0.01),
  });

  it('names the table that starts late and every table with its range', () => {
    const tables = [
      sleeve('a', months(2010, 60)),
      sleeve('b', months(2010, 60)),
      sleeve('c', months(2010, 60)),
      sleeve('d', months(2013, 48)),
    ];
    expect(() => alignSleeves(tables)).toThrow(InputError);
    let message = '';
    try {
      alignSleeves(tables);
    } catch (e) {
      message = (e as Error).message;
    }
    // d starts last and a, b, c end first: each is named with its range and what it does to the overlap.
    expect(message).toContain('d.csv (d, 2013-01 .. 2016-12) starts last');
    for (const name of ['a', 'b', 'c'])
      expect(message).toContain(`${name}.csv (${name}, 2010-01 .. 2014-12) ends first`);
    expect(message).toContain('share 24 months (2013-01 .. 2014-12), at least 48 are needed');
    // Enough overlap with a lower minimum: four sleeves on the common months.
    const p = alignSleeves(tables, { minOverlap: 24 });
    expect(p.names).toEqual(['a', 'b', 'c', 'd']);
    expect(p.returns.length).toBe(4);
    expect([p.monthEnds[0], p.monthEnds[23]]).toEqual(['2013-01-31', '2014-12-31']);
  });

  it('names the table that ends early the same way', () => {
    const tables = [
      sleeve('x', months(2010, 60)),
      sleeve('y', months(2010, 30)),
      sleeve('z', months(2010, 60)),
    ];
    expect(() => alignSleeves(tables)).toThrow(
      /^too little overlap: the 3 sleeves share 30 months .*; y\.csv \(y, 2010-01 \.\. 2012-06\) ends first; the others: x\.csv \(x, 2010-01 \.\. 2014-12\), z\.csv \(z, 2010-01 \.\. 2014-12\)$/,
    );
  });
});
