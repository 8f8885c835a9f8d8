/**
 * Short panels: from 48 common months on, every overfitting statistic runs or
 * says why it did not. The PBO uses fewer blocks than requested when the path
 * is too short for blocks of 2 months.
 */
import { candidate, type EvaluatedCandidate } from '@step4/core';
import { describe, expect, it } from 'vitest';
import {
  analyseOverfitting,
  objectiveOverfittingJson,
  pboBlocks,
  pboJson,
  pboOutcome,
  probabilityOfBacktestOverfitting,
  runOverfittingJson,
  SeededRandom,
} from '../src/index.js';
import { fakeCandidate } from './fake-candidate.js';
import { gaussian } from './gaussian.js';

function noise(n: number, t: number, seed: number): Float64Array[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: t }, () => 0.03 * gaussian(rng)));
}

describe('PBO block rule', () => {
  it("is the largest even S' <= S with blocks of at least 2 months, checked against a brute-force search", () => {
    for (let T = 0; T <= 70; T++) {
      for (const S of [2, 4, 6, 10, 16, 24]) {
        let best: number | undefined;
        for (let s = 2; s <= S; s += 2) if (Math.floor(T / s) >= 2) best = s;
        expect(pboBlocks(T, S), `T ${T}, S ${S}`).toBe(best);
      }
    }
  });

  it('rejects a request that is not an even integer >= 2', () => {
    for (const S of [0, 1, 3, 2.5, -2, Number.NaN]) expect(() => pboBlocks(40, S)).toThrow(RangeError);
  });

  it('computes the PBO on the short paths of 48 to 61 common months (18 to 31 path months)', () => {
    for (let T = 18; T <= 31; T++) {
      const p = probabilityOfBacktestOverfitting(noise(6, T, T), { blocks: 16 });
      expect(p.blocksRequested).toBe(16);
      expect(p.blocks % 2).toBe(0);
      expect(p.blocks).toBeLessThan(16);
      expect(p.monthsUsed / p.blocks).toBeGreaterThanOrEqual(2);
      expect(p.monthsUsed + p.monthsDropped).toBe(T);
      // The next even count would make blocks of fewer than 2 months.
      expect(Math.floor(T / (p.blocks + 2))).toBeLessThan(2);
      expect(Number.isFinite(p.pbo) && p.pbo >= 0 && p.pbo <= 1).toBe(true);
    }
  });

  it('is not computed, with a reason, below 4 months or 2 candidates', () => {
    const short = pboOutcome(noise(5, 3, 1), { blocks: 16 });
    expect(short).toMatchObject({ computed: false, months: 3, candidates: 5, blocksRequested: 16 });
    expect(!short.computed && short.reason).toMatch(/3 months/);
    const single = pboOutcome(noise(1, 40, 2));
    expect(!single.computed && single.reason).toMatch(/2 candidates/);
    expect(() => probabilityOfBacktestOverfitting(noise(1, 40, 2))).toThrow(/2 candidates/);
    const json = pboJson(short, 'sharpe', 'note');
    expect(json.pbo).toBeNull();
    expect(json.not_computed_reason).toMatch(/months/);
  });
});

describe('overfitting analysis on short and degenerate searches', () => {
  function months(n: number): string[] {
    return Array.from({ length: n }, (_, i) => {
      const d = new Date(Date.UTC(2020, i + 1, 0));
      return d.toISOString().slice(0, 10);
    });
  }
  const fake = fakeCandidate;
  const opts = (split: { index: number; monthEnd: string }) => ({
    split,
    startCapital: 10_000,
    bootstrap: { samples: 100, blockMonths: 6, seed: 42 },
    pboBlocks: 16,
    objectives: [
      { objective: 'return' as const, ddCap: 0.32 },
      { objective: 'calmar' as const, ddCap: 0.2 },
    ],
  });

  it('48 common months: an 18-month path that starts after the split month is analysed in full', () => {
    // The path of 48 aligned months starts at month 30; the split (0.6) is month 29: no train months in the path.
    const m = months(18);
    const cands = noise(5, 18, 7).map((r, k) => fake(`c${k}`, r, m));
    const a = analyseOverfitting(cands, opts({ index: 29, monthEnd: '2019-12-31' }));
    expect(a.pboNotComputed).toBeUndefined();
    for (const o of ['return', 'calmar'] as const) {
      const x = a.perObjective[o]!;
      expect([x.pbo.blocks, x.pbo.monthsUsed]).toEqual([8, 16]);
      expect(x.honest.monthsBeforeTest).toBe(0);
      expect(x.honest.chosen).toHaveLength(18);
      // With no months before it, the first choice cannot prefer anyone: the first candidate.
      expect(x.honest.chosen[0]).toBe('c0');
      expect(Number.isFinite(x.honest.test.calmar)).toBe(true);
    }
  });

  it('one candidate: the PBO and the honest run are not computed, the JSON says why and the DSR stays', () => {
    const m = months(30);
    const cands = [fake('only', noise(1, 30, 8)[0], m)];
    const a = analyseOverfitting(cands, opts({ index: 10, monthEnd: m[9] }));
    expect(a.pboNotComputed?.reason).toMatch(/2 candidates/);
    expect(a.perObjective).toEqual({});
    const run = {
      objective: 'return' as const,
      selected: { candidate: { ...cands[0], metrics: { test: { calmar: 1, end_equity: 2 } } } },
    } as never;
    const summary = objectiveOverfittingJson(a, run) as Record<string, Record<string, unknown>>;
    expect(summary.pbo.pbo).toBeNull();
    expect(summary.pbo.not_computed_reason).toMatch(/2 candidates/);
    expect(summary.selection_honest).toBeNull();
    expect(typeof summary.selected_deflated_sharpe.deflated_sharpe_ratio).toBe('number');
    const table = runOverfittingJson(a, [run]) as Record<string, Record<string, unknown>>;
    expect(table.return.pbo).toBeNull();
    expect(table.return.pbo_not_computed_reason).toMatch(/2 candidates/);
  });

  it('no candidate ran: an empty analysis, not a crash', () => {
    const failed: EvaluatedCandidate = {
      config: candidate('x', 'x'),
      family: { name: 'x', version: '1' },
      error: 'boom',
    };
    const a = analyseOverfitting([failed], opts({ index: 10, monthEnd: '2020-10-31' }));
    expect(a.dsr.size).toBe(0);
    expect(a.pboNotComputed?.candidates).toBe(0);
  });
});
