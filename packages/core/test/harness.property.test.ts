/**
 * Properties of the position mechanics (docs/model/mechanics.md, harness.ts) for
 * random configs, decisions and return histories: what the harness promises
 * whatever a policy asks for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CandidateConfig,
  type Decision,
  DecisionError,
  type FeatureTable,
  MIN_GROSS,
  applyPositionMechanics,
  candidate,
} from '../src/index.js';

const EPS = 1e-12;
const RUNS = { numRuns: 150, seed: 20_260_601 };
const MONTH = (i: number) => new Date(Date.UTC(2000, i + 1, 0)).toISOString().slice(0, 10);

/** A table of n months: only month ends and returns matter to the mechanics. */
function tableOf(retA: number[], retB: number[]): FeatureTable {
  const n = retA.length;
  return {
    length: n,
    featureNames: [],
    features: new Float64Array(0),
    monthEnds: Array.from({ length: n }, (_, i) => MONTH(i)),
    sleeveNames: ['a', 'b'],
    returns: [Float64Array.from(retA), Float64Array.from(retB)],
    panelIndex: Int32Array.from({ length: n }, (_, i) => i),
  };
}

const unit = fc.double({ min: 0, max: 1, noNaN: true });
/** A valid config: min_w <= max_w, smoothing in [0, 1), max_gross >= 0.85, costs >= 0. */
const configArb = fc
  .record({
    lo: unit,
    hi: unit,
    smoothing: fc.double({ min: 0, max: 0.99, noNaN: true }),
    max_step: fc.double({ min: 0.01, max: 1, noNaN: true }),
    gross_base: fc.double({ min: 0.5, max: 1.5, noNaN: true }),
    gross_conf_scale: fc.double({ min: 0, max: 0.6, noNaN: true }),
    max_gross: fc.double({ min: MIN_GROSS, max: 2, noNaN: true }),
    target_vol: fc.oneof(fc.constant(0), fc.double({ min: 0.005, max: 0.1, noNaN: true })),
    vol_lb: fc.integer({ min: 0, max: 24 }),
    turn_cost_bps: fc.double({ min: 0, max: 50, noNaN: true }),
    gross_cost_bps: fc.double({ min: 0, max: 50, noNaN: true }),
  })
  .map(({ lo, hi, ...rest }) =>
    candidate('prop', 'x', { ...rest, min_w: Math.min(lo, hi), max_w: Math.max(lo, hi) }),
  );

/** A two-sleeve decision: the first sleeve's raw weight as one number. */
type ScalarDecision = Decision & { wRaw: number };

/** Raw weights anywhere (out of range too), confidences in [0, 1]. */
const decisionArb: fc.Arbitrary<ScalarDecision> = fc.record({
  wRaw: fc.oneof(unit, fc.double({ min: -5, max: 5, noNaN: true }), fc.constantFrom(-1e9, 1e9)),
  conf: fc.oneof(unit, fc.constantFrom(0, 1)),
});

/**
 * n months of returns above -1/max_gross + 5%: the worst leveraged blend then
 * loses less than all of the capital, and costs (< 1% a month here) cannot
 * make up the rest.
 */
function caseArb(minMonths = 2) {
  return configArb.chain((config) => {
    const floor = -1 / config.max_gross + 0.05;
    const ret = fc.double({ min: floor, max: 1.5, noNaN: true });
    return fc.integer({ min: minMonths, max: 40 }).chain((n) =>
      fc.record({
        config: fc.constant(config),
        retA: fc.array(ret, { minLength: n, maxLength: n }),
        retB: fc.array(ret, { minLength: n, maxLength: n }),
        decisions: fc.array(decisionArb, { minLength: n, maxLength: n }),
        firstStep: fc.integer({ min: 0, max: n - 1 }),
        financing: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })),
      }),
    );
  });
}

function run(c: {
  config: CandidateConfig;
  retA: number[];
  retB: number[];
  decisions: ScalarDecision[];
  firstStep: number;
  financing: number;
}) {
  const table = tableOf(c.retA, c.retB);
  const steps = Array.from({ length: table.length - c.firstStep }, (_, k) => c.firstStep + k);
  const decisions = c.decisions.slice(0, steps.length);
  return {
    table,
    steps,
    decisions,
    path: applyPositionMechanics(table, steps, decisions, c.config, 'x', c.financing),
  };
}

const clip = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

