import { runConformance } from '@step4/core/testing';
import { expect, it } from 'vitest';
import { volParityFamily } from '../src/index.js';

it('passes the Step 4 conformance kit (no look-ahead, determinism, valid outputs)', async () => {
  const report = await runConformance(volParityFamily());
  // Three candidates on five panels: three with two sleeves, two with four.
  const noLookAhead = report.checks.filter((c) => c.check === 'no-look-ahead');
  expect(noLookAhead.length).toBe(15);
  expect(noLookAhead.filter((c) => c.panel.includes('(4 sleeves')).length).toBe(6);
});

/** What `decide` sees, with only the sleeves' return history filled in. */
const context = (returns) => ({ history: { length: returns[0].length, returns: returns.map((r) => Float64Array.from(r)) } });

const sd = (x) => {
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  return Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1));
};

it('weights every sleeve by its inverse volatility, one weight per sleeve', () => {
  const family = volParityFamily();
  const config = family.candidate('vp', { lookback: 4 });
  const returns = [
    [0.01, -0.01, 0.02, 0.0, 0.01],
    [0.05, -0.04, 0.06, -0.03, 0.02],
    [0.1, -0.12, 0.15, -0.08, 0.09],
    [0.03, 0.0, -0.03, 0.02, -0.01],
  ];
  const { wRaw, conf } = family.decide(context(returns), config);
  const inverse = returns.map((r) => 1 / sd(r.slice(-4)));
  const total = inverse.reduce((s, v) => s + v, 0);
  expect(wRaw.length).toBe(4);
  wRaw.forEach((w, s) => expect(w).toBeCloseTo(inverse[s] / total, 12));
  expect(wRaw.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  // The calmest sleeve gets the most, the wildest the least.
  expect(wRaw.indexOf(Math.max(...wRaw))).toBe(0);
  expect(wRaw.indexOf(Math.min(...wRaw))).toBe(2);
  expect(conf).toBeGreaterThan(0);
  expect(conf).toBeLessThanOrEqual(1);
});

it('with two sleeves, gives the first sleeve (1/vA) / (1/vA + 1/vB) and conf |wA - 0.5| * 2', () => {
  const family = volParityFamily();
  const config = family.candidate('vp', { lookback: 12 });
  const a = Array.from({ length: 30 }, (_, i) => 0.01 * Math.sin(i));
  const b = Array.from({ length: 30 }, (_, i) => 0.05 * Math.cos(1.3 * i));
  const { wRaw, conf } = family.decide(context([a, b]), config);
  const vA = sd(a.slice(-12));
  const vB = sd(b.slice(-12));
  const wA = 1 / vA / (1 / vA + 1 / vB);
  expect(wRaw[0]).toBeCloseTo(wA, 12);
  expect(wRaw[1]).toBeCloseTo(1 - wA, 12);
  expect(conf).toBeCloseTo(Math.abs(wA - 0.5) * 2, 12);
});

it('falls back to equal weights without confidence when a volatility is zero', () => {
  const family = volParityFamily();
  const config = family.candidate('vp', { lookback: 6 });
  expect(family.decide(context([[0.01], [0.02], [0.03]]), config)).toEqual({ wRaw: [1 / 3, 1 / 3, 1 / 3], conf: 0 });
  expect(family.decide(context([[0.01, 0.01, 0.01], [0.02, -0.01, 0.03]]), config)).toEqual({ wRaw: [0.5, 0.5], conf: 0 });
});
