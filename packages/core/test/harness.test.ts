import { describe, expect, it } from 'vitest';
import {
  CORE_API_VERSION,
  applyPositionMechanics,
  buildFeatureTable,
  candidate,
  defineFamily,
  runWalkForward,
  walkForwardSteps,
} from '../src/index.js';
import { syntheticPanel } from '../src/testing/index.js';

const table = buildFeatureTable(syntheticPanel({ months: 60, seed: 5 }));

describe('position mechanics (docs/model/mechanics.md)', () => {
  it('clips, smooths and limits the step exactly as specified', () => {
    const config = candidate('c', 'x', { min_w: 0.1, max_w: 0.9, smoothing: 0.5, max_step: 0.15 });
    const steps = [24, 25, 26];
    const path = applyPositionMechanics(
      table,
      steps,
      [
        { wRaw: 1.4, conf: 0 }, // clipped to 0.9; smoothed 0.5*0.5+0.5*0.9 = 0.7; step limited to 0.5+0.15
        { wRaw: 0.9, conf: 0 }, // smoothed 0.5*0.65+0.45 = 0.775 -> step 0.125
        { wRaw: -1, conf: 0 }, // clipped 0.1; smoothed 0.4375; step -0.15 -> 0.625
      ],
      config,
    );
    expect(Array.from(path.weights[0])).toEqual(
      [0.65, 0.775, 0.625].map((w, i) => [0.5 + 0.15, 0.65 + 0.125, 0.775 - 0.15][i]),
    );
    expect(path.turnoverAbs[0]).toBeCloseTo(0.15, 15);
    expect(Array.from(path.policyWRaw[0])).toEqual([1.4, 0.9, -1]);
  });

  it('scales gross with confidence, clips to [0.85, max_gross] and charges both costs', () => {
    const config = candidate('c', 'x', {
      gross_base: 1,
      gross_conf_scale: 0.3,
      max_gross: 1.15,
      turn_cost_bps: 12,
      gross_cost_bps: 6,
    });
    const path = applyPositionMechanics(
      table,
      [30, 31],
      [
        { wRaw: 0.5, conf: 1 }, // 1.3 -> 1.15
        { wRaw: 0.7, conf: 0.2 }, // 1.06
      ],
      config,
    );
    expect(path.grossLeverage[0]).toBe(1.15);
    expect(path.grossLeverage[1]).toBeCloseTo(1.06, 15);
    expect(path.cost[0]).toBeCloseTo(6e-4 * 0.15, 15);
    expect(path.cost[1]).toBeCloseTo(12e-4 * 0.2 + 6e-4 * 0.09, 15);
    const i = 31;
    expect(path.retGross[1]).toBeCloseTo(1.06 * (0.7 * table.returns[0][i] + 0.3 * table.returns[1][i]), 14);
    expect(path.retNet[1]).toBe(path.retGross[1] - path.cost[1]);
  });

  it('targets volatility with the current weight over the last vol_lb history rows', () => {
    const config = candidate('c', 'x', { max_gross: 1.3, gross_base: 1.3, target_vol: 0.01, vol_lb: 4 });
    const i = 40;
    const path = applyPositionMechanics(table, [i], [{ wRaw: 0.5, conf: 0 }], config);
    const blend = [36, 37, 38, 39].map((j) => 0.5 * table.returns[0][j] + 0.5 * table.returns[1][j]);
    const m = blend.reduce((a, b) => a + b) / 4;
    const rv = Math.sqrt(blend.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
    expect(path.grossLeverage[0]).toBeCloseTo(Math.min(1.3, Math.max(0.85, 0.01 / rv)), 14);
  });

  it('fails a candidate with a message naming family, candidate and month when a decision is invalid', async () => {
    const bad = defineFamily({
      meta: { name: 'bad', version: '1', coreApi: CORE_API_VERSION },
      params: {},
      defaultGrid: () => [],
      decide: () => ({ wRaw: Number.POSITIVE_INFINITY, conf: 0 }),
    });
    await expect(
      runWalkForward(bad, candidate('b1', 'bad'), table, { minHistory: 24, seed: 1 }),
    ).rejects.toThrow(
      new RegExp(`family bad, candidate b1, month ${table.monthEnds[24]}: w_raw must be a finite number`),
    );
  });

  it('gives a decision only history before the month (copies, not views of later rows)', async () => {
    const seen: number[] = [];
    const spy = defineFamily({
      meta: { name: 'spy', version: '1', coreApi: CORE_API_VERSION },
      params: {},
      defaultGrid: () => [],
      decide: (ctx) => {
        seen.push(ctx.history.retA.length, ctx.history.retA.buffer.byteLength / 8);
        expect(ctx.history.features.length).toBe(ctx.step * ctx.featureNames.length);
        return { wRaw: 0.5, conf: 0 };
      },
    });
    await runWalkForward(spy, candidate('s', 'spy'), table, { minHistory: 24, seed: 1 });
    const steps = walkForwardSteps(table, 24);
    expect(seen).toEqual(steps.flatMap((i) => [i, i]));
  });
});

describe('financing cost of leverage (issue: honest evaluation)', () => {
  it('charges (gross - 1)+ x rate / 12 per month, in net return, and nothing at or below 1x', () => {
    const config = candidate('c', 'x', { gross_base: 1.3, max_gross: 1.3 });
    const path = applyPositionMechanics(
      table,
      [30, 31],
      [
        { wRaw: 0.5, conf: 0 },
        { wRaw: 0.5, conf: 0 },
      ],
      config,
      'x',
      600,
    );
    expect(path.financingCost![0]).toBeCloseTo((0.3 * 0.06) / 12, 15);
    expect(path.retNet[1]).toBeCloseTo(path.retGross[1] - path.cost[1] - (0.3 * 0.06) / 12, 15);
    const flat = applyPositionMechanics(table, [30], [{ wRaw: 0.5, conf: 0 }], candidate('d', 'x'), 'x', 600);
    expect(flat.financingCost![0]).toBe(0);
    const reference = applyPositionMechanics(table, [30], [{ wRaw: 0.5, conf: 0 }], config, 'x');
    expect(reference.financingCost).toBeUndefined();
  });
});