describe('position mechanics: properties', () => {
  it('weights stay within [min_w, max_w], B gets the rest, and no month moves more than max_step', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { config, path } = { config: c.config, ...run(c) };
        let prev = 0.5;
        for (let k = 0; k < path.weights[0].length; k++) {
          const w = path.weights[0][k];
          expect(w).toBeGreaterThanOrEqual(config.min_w);
          expect(w).toBeLessThanOrEqual(config.max_w);
          expect(path.weights[1][k]).toBe(1 - w);
          // The start (0.5) may lie outside the bounds: the first month may have to jump into them.
          const outside = Math.max(0, config.min_w - 0.5, 0.5 - config.max_w);
          expect(Math.abs(w - prev)).toBeLessThanOrEqual(
            (k === 0 ? Math.max(config.max_step, outside) : config.max_step) + EPS,
          );
          prev = w;
        }
      }),
      RUNS,
    );
  });

  it('the weight never overshoots: it lies between the previous weight and the clipped raw weight', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { config, path, decisions } = { config: c.config, ...run(c) };
        for (let k = 1; k < path.weights[0].length; k++) {
          const target = clip(decisions[k].wRaw, config.min_w, config.max_w);
          const prev = path.weights[0][k - 1];
          expect(path.weights[0][k]).toBeGreaterThanOrEqual(Math.min(prev, target) - EPS);
          expect(path.weights[0][k]).toBeLessThanOrEqual(Math.max(prev, target) + EPS);
        }
      }),
      RUNS,
    );
  });

  it('gross leverage stays within [0.85, max_gross], is the confidence-scaled gross without vol targeting, and only lower with it', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { config, path, decisions } = { config: c.config, ...run(c) };
        for (let k = 0; k < path.grossLeverage.length; k++) {
          const g = path.grossLeverage[k];
          expect(g).toBeGreaterThanOrEqual(MIN_GROSS);
          expect(g).toBeLessThanOrEqual(config.max_gross);
          const scaled = clip(
            config.gross_base + config.gross_conf_scale * decisions[k].conf,
            MIN_GROSS,
            config.max_gross,
          );
          if (config.target_vol === 0) expect(g).toBe(scaled);
          else expect(g).toBeLessThanOrEqual(scaled);
        }
      }),
      RUNS,
    );
  });

  it('turnover and costs are non-negative and follow the weight and gross changes', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { config, path } = { config: c.config, ...run(c) };
        let w = 0.5;
        let g = 1;
        for (let k = 0; k < path.weights[0].length; k++) {
          expect(path.turnoverAbs[k]).toBe(Math.abs(path.weights[0][k] - w));
          const cost =
            config.turn_cost_bps * 1e-4 * path.turnoverAbs[k] +
            config.gross_cost_bps * 1e-4 * Math.abs(path.grossLeverage[k] - g);
          expect(path.cost[k]).toBeGreaterThanOrEqual(0);
          expect(path.cost[k]).toBeCloseTo(cost, 14);
          // No change, no cost.
          if (path.weights[0][k] === w && path.grossLeverage[k] === g) expect(path.cost[k]).toBe(0);
          w = path.weights[0][k];
          g = path.grossLeverage[k];
        }
      }),
      RUNS,
    );
  });

  it('net return = gross x blended return - costs - financing of leverage above 1', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { path, table, steps } = run(c);
        for (let k = 0; k < path.retNet.length; k++) {
          const i = steps[k];
          expect([path.sleeveReturns[0][k], path.sleeveReturns[1][k], path.monthEnds[k]]).toEqual([
            table.returns[0][i],
            table.returns[1][i],
            table.monthEnds[i],
          ]);
          const w = path.weights[0][k];
          const gross = path.grossLeverage[k];
          expect(path.retGross[k]).toBeCloseTo(
            gross * (w * table.returns[0][i] + (1 - w) * table.returns[1][i]),
            14,
          );
          const financing = (Math.max(0, gross - 1) * c.financing * 1e-4) / 12;
          if (c.financing > 0) expect(path.financingCost![k]).toBeCloseTo(financing, 15);
          else expect(path.financingCost).toBeUndefined();
          expect(path.retNet[k]).toBeCloseTo(path.retGross[k] - path.cost[k] - financing, 14);
          expect(path.retNet[k]).toBeLessThanOrEqual(path.retGross[k]);
        }
      }),
      RUNS,
    );
  });

  it('equity stays finite and positive when every return is above -1/max_gross (with room for costs)', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { path } = run(c);
        let equity = 10_000;
        for (let k = 0; k < path.retNet.length; k++) {
          expect(path.retNet[k]).toBeGreaterThan(-1);
          equity *= 1 + path.retNet[k];
          expect(Number.isFinite(equity) && equity > 0).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("keeps the policy's own output, before clipping, beside the position", () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { path, decisions } = run(c);
        expect(Array.from(path.policyWRaw[0])).toEqual(decisions.map((d) => d.wRaw));
        expect(Array.from(path.policyConf)).toEqual(decisions.map((d) => d.conf));
      }),
      RUNS,
    );
  });

  it('refuses a non-finite raw weight or a confidence outside [0, 1], naming the month', () => {
    const bad = fc.oneof(
      fc.record({
        wRaw: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
        conf: unit,
      }),
      fc.record({
        wRaw: unit,
        conf: fc.oneof(
          fc.double({ min: -10, max: -Number.MIN_VALUE, noNaN: true }),
          fc.double({ min: 1 + 1e-9, max: 10, noNaN: true }),
          fc.constant(Number.NaN),
        ),
      }),
    );
    fc.assert(
      fc.property(caseArb(), bad, fc.nat(), (c, d, at) => {
        const table = tableOf(c.retA, c.retB);
        const steps = Array.from({ length: table.length }, (_, k) => k);
        const decisions = c.decisions.slice();
        const k = at % decisions.length;
        decisions[k] = d;
        expect(() => applyPositionMechanics(table, steps, decisions, c.config)).toThrow(DecisionError);
        expect(() => applyPositionMechanics(table, steps, decisions, c.config)).toThrow(table.monthEnds[k]);
      }),
      { ...RUNS, numRuns: 60 },
    );
  });
});
